-- Report rollups, continued: the recent windows end at the start of the
-- site's current local day instead of at the last weekly checkpoint, and
-- folded clicks land in one shard. Applied once; never edited.
--
-- Why: the plugin asks for the last 7, 30 or 90 days, today included. With
-- windows ending at the last Monday, such a range read its window plus up
-- to six days of report_day rows at each end; on a Friday, a 40,000-link
-- site's 30-day links report read 71,000 day rows besides the window and
-- took twice the 50 ms target. Windows of 6, 29, 89 and 364 days ending
-- at today's start turn those ranges into one window and today's rows.
-- The sidecar moves the windows to the new day shortly after local
-- midnight (affrank_report_refresh_recent); until then a report reads the
-- windows of the day before and one more day of rows, and stays exact.
--
-- The window lengths are now days: report_recent.weeks becomes `days`.
-- The windows are recomputed from the checkpoints, so none is kept here.

DELETE FROM report_recent;
UPDATE report_state SET recent_through = NULL;
ALTER TABLE report_recent RENAME COLUMN weeks TO days;

-- A list report over a window reads every key of it (40,000 rows for a
-- big site's links): with the figures in the index it is an index-only
-- scan, since the sealer vacuums the table after moving the windows and
-- later writes touch few of its pages.
ALTER TABLE report_recent DROP CONSTRAINT report_recent_pkey,
    ADD CONSTRAINT report_recent_pkey PRIMARY KEY (site_id, dim, days, key_id)
        INCLUDE (clicks, bot_clicks, conversions, others, revenue);

CREATE OR REPLACE FUNCTION affrank_report_windows() RETURNS smallint[]
LANGUAGE sql IMMUTABLE AS $$ SELECT '{6,29,89,364}'::smallint[] $$;

-- The windows no longer move with a seal: a seal adds a checkpoint, which
-- changes no total. Only affrank_report_refresh_recent(site, day) moves them.
DROP FUNCTION affrank_report_refresh_recent(text);

-- The totals per key of every day before `x`, for one sealed site: the
-- nearest checkpoint within the sealed weeks, plus or minus the days
-- between it and `x` (at most six, or the days outside the sealed weeks).
CREATE FUNCTION affrank_report_cumulative(site text, x date)
RETURNS TABLE (dim "char", key_id integer, clicks bigint, bot_clicks bigint,
               conversions bigint, others bigint, revenue numeric)
LANGUAGE sql STABLE AS $$
    WITH w AS (
        SELECT least(greatest(affrank_week(x), sealed_from), sealed_through) AS week
        FROM report_state WHERE site_id = site)
    SELECT c.dim, c.key_id, c.clicks, c.bot_clicks, c.conversions, c.others, c.revenue
    FROM w JOIN report_checkpoint c
      ON c.site_id = site AND c.dim = ANY ('{k,p,l}'::"char"[]) AND c.week = w.week
    UNION ALL
    SELECT d.dim, d.key_id, s.sign * d.clicks, s.sign * d.bot_clicks, s.sign * d.conversions,
           s.sign * d.others, s.sign * d.revenue
    FROM w
    CROSS JOIN LATERAL (SELECT CASE WHEN w.week <= x THEN 1 ELSE -1 END AS sign) s
    JOIN report_day d
      ON d.site_id = site AND d.dim = ANY ('{k,p,l}'::"char"[])
     AND d.day >= least(w.week, x) AND d.day < greatest(w.week, x)
$$;

-- Recomputes one sealed site's recent windows to end at `through` (the
-- start of its current local day): Cum(through) - Cum(through - n) per key,
-- keys with any activity in the window only. Takes the site's lock
-- exclusively, so the writes in flight finish first and later ones keep
-- the new windows. Returns false when the site has no checkpoint yet.
CREATE FUNCTION affrank_report_refresh_recent(site text, through date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    n_days smallint;
BEGIN
    PERFORM pg_advisory_xact_lock(affrank_report_lock_key(site));
    DELETE FROM report_recent WHERE site_id = site;
    IF NOT EXISTS (SELECT 1 FROM report_state WHERE site_id = site) THEN
        RETURN false;
    END IF;
    CREATE TEMP TABLE affrank_recent_end ON COMMIT DROP AS
    SELECT * FROM affrank_report_cumulative(site, through);
    FOREACH n_days IN ARRAY affrank_report_windows() LOOP
        INSERT INTO report_recent (site_id, dim, days, key_id, clicks, bot_clicks,
            conversions, others, revenue)
        SELECT site, t.dim, n_days, t.key_id, sum(t.sign * t.clicks), sum(t.sign * t.bot_clicks),
            sum(t.sign * t.conversions), sum(t.sign * t.others), sum(t.sign * t.revenue)
        FROM (SELECT 1 AS sign, e.* FROM affrank_recent_end e
              UNION ALL
              SELECT -1, c.* FROM affrank_report_cumulative(site, through - n_days) c) t
        GROUP BY t.dim, t.key_id
        HAVING sum(t.sign * (t.clicks + t.bot_clicks + t.conversions + t.others)) > 0;
    END LOOP;
    DROP TABLE affrank_recent_end;
    UPDATE report_state SET recent_through = through WHERE site_id = site;
    RETURN true;
END $$;

-- Seals as in 0003: a checkpoint moves no window, so the windows stay.
CREATE OR REPLACE FUNCTION affrank_report_seal(site text, through date) RETURNS date
LANGUAGE plpgsql AS $$
DECLARE
    last_week date;
    first_day date;
    next_week date;
BEGIN
    PERFORM pg_advisory_xact_lock(affrank_report_lock_key(site));
    SELECT sealed_through INTO last_week FROM report_state WHERE site_id = site;
    IF last_week IS NULL THEN
        SELECT min(day) INTO first_day FROM report_day WHERE site_id = site AND dim = 'l';
        IF first_day IS NULL THEN
            RETURN NULL;
        END IF;
        next_week := affrank_week(first_day) + 7;
    ELSE
        next_week := last_week + 7;
    END IF;
    IF next_week > through THEN
        RETURN NULL;
    END IF;

    INSERT INTO report_checkpoint (site_id, dim, week, key_id, clicks, bot_clicks, conversions, others, revenue)
    SELECT site, dim, next_week, key_id, sum(clicks), sum(bot_clicks), sum(conversions), sum(others), sum(revenue)
    FROM (SELECT dim, key_id, clicks, bot_clicks, conversions, others, revenue
          FROM report_checkpoint WHERE site_id = site AND week = last_week
          UNION ALL
          SELECT dim, key_id, clicks, bot_clicks, conversions, others, revenue
          FROM report_day
          WHERE site_id = site AND dim = ANY ('{k,p,l}'::"char"[])
            AND day < next_week AND (last_week IS NULL OR day >= last_week)) t
    GROUP BY dim, key_id;

    INSERT INTO report_state (site_id, sealed_from, sealed_through, checkpoint_days)
    SELECT site, next_week, next_week, array_agg(
               (SELECT count(*) FROM report_checkpoint
                WHERE site_id = site AND dim = d.dim AND week = next_week)::real
             / greatest(1, (SELECT count(*) FROM report_day
                            WHERE site_id = site AND dim = d.dim
                              AND day >= next_week - 7 AND day < next_week) / 7.0)::real
               ORDER BY d.i)
    FROM unnest('{k,p,l}'::"char"[]) WITH ORDINALITY AS d (dim, i)
    ON CONFLICT (site_id) DO UPDATE SET sealed_through = EXCLUDED.sealed_through,
                                        checkpoint_days = EXCLUDED.checkpoint_days;
    RETURN next_week;
END $$;

-- Adds contributions to every rollup, daily rows in shard `into_shard`. The
-- caller holds the sites' shared locks and has placed each delta on its
-- day. As in 0004, but the windows are counted in days.
CREATE FUNCTION affrank_report_apply(deltas affrank_report_delta[], into_shard smallint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    keyed affrank_report_keyed[];
BEGIN
    -- Number the keys first seen here (in key order: concurrent writers
    -- wait for each other's new keys, never deadlock).
    INSERT INTO report_key (site_id, dim, key)
    SELECT DISTINCT d.site_id, k.dim, k.key
    FROM unnest(deltas) d
    CROSS JOIN LATERAL (VALUES ('k'::"char", coalesce(d.keyword, '')),
                               ('p'::"char", d.page_url),
                               ('l'::"char", d.link_id)) AS k (dim, key)
    WHERE d.attributed
    ORDER BY 1, 2, 3
    ON CONFLICT (site_id, dim, key) DO NOTHING;

    INSERT INTO report_site_day AS r (site_id, day, attributed, shard, clicks, bot_clicks,
        approved, pending, rejected, reversed, sales, leads, unconverted,
        revenue, pending_revenue, reversed_revenue)
    SELECT d.site_id, d.day, d.attributed, into_shard, sum(d.clicks), sum(d.bot_clicks),
        sum(d.approved), sum(d.pending), sum(d.rejected), sum(d.reversed),
        sum(d.sales), sum(d.leads), sum(d.unconverted),
        sum(d.revenue), sum(d.pending_revenue), sum(d.reversed_revenue)
    FROM unnest(deltas) d
    GROUP BY 1, 2, 3
    ORDER BY 1, 2, 3
    ON CONFLICT (site_id, day, attributed, shard) DO UPDATE SET
        clicks = r.clicks + EXCLUDED.clicks,
        bot_clicks = r.bot_clicks + EXCLUDED.bot_clicks,
        approved = r.approved + EXCLUDED.approved,
        pending = r.pending + EXCLUDED.pending,
        rejected = r.rejected + EXCLUDED.rejected,
        reversed = r.reversed + EXCLUDED.reversed,
        sales = r.sales + EXCLUDED.sales,
        leads = r.leads + EXCLUDED.leads,
        unconverted = r.unconverted + EXCLUDED.unconverted,
        revenue = r.revenue + EXCLUDED.revenue,
        pending_revenue = r.pending_revenue + EXCLUDED.pending_revenue,
        reversed_revenue = r.reversed_revenue + EXCLUDED.reversed_revenue;

    keyed := ARRAY(
        SELECT ROW(d.site_id, k.dim, d.day, rk.id, sum(d.clicks), sum(d.bot_clicks),
                   sum(d.approved + d.pending), sum(d.rejected + d.reversed),
                   sum(d.revenue))::affrank_report_keyed
        FROM unnest(deltas) d
        CROSS JOIN LATERAL (VALUES ('k'::"char", coalesce(d.keyword, '')),
                                   ('p'::"char", d.page_url),
                                   ('l'::"char", d.link_id)) AS k (dim, key)
        JOIN report_key rk ON rk.site_id = d.site_id AND rk.dim = k.dim AND rk.key = k.key
        WHERE d.attributed
        GROUP BY d.site_id, k.dim, d.day, rk.id
        ORDER BY d.site_id, k.dim, d.day, rk.id);

    INSERT INTO report_day AS r (site_id, dim, day, key_id, shard, clicks, bot_clicks,
        conversions, others, revenue)
    SELECT k.site_id, k.dim, k.day, k.key_id, into_shard, k.clicks, k.bot_clicks,
        k.conversions, k.others, k.revenue
    FROM unnest(keyed) k
    ON CONFLICT (site_id, dim, day, key_id, shard) DO UPDATE SET
        clicks = r.clicks + EXCLUDED.clicks,
        bot_clicks = r.bot_clicks + EXCLUDED.bot_clicks,
        conversions = r.conversions + EXCLUDED.conversions,
        others = r.others + EXCLUDED.others,
        revenue = r.revenue + EXCLUDED.revenue;

    -- A day before the last sealed checkpoint (a conversion on an old click,
    -- a spool replay, a backfill): every checkpoint after it moves too.
    INSERT INTO report_checkpoint AS r (site_id, dim, week, key_id, clicks, bot_clicks,
        conversions, others, revenue)
    SELECT k.site_id, k.dim, w.week, k.key_id, sum(k.clicks), sum(k.bot_clicks),
        sum(k.conversions), sum(k.others), sum(k.revenue)
    FROM unnest(keyed) k
    JOIN report_state s ON s.site_id = k.site_id AND k.day < s.sealed_through
    CROSS JOIN LATERAL (
        SELECT greatest(s.sealed_from, affrank_week(k.day) + 7) + 7 * i AS week
        FROM generate_series(0, (s.sealed_through - greatest(s.sealed_from, affrank_week(k.day) + 7)) / 7) i
    ) w
    GROUP BY 1, 2, 3, 4
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (site_id, dim, week, key_id) DO UPDATE SET
        clicks = r.clicks + EXCLUDED.clicks,
        bot_clicks = r.bot_clicks + EXCLUDED.bot_clicks,
        conversions = r.conversions + EXCLUDED.conversions,
        others = r.others + EXCLUDED.others,
        revenue = r.revenue + EXCLUDED.revenue;

    -- And the recent windows that cover its day.
    INSERT INTO report_recent AS r (site_id, dim, days, key_id, clicks, bot_clicks,
        conversions, others, revenue)
    SELECT k.site_id, k.dim, w.days, k.key_id, sum(k.clicks), sum(k.bot_clicks),
        sum(k.conversions), sum(k.others), sum(k.revenue)
    FROM unnest(keyed) k
    JOIN report_state s ON s.site_id = k.site_id AND k.day < s.recent_through
    JOIN unnest(affrank_report_windows()) w (days) ON k.day >= s.recent_through - w.days
    GROUP BY 1, 2, 3, 4
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (site_id, dim, days, key_id) DO UPDATE SET
        clicks = r.clicks + EXCLUDED.clicks,
        bot_clicks = r.bot_clicks + EXCLUDED.bot_clicks,
        conversions = r.conversions + EXCLUDED.conversions,
        others = r.others + EXCLUDED.others,
        revenue = r.revenue + EXCLUDED.revenue;
END $$;

-- Conversions and large click statements: concurrent writers, so each
-- statement picks one of eight shards, as before.
CREATE OR REPLACE FUNCTION affrank_report_apply(deltas affrank_report_delta[]) RETURNS void
LANGUAGE sql AS $$ SELECT affrank_report_apply(deltas, floor(random() * 8)::smallint) $$;

-- Folds as in 0005, into shard 0: folds of one site take turns anyway (on
-- the pending rows they delete), so spreading them over shards only
-- multiplied the rows of today that every report reads.
CREATE OR REPLACE FUNCTION affrank_report_fold(site text) RETURNS bigint
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
    PERFORM affrank_report_apply(deltas, 0::smallint);
    RETURN folded;
END $$;

-- Clicks no longer wait for seals and window moves. Until now every click
-- statement took its site's report lock shared, so the few seconds a big
-- site's seal or window move holds it exclusively stalled that site's
-- redirects. A small click statement only appends to report_click_pending,
-- which neither reads: it now takes a lock of its own, the pending lock,
-- which only a rebuild (a time-zone change, recounting from `clicks`) takes
-- exclusively. Lock order, everywhere: the pending lock before the report
-- lock; whoever holds a report lock never waits for a pending lock.
CREATE FUNCTION affrank_report_pending_lock_key(site text) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT hashtextextended('affrank-report-pending:' || site, 0) $$;

CREATE OR REPLACE FUNCTION affrank_report_clicks_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(affrank_report_pending_lock_key(site_id))
    FROM (SELECT DISTINCT site_id FROM new_rows ORDER BY 1) s;

    IF (SELECT count(*) FROM new_rows) > 1000 THEN
        PERFORM affrank_report_lock(ARRAY(SELECT site_id FROM new_rows));
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

-- A rebuild drops the site's pending clicks and recounts `clicks`: no click
-- statement may commit between the two, so it holds both locks.
CREATE OR REPLACE FUNCTION affrank_report_rebuild(site text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(affrank_report_pending_lock_key(site));
    PERFORM pg_advisory_xact_lock(affrank_report_lock_key(site));
    DELETE FROM report_click_pending WHERE site_id = site;
    PERFORM affrank_report_recount(site);
END $$;
