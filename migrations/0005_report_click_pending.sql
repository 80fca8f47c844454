-- Report rollups, continued: small click statements no longer update the
-- rollups themselves. Applied once; never edited.
--
-- Why: the click writer commits a batch of about thirty clicks at a time,
-- over a thousand statements a second. Migration 0004's trigger spent about
-- 250 µs of database time on each (its upserts rewrite the same few
-- report_day and report_site_day rows every time, through long HOT chains):
-- a third of the click path's database time. Now such a statement appends
-- its clicks, grouped, to report_click_pending (about 30 µs), and
-- affrank_report_fold() moves what is pending into the rollups in one go:
-- the sidecar folds every second in the background, and every report folds
-- its site first, so a report still counts every click committed before it
-- was asked for. Statements of more than 1,000 clicks (COPY, backfills,
-- replays of a long outage) gain nothing from waiting and are applied at
-- once, as before.
--
-- Locking, as in 0003: the click trigger and the fold take the sites'
-- shared report locks before anything else; a rebuild, which takes its
-- site's lock exclusively, drops the site's pending clicks because it
-- recounts them from `clicks`.

-- Clicks not yet in the rollups, one row per statement and group. Local
-- days are found when folding, in the site's time zone then (a zone change
-- rebuilds the site, pending clicks included): the UTC second is enough,
-- since every zone offset is a whole number of seconds, so all of a
-- second's clicks share a local day. No index: the fold reads the whole
-- table, which it keeps a second's worth long.
CREATE TABLE report_click_pending (
    site_id    text        NOT NULL,
    second     timestamptz NOT NULL,
    link_id    text        NOT NULL,
    page_url   text        NOT NULL,
    -- '' for none, as in report_key.
    keyword    text        NOT NULL,
    clicks     bigint      NOT NULL,
    bot_clicks bigint      NOT NULL
);

CREATE OR REPLACE FUNCTION affrank_report_clicks_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(affrank_report_lock_key(site_id))
    FROM (SELECT DISTINCT site_id FROM new_rows ORDER BY 1) s;

    IF (SELECT count(*) FROM new_rows) > 1000 THEN
        PERFORM affrank_report_apply(ARRAY(
            SELECT ROW(g.site_id, g.day, true, g.link_id, g.page_url, g.keyword,
                       g.clicks, g.bot_clicks, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)::affrank_report_delta
            FROM (SELECT c.site_id, (c.clicked_at AT TIME ZONE s.time_zone)::date AS day,
                         c.link_id, c.page_url, c.keyword,
                         count(*) FILTER (WHERE NOT c.is_bot) AS clicks,
                         count(*) FILTER (WHERE c.is_bot) AS bot_clicks
                  FROM new_rows c JOIN sites s ON s.id = c.site_id
                  GROUP BY 1, 2, 3, 4, 5) g));
        RETURN NULL;
    END IF;

    INSERT INTO report_click_pending (site_id, second, link_id, page_url, keyword, clicks, bot_clicks)
    SELECT site_id, date_trunc('second', clicked_at), link_id, page_url, coalesce(keyword, ''),
           count(*) FILTER (WHERE NOT is_bot), count(*) FILTER (WHERE is_bot)
    FROM new_rows
    GROUP BY 1, 2, 3, 4, 5;
    RETURN NULL;
END $$;

-- Moves the pending clicks of one site (NULL: of every site) into the
-- rollups; returns the pending rows folded. Two folds of the same rows take
-- turns on them: the second finds them gone once the first commits.
CREATE FUNCTION affrank_report_fold(site text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    sites_seen text[];
    folded bigint;
    deltas affrank_report_delta[];
BEGIN
    sites_seen := ARRAY(SELECT DISTINCT p.site_id FROM report_click_pending p
                        WHERE site IS NULL OR p.site_id = site ORDER BY 1);
    IF cardinality(sites_seen) = 0 THEN
        RETURN 0;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(affrank_report_lock_key(s))
    FROM unnest(sites_seen) s ORDER BY s;

    WITH taken AS (
        DELETE FROM report_click_pending WHERE site_id = ANY (sites_seen)
        RETURNING *)
    SELECT (SELECT count(*) FROM taken), ARRAY(
        -- A site deleted meanwhile has no time zone: its clicks are dropped.
        SELECT ROW(t.site_id, (t.second AT TIME ZONE s.time_zone)::date, true, t.link_id,
                   t.page_url, t.keyword, sum(t.clicks), sum(t.bot_clicks),
                   0, 0, 0, 0, 0, 0, 0, 0, 0, 0)::affrank_report_delta
        FROM taken t JOIN sites s ON s.id = t.site_id
        GROUP BY t.site_id, (t.second AT TIME ZONE s.time_zone)::date, t.link_id, t.page_url,
                 t.keyword)
    INTO folded, deltas;
    PERFORM affrank_report_apply(deltas);
    RETURN folded;
END $$;

-- A rebuild recounts the site from `clicks`: its pending clicks are in that
-- count already. The 0003 function does the recount.
ALTER FUNCTION affrank_report_rebuild(text) RENAME TO affrank_report_recount;

CREATE FUNCTION affrank_report_rebuild(site text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(affrank_report_lock_key(site));
    DELETE FROM report_click_pending WHERE site_id = site;
    PERFORM affrank_report_recount(site);
END $$;
