-- Report rollups, continued: the recent windows (report_recent) are now
-- computed only by the seal that catches up with the current week, and
-- report_state.recent_through says which checkpoint they end at. Migration
-- 0003 rewrote them at every seal with a join that planned badly on fresh
-- tables: sealing a year of a big site took minutes per week. Applied
-- once; never edited.

ALTER TABLE report_state ADD COLUMN recent_through date;

-- Recomputes one site's recent windows for its last checkpoint, one window
-- at a time: C(last) - C(last - n weeks) by key, keys with activity only,
-- where both checkpoints exist. The caller holds the site's lock
-- exclusively.
CREATE FUNCTION affrank_report_refresh_recent(site text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    first_week date;
    last_week date;
    n_weeks smallint;
BEGIN
    DELETE FROM report_recent WHERE site_id = site;
    SELECT sealed_from, sealed_through INTO first_week, last_week
    FROM report_state WHERE site_id = site;
    IF last_week IS NULL THEN
        RETURN;
    END IF;
    FOREACH n_weeks IN ARRAY affrank_report_windows() LOOP
        CONTINUE WHEN last_week - 7 * n_weeks < first_week;
        INSERT INTO report_recent (site_id, dim, weeks, key_id, clicks, bot_clicks,
            conversions, others, revenue)
        SELECT site, dim, n_weeks, key_id, sum(sign * clicks), sum(sign * bot_clicks),
            sum(sign * conversions), sum(sign * others), sum(sign * revenue)
        FROM (SELECT dim, key_id, 1 AS sign, clicks, bot_clicks, conversions, others, revenue
              FROM report_checkpoint
              WHERE site_id = site AND dim = ANY ('{k,p,l}'::"char"[]) AND week = last_week
              UNION ALL
              SELECT dim, key_id, -1, clicks, bot_clicks, conversions, others, revenue
              FROM report_checkpoint
              WHERE site_id = site AND dim = ANY ('{k,p,l}'::"char"[])
                AND week = last_week - 7 * n_weeks) t
        GROUP BY dim, key_id
        HAVING sum(sign * (clicks + bot_clicks + conversions + others)) > 0;
    END LOOP;
    UPDATE report_state SET recent_through = last_week WHERE site_id = site;
END $$;

-- The triggers now keep the windows that end at recent_through (none while
-- it is NULL); otherwise as in 0003.
CREATE OR REPLACE FUNCTION affrank_report_apply(deltas affrank_report_delta[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    keyed affrank_report_keyed[];
    pick smallint := floor(random() * 8);
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
    SELECT d.site_id, d.day, d.attributed, pick, sum(d.clicks), sum(d.bot_clicks),
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
    SELECT k.site_id, k.dim, k.day, k.key_id, pick, k.clicks, k.bot_clicks,
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
    INSERT INTO report_recent AS r (site_id, dim, weeks, key_id, clicks, bot_clicks,
        conversions, others, revenue)
    SELECT k.site_id, k.dim, w.weeks, k.key_id, sum(k.clicks), sum(k.bot_clicks),
        sum(k.conversions), sum(k.others), sum(k.revenue)
    FROM unnest(keyed) k
    JOIN report_state s ON s.site_id = k.site_id AND k.day < s.recent_through
    JOIN unnest(affrank_report_windows()) w (weeks)
      ON k.day >= s.recent_through - 7 * w.weeks AND s.recent_through - 7 * w.weeks >= s.sealed_from
    GROUP BY 1, 2, 3, 4
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (site_id, dim, weeks, key_id) DO UPDATE SET
        clicks = r.clicks + EXCLUDED.clicks,
        bot_clicks = r.bot_clicks + EXCLUDED.bot_clicks,
        conversions = r.conversions + EXCLUDED.conversions,
        others = r.others + EXCLUDED.others,
        revenue = r.revenue + EXCLUDED.revenue;
END $$;

CREATE OR REPLACE FUNCTION affrank_report_clicks_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    pick smallint := floor(random() * 8);
BEGIN
    -- The click path's own version of affrank_report_apply, three
    -- statements instead of eight: every click batch pays for it.
    PERFORM pg_advisory_xact_lock_shared(affrank_report_lock_key(site_id))
    FROM (SELECT DISTINCT site_id FROM new_rows ORDER BY 1) s;

    INSERT INTO report_key (site_id, dim, key)
    SELECT DISTINCT c.site_id, k.dim, k.key
    FROM new_rows c
    CROSS JOIN LATERAL (VALUES ('k'::"char", coalesce(c.keyword, '')),
                               ('p'::"char", c.page_url),
                               ('l'::"char", c.link_id)) AS k (dim, key)
    ORDER BY 1, 2, 3
    ON CONFLICT (site_id, dim, key) DO NOTHING;

    WITH g AS MATERIALIZED (
        SELECT c.site_id, (c.clicked_at AT TIME ZONE s.time_zone)::date AS day,
               c.link_id, c.page_url, coalesce(c.keyword, '') AS keyword,
               count(*) FILTER (WHERE NOT c.is_bot) AS clicks,
               count(*) FILTER (WHERE c.is_bot) AS bot_clicks
        FROM new_rows c JOIN sites s ON s.id = c.site_id
        GROUP BY 1, 2, 3, 4, 5),
    keyed AS MATERIALIZED (
        SELECT g.site_id, k.dim, g.day, rk.id AS key_id,
               sum(g.clicks) AS clicks, sum(g.bot_clicks) AS bot_clicks
        FROM g
        CROSS JOIN LATERAL (VALUES ('k'::"char", g.keyword), ('p'::"char", g.page_url),
                                   ('l'::"char", g.link_id)) AS k (dim, key)
        JOIN report_key rk ON rk.site_id = g.site_id AND rk.dim = k.dim AND rk.key = k.key
        GROUP BY 1, 2, 3, 4),
    day_rows AS (
        INSERT INTO report_day AS r (site_id, dim, day, key_id, shard, clicks, bot_clicks)
        SELECT site_id, dim, day, key_id, pick, clicks, bot_clicks FROM keyed
        ORDER BY 1, 2, 3, 4
        ON CONFLICT (site_id, dim, day, key_id, shard) DO UPDATE SET
            clicks = r.clicks + EXCLUDED.clicks,
            bot_clicks = r.bot_clicks + EXCLUDED.bot_clicks),
    checkpoints AS (
        INSERT INTO report_checkpoint AS r (site_id, dim, week, key_id, clicks, bot_clicks)
        SELECT k.site_id, k.dim, w.week, k.key_id, sum(k.clicks), sum(k.bot_clicks)
        FROM keyed k
        JOIN report_state s ON s.site_id = k.site_id AND k.day < s.sealed_through
        CROSS JOIN LATERAL (
            SELECT greatest(s.sealed_from, affrank_week(k.day) + 7) + 7 * i AS week
            FROM generate_series(0, (s.sealed_through - greatest(s.sealed_from, affrank_week(k.day) + 7)) / 7) i
        ) w
        GROUP BY 1, 2, 3, 4
        ORDER BY 1, 2, 3, 4
        ON CONFLICT (site_id, dim, week, key_id) DO UPDATE SET
            clicks = r.clicks + EXCLUDED.clicks,
            bot_clicks = r.bot_clicks + EXCLUDED.bot_clicks),
    recent AS (
        INSERT INTO report_recent AS r (site_id, dim, weeks, key_id, clicks, bot_clicks)
        SELECT k.site_id, k.dim, w.weeks, k.key_id, sum(k.clicks), sum(k.bot_clicks)
        FROM keyed k
        JOIN report_state s ON s.site_id = k.site_id AND k.day < s.recent_through
        JOIN unnest(affrank_report_windows()) w (weeks)
          ON k.day >= s.recent_through - 7 * w.weeks AND s.recent_through - 7 * w.weeks >= s.sealed_from
        GROUP BY 1, 2, 3, 4
        ORDER BY 1, 2, 3, 4
        ON CONFLICT (site_id, dim, weeks, key_id) DO UPDATE SET
            clicks = r.clicks + EXCLUDED.clicks,
            bot_clicks = r.bot_clicks + EXCLUDED.bot_clicks)
    INSERT INTO report_site_day AS r (site_id, day, attributed, shard, clicks, bot_clicks)
    SELECT site_id, day, true, pick, sum(clicks), sum(bot_clicks) FROM g
    GROUP BY 1, 2
    ORDER BY 1, 2
    ON CONFLICT (site_id, day, attributed, shard) DO UPDATE SET
        clicks = r.clicks + EXCLUDED.clicks,
        bot_clicks = r.bot_clicks + EXCLUDED.bot_clicks;
    RETURN NULL;
END $$;

-- Seals as in 0003, and the windows once caught up.
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
    -- The recent windows end at the last checkpoint: recompute them when
    -- this is the last week to seal for now; until then there are none.
    IF next_week + 7 > through THEN
        PERFORM affrank_report_refresh_recent(site);
    ELSE
        DELETE FROM report_recent WHERE site_id = site;
        UPDATE report_state SET recent_through = NULL WHERE site_id = site;
    END IF;
    RETURN next_week;
END $$;

-- Windows for the sites already sealed.
DO $$
DECLARE
    site text;
BEGIN
    FOR site IN SELECT site_id FROM report_state ORDER BY site_id LOOP
        PERFORM pg_advisory_xact_lock(affrank_report_lock_key(site));
        PERFORM affrank_report_refresh_recent(site);
    END LOOP;
END $$;
