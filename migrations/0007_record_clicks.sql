-- The click writer's own entry point: one call per batch writes the clicks
-- and their pending report rows. Applied once; never edited.
--
-- Why: migration 0005's statement trigger on `clicks` cost about a fifth of
-- the database's time per click (a PL/pgSQL call, a DISTINCT over the
-- transition table for the locks, a count, a GROUP BY), for a batch whose
-- groups the writer already knows: a batch of thirty clicks is usually one
-- link in one second. The writer now sends those groups along and this
-- function appends them itself; the trigger stands aside for this one INSERT.
-- Every other way into `clicks` (spool replay, COPY, backfills, tests) still
-- goes through the trigger, which stays the reference for what a pending
-- row is.

-- How the trigger stands aside: affrank_record_clicks sets a
-- transaction-local setting just before its INSERT and clears it after, and
-- the trigger's WHEN reads it. A statement trigger's WHEN is evaluated
-- within its statement, so no other statement sees the setting on.
DROP TRIGGER clicks_report_insert ON clicks;
CREATE TRIGGER clicks_report_insert AFTER INSERT ON clicks
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT
    WHEN (current_setting('affrank.pending_written', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION affrank_report_clicks_insert();

-- Writes one batch of new clicks (the first twelve arrays, a column each)
-- and its pending report rows (the last seven: one element per site,
-- second, link, page and keyword, with its click and bot click counts, as
-- the trigger would group them). The caller vouches that the groups sum the
-- clicks; the report equivalence tests hold the writer to it. A batch of
-- over 1,000 clicks is left to the trigger, which applies it at once.
--
-- Locking as in the trigger: the pending lock of each site, shared, before
-- any row is written. (Shared locks need no order among themselves: the one
-- taker of a pending lock in exclusive mode, a rebuild, takes one site's.)
CREATE FUNCTION affrank_record_clicks(
    session_ids text[], site_ids text[], link_ids text[], clicked_ats timestamptz[],
    page_urls text[], keywords text[], keyword_sources text[], networks text[],
    referrers text[], user_agents text[], visitor_hashes text[], bots boolean[],
    group_sites text[], group_seconds timestamptz[], group_links text[], group_pages text[],
    group_keywords text[], group_clicks bigint[], group_bot_clicks bigint[]
) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    pending_here constant boolean := cardinality(session_ids) <= 1000;
    site text;
BEGIN
    IF pending_here THEN
        -- A loop of plain expressions, not a query: PL/pgSQL evaluates these
        -- without starting an executor. Taking a lock held already is a
        -- lookup in the backend's own table.
        FOREACH site IN ARRAY group_sites LOOP
            PERFORM pg_advisory_xact_lock_shared(affrank_report_pending_lock_key(site));
        END LOOP;
        PERFORM set_config('affrank.pending_written', 'on', true);
    END IF;

    -- One statement for both tables: one executor run per batch, not two.
    WITH pending AS (
        INSERT INTO report_click_pending (site_id, second, link_id, page_url, keyword,
                                          clicks, bot_clicks)
        SELECT * FROM unnest(group_sites, group_seconds, group_links, group_pages,
                             group_keywords, group_clicks, group_bot_clicks)
        WHERE pending_here)
    INSERT INTO clicks (session_id, site_id, link_id, clicked_at, page_url, keyword,
                        keyword_source, network, referrer, user_agent, visitor_hash, is_bot)
    SELECT * FROM unnest(session_ids, site_ids, link_ids, clicked_ats, page_urls, keywords,
                         keyword_sources, networks, referrers, user_agents, visitor_hashes, bots);

    IF pending_here THEN
        PERFORM set_config('affrank.pending_written', 'off', true);
    END IF;
END $$;

-- VACUUM (the sidecar's, every 30 s, and autovacuum's) would truncate the
-- empty tail a fold leaves every second, under an ACCESS EXCLUSIVE lock that
-- every click batch then waits for, since each appends to this table. Its
-- pages are reused instead: it holds about a second of clicks.
ALTER TABLE report_click_pending SET (vacuum_truncate = false);
