-- Revenue Mapping reports: daily rollups kept current by triggers, and
-- weekly checkpoints (running totals) so a report over any range reads a
-- number of rows bounded by the keys, not by the days. Applied once; never
-- edited.
--
-- Why triggers: every write path (the click writer, spool replay, postback
-- ingestion, COPY, hand-written SQL) updates the rollups in its own
-- transaction, so a report never disagrees with the raw tables and no Rust
-- write path had to change. Clicks are aggregated per statement (a batch of
-- 2,048 clicks is one GROUP BY and a handful of upserts), not per row.
--
-- Days are the site's local days (sites.time_zone). A time-zone change
-- rebuilds that site's rollups (affrank_report_rebuild, called by
-- PUT /api/v1/site in the same transaction).
--
-- Locking: a trigger takes a shared advisory lock per site (in site order)
-- before it reads the site's time zone; a rebuild or a checkpoint seal takes
-- that lock exclusively. So a seal or rebuild waits for the writes in flight,
-- reads a snapshot that includes them, and the writes after it see what it
-- wrote. Advisory locks live in shared memory: no tuple is written for them,
-- which matters at 30,000 clicks a second. Every trigger writes the tables
-- in one order (report_key, report_site_day, report_day, report_checkpoint)
-- and rows in key order, so two writers touching the same rows queue, never
-- deadlock.

-- Per site and local day: the summary and the timeseries. `attributed` false
-- holds the conversions no click was found for, on the day they arrived.
CREATE TABLE report_site_day (
    site_id          text    NOT NULL,
    day              date    NOT NULL,
    attributed       boolean NOT NULL,
    -- Clicks not flagged as bots, and clicks flagged as bots: which of them
    -- are billable depends on sites.exclude_bots, read when reporting.
    clicks           bigint  NOT NULL DEFAULT 0,
    bot_clicks       bigint  NOT NULL DEFAULT 0,
    -- Conversions by status.
    approved         bigint  NOT NULL DEFAULT 0,
    pending          bigint  NOT NULL DEFAULT 0,
    rejected         bigint  NOT NULL DEFAULT 0,
    reversed         bigint  NOT NULL DEFAULT 0,
    -- Approved or pending, split by is_lead; and those without an amount in
    -- the site's currency (no rate for their currency).
    sales            bigint  NOT NULL DEFAULT 0,
    leads            bigint  NOT NULL DEFAULT 0,
    unconverted      bigint  NOT NULL DEFAULT 0,
    -- amount_site summed by status; NULL amounts count as nothing.
    revenue          numeric NOT NULL DEFAULT 0,
    pending_revenue  numeric NOT NULL DEFAULT 0,
    reversed_revenue numeric NOT NULL DEFAULT 0,
    -- Every click batch of a site adds to today's row, and a row updated by
    -- one transaction is locked until it commits: the two click writers
    -- would take turns, commit by commit. Each statement picks one of
    -- eight shards at random, so they rarely meet; reports sum the shards.
    shard            smallint NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, day, attributed, shard)
);

-- The keys of the keyword ('k', '' for none), page ('p', the page URL) and
-- link ('l', the link id) reports, numbered: the rollups carry the number.
-- A report groups tens of thousands of rows by key, and hashing an integer
-- costs a fraction of hashing a URL; the rows are smaller too.
CREATE TABLE report_key (
    id      integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id text    NOT NULL,
    dim     "char"  NOT NULL CHECK (dim IN ('k', 'p', 'l')),
    key     text    NOT NULL,
    UNIQUE (site_id, dim, key)
);

-- Per site, dimension, local day and key: attributed figures only, on the
-- click's day.
CREATE TABLE report_day (
    site_id     text    NOT NULL,
    dim         "char"  NOT NULL,
    day         date    NOT NULL,
    key_id      integer NOT NULL,
    clicks      bigint  NOT NULL DEFAULT 0,
    bot_clicks  bigint  NOT NULL DEFAULT 0,
    -- Approved or pending.
    conversions bigint  NOT NULL DEFAULT 0,
    -- Rejected or reversed: no figure shows them, but a key with only those
    -- still had activity in the range and gets its row.
    others      bigint  NOT NULL DEFAULT 0,
    -- Approved amount_site.
    revenue     numeric NOT NULL DEFAULT 0,
    -- As in report_site_day: the popular keywords and links are in most
    -- click batches.
    shard       smallint NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, dim, day, key_id, shard)
);

-- Running totals: the row (site, dim, week, key) holds the sum of every
-- report_day row of that key on days before `week` (a Monday). Dense: a
-- checkpoint has a row for every key seen before it, so the totals of any
-- range are C(end) - C(start) plus at most a few days of report_day rows
-- on each side, about twice the number of keys whatever the range's length.
-- Sealed one week at a time by affrank_report_seal, for every Monday from
-- report_state.sealed_from to sealed_through; a later write to an earlier
-- day is added to every checkpoint after it by the triggers.
CREATE TABLE report_checkpoint (
    site_id     text    NOT NULL,
    dim         "char"  NOT NULL,
    week        date    NOT NULL,
    key_id      integer NOT NULL,
    clicks      bigint  NOT NULL DEFAULT 0,
    bot_clicks  bigint  NOT NULL DEFAULT 0,
    conversions bigint  NOT NULL DEFAULT 0,
    others      bigint  NOT NULL DEFAULT 0,
    revenue     numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, dim, week, key_id)
);

-- The totals of the 1, 4, 13 and 52 weeks before the last checkpoint
-- (C(last) - C(last - n weeks), keys with activity only): the usual
-- ranges end today, and reading one of these instead of two dense
-- checkpoints halves a long report's work. Rewritten by every seal; a
-- write to a day inside a window updates it.
CREATE TABLE report_recent (
    site_id     text     NOT NULL,
    dim         "char"   NOT NULL,
    weeks       smallint NOT NULL,
    key_id      integer  NOT NULL,
    clicks      bigint   NOT NULL DEFAULT 0,
    bot_clicks  bigint   NOT NULL DEFAULT 0,
    conversions bigint   NOT NULL DEFAULT 0,
    others      bigint   NOT NULL DEFAULT 0,
    revenue     numeric  NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, dim, weeks, key_id)
);

CREATE TABLE report_state (
    site_id         text PRIMARY KEY,
    sealed_from     date NOT NULL,
    sealed_through  date NOT NULL,
    -- Per dimension (keyword, page, link): the rows of the last checkpoint
    -- over the average report_day rows of one day in the week before it.
    -- Reading a checkpoint costs that many days of rows; a report weighs
    -- it against reading the days themselves.
    checkpoint_days real[] NOT NULL DEFAULT '{3,3,3}'
);

-- One contribution to the rollups: a group of clicks, or one conversion
-- (negated to take it out again), already placed on its local day.
CREATE TYPE affrank_report_delta AS (
    site_id          text,
    day              date,
    attributed       boolean,
    link_id          text,
    page_url         text,
    keyword          text,
    clicks           bigint,
    bot_clicks       bigint,
    approved         bigint,
    pending          bigint,
    rejected         bigint,
    reversed         bigint,
    sales            bigint,
    leads            bigint,
    unconverted      bigint,
    revenue          numeric,
    pending_revenue  numeric,
    reversed_revenue numeric
);

-- A delta placed on its key, for one dimension.
CREATE TYPE affrank_report_keyed AS (
    site_id     text,
    dim         "char",
    day         date,
    key_id      integer,
    clicks      bigint,
    bot_clicks  bigint,
    conversions bigint,
    others      bigint,
    revenue     numeric
);

CREATE FUNCTION affrank_report_lock_key(site text) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT hashtextextended('affrank-report:' || site, 0) $$;

-- The Monday a day's week starts on (ISO weeks, whatever the time zone).
CREATE FUNCTION affrank_week(day date) RETURNS date
LANGUAGE sql IMMUTABLE AS $$ SELECT day - (extract(isodow FROM day)::int - 1) $$;

-- The lengths, in weeks, of the report_recent windows.
CREATE FUNCTION affrank_report_windows() RETURNS smallint[]
LANGUAGE sql IMMUTABLE AS $$ SELECT '{1,4,13,52}'::smallint[] $$;

-- Shared locks on the sites a statement wrote, in one order for everyone.
CREATE FUNCTION affrank_report_lock(sites text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    site text;
BEGIN
    FOR site IN SELECT DISTINCT s FROM unnest(sites) s ORDER BY 1 LOOP
        PERFORM pg_advisory_xact_lock_shared(affrank_report_lock_key(site));
    END LOOP;
END $$;

-- What one conversion row adds to the rollups (sign 1) or takes out (-1).
-- Attributed (clicked_at set): on the click's local day, to its link, page
-- and keyword. Unattributed: on the local day it was received, site only.
CREATE FUNCTION affrank_report_conversion_delta(
    site_id text, status text, amount_site numeric, unconverted boolean, is_lead boolean,
    received_at timestamptz, clicked_at timestamptz, link_id text, page_url text, keyword text,
    tz text, sign integer)
RETURNS affrank_report_delta
LANGUAGE sql STABLE AS $$
    SELECT ROW(
        site_id,
        (coalesce(clicked_at, received_at) AT TIME ZONE tz)::date,
        clicked_at IS NOT NULL,
        coalesce(link_id, ''), coalesce(page_url, ''), keyword,
        0, 0,
        sign * (status = 'approved')::int,
        sign * (status = 'pending')::int,
        sign * (status = 'rejected')::int,
        sign * (status = 'reversed')::int,
        sign * (status IN ('approved', 'pending') AND NOT is_lead)::int,
        sign * (status IN ('approved', 'pending') AND is_lead)::int,
        sign * (status IN ('approved', 'pending') AND unconverted)::int,
        sign * CASE WHEN status = 'approved' THEN coalesce(amount_site, 0) ELSE 0 END,
        sign * CASE WHEN status = 'pending' THEN coalesce(amount_site, 0) ELSE 0 END,
        sign * CASE WHEN status = 'reversed' THEN coalesce(amount_site, 0) ELSE 0 END
    )::affrank_report_delta
$$;

-- Adds contributions to every rollup. The caller holds the sites' shared
-- locks and has placed each delta on its day.
CREATE FUNCTION affrank_report_apply(deltas affrank_report_delta[]) RETURNS void
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
    JOIN report_state s ON s.site_id = k.site_id AND k.day < s.sealed_through
    JOIN unnest(affrank_report_windows()) w (weeks)
      ON k.day >= s.sealed_through - 7 * w.weeks AND s.sealed_through - 7 * w.weeks >= s.sealed_from
    GROUP BY 1, 2, 3, 4
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (site_id, dim, weeks, key_id) DO UPDATE SET
        clicks = r.clicks + EXCLUDED.clicks,
        bot_clicks = r.bot_clicks + EXCLUDED.bot_clicks,
        conversions = r.conversions + EXCLUDED.conversions,
        others = r.others + EXCLUDED.others,
        revenue = r.revenue + EXCLUDED.revenue;
END $$;

-- Clicks, grouped per statement: inserted rows add, deleted rows subtract,
-- updated rows do both (clicks are never updated or deleted by the sidecar;
-- these keep hand-written SQL honest).
CREATE FUNCTION affrank_report_clicks_insert() RETURNS trigger
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
        JOIN report_state s ON s.site_id = k.site_id AND k.day < s.sealed_through
        JOIN unnest(affrank_report_windows()) w (weeks)
          ON k.day >= s.sealed_through - 7 * w.weeks AND s.sealed_through - 7 * w.weeks >= s.sealed_from
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

CREATE FUNCTION affrank_report_clicks_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM affrank_report_lock(ARRAY(SELECT site_id FROM old_rows));
    PERFORM affrank_report_apply(ARRAY(
        SELECT ROW(g.site_id, g.day, true, g.link_id, g.page_url, g.keyword,
                   -g.clicks, -g.bot_clicks, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)::affrank_report_delta
        FROM (SELECT c.site_id, (c.clicked_at AT TIME ZONE s.time_zone)::date AS day,
                     c.link_id, c.page_url, c.keyword,
                     count(*) FILTER (WHERE NOT c.is_bot) AS clicks,
                     count(*) FILTER (WHERE c.is_bot) AS bot_clicks
              FROM old_rows c JOIN sites s ON s.id = c.site_id
              GROUP BY 1, 2, 3, 4, 5) g));
    RETURN NULL;
END $$;

CREATE FUNCTION affrank_report_clicks_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM affrank_report_lock(ARRAY(SELECT site_id FROM old_rows UNION ALL SELECT site_id FROM new_rows));
    PERFORM affrank_report_apply(ARRAY(
        SELECT ROW(g.site_id, g.day, true, g.link_id, g.page_url, g.keyword,
                   g.clicks, g.bot_clicks, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)::affrank_report_delta
        FROM (SELECT c.site_id, (c.clicked_at AT TIME ZONE s.time_zone)::date AS day,
                     c.link_id, c.page_url, c.keyword,
                     sum(c.sign) FILTER (WHERE NOT c.is_bot) AS clicks,
                     sum(c.sign) FILTER (WHERE c.is_bot) AS bot_clicks
              FROM (SELECT *, -1 AS sign FROM old_rows UNION ALL SELECT *, 1 FROM new_rows) c
              JOIN sites s ON s.id = c.site_id
              GROUP BY 1, 2, 3, 4, 5) g));
    RETURN NULL;
END $$;

CREATE TRIGGER clicks_report_insert AFTER INSERT ON clicks
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION affrank_report_clicks_insert();
CREATE TRIGGER clicks_report_delete AFTER DELETE ON clicks
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION affrank_report_clicks_delete();
CREATE TRIGGER clicks_report_update AFTER UPDATE ON clicks
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION affrank_report_clicks_update();

-- Conversions: a new one adds; an update takes the old row out and puts the
-- new one in (a status change, a reversal, a late match to its click); a
-- deleted one comes out. Only rows whose contribution can differ are
-- touched. A site deleted with its conversions is no longer in `sites`, so
-- its rows contribute nothing (its rollups go with it, below).
CREATE FUNCTION affrank_report_conversions_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM affrank_report_lock(ARRAY(SELECT site_id FROM new_rows));
    PERFORM affrank_report_apply(ARRAY(
        SELECT affrank_report_conversion_delta(c.site_id, c.status, c.amount_site, c.unconverted, c.is_lead, c.received_at, c.clicked_at, c.link_id, c.page_url, c.keyword, s.time_zone, 1)
        FROM new_rows c JOIN sites s ON s.id = c.site_id));
    RETURN NULL;
END $$;

CREATE FUNCTION affrank_report_conversions_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM affrank_report_lock(ARRAY(SELECT site_id FROM old_rows UNION ALL SELECT site_id FROM new_rows));
    PERFORM affrank_report_apply(ARRAY(
        WITH changed AS (
            SELECT o.id FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE (o.site_id, o.status, o.amount_site, o.unconverted, o.is_lead, o.received_at,
                   o.clicked_at, o.link_id, o.page_url, o.keyword)
               IS DISTINCT FROM
                  (n.site_id, n.status, n.amount_site, n.unconverted, n.is_lead, n.received_at,
                   n.clicked_at, n.link_id, n.page_url, n.keyword))
        SELECT affrank_report_conversion_delta(c.site_id, c.status, c.amount_site, c.unconverted, c.is_lead, c.received_at, c.clicked_at, c.link_id, c.page_url, c.keyword, s.time_zone, c.sign)
        FROM (SELECT o.*, -1 AS sign FROM old_rows o WHERE o.id IN (SELECT id FROM changed)
              UNION ALL
              SELECT n.*, 1 FROM new_rows n WHERE n.id IN (SELECT id FROM changed)) c
        JOIN sites s ON s.id = c.site_id));
    RETURN NULL;
END $$;

CREATE FUNCTION affrank_report_conversions_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM affrank_report_lock(ARRAY(SELECT site_id FROM old_rows));
    PERFORM affrank_report_apply(ARRAY(
        SELECT affrank_report_conversion_delta(c.site_id, c.status, c.amount_site, c.unconverted, c.is_lead, c.received_at, c.clicked_at, c.link_id, c.page_url, c.keyword, s.time_zone, -1)
        FROM old_rows c JOIN sites s ON s.id = c.site_id));
    RETURN NULL;
END $$;

CREATE TRIGGER conversions_report_insert AFTER INSERT ON conversions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION affrank_report_conversions_insert();
CREATE TRIGGER conversions_report_update AFTER UPDATE ON conversions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION affrank_report_conversions_update();
CREATE TRIGGER conversions_report_delete AFTER DELETE ON conversions
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION affrank_report_conversions_delete();

-- A deleted site takes its rollups along (no foreign keys on the rollups:
-- each new rollup row would pay a lookup and a row lock on `sites`).
CREATE FUNCTION affrank_report_forget_site() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM report_site_day WHERE site_id = OLD.id;
    DELETE FROM report_day WHERE site_id = OLD.id;
    DELETE FROM report_checkpoint WHERE site_id = OLD.id;
    DELETE FROM report_recent WHERE site_id = OLD.id;
    DELETE FROM report_state WHERE site_id = OLD.id;
    DELETE FROM report_key WHERE site_id = OLD.id;
    RETURN NULL;
END $$;

CREATE TRIGGER sites_report_forget AFTER DELETE ON sites
    FOR EACH ROW EXECUTE FUNCTION affrank_report_forget_site();

-- Recomputes one site's rollups from `clicks` and `conversions` in its
-- current time zone; checkpoints are sealed again afterwards. Holds the
-- site's lock exclusively, so that site's writes wait until it commits.
CREATE FUNCTION affrank_report_rebuild(site text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    tz text;
BEGIN
    PERFORM pg_advisory_xact_lock(affrank_report_lock_key(site));
    DELETE FROM report_site_day WHERE site_id = site;
    DELETE FROM report_day WHERE site_id = site;
    DELETE FROM report_checkpoint WHERE site_id = site;
    DELETE FROM report_recent WHERE site_id = site;
    DELETE FROM report_state WHERE site_id = site;
    SELECT time_zone INTO tz FROM sites WHERE id = site;
    IF tz IS NULL THEN
        RETURN;
    END IF;

    CREATE TEMP TABLE affrank_rebuild ON COMMIT DROP AS
    SELECT c.site_id, (c.clicked_at AT TIME ZONE tz)::date AS day, true AS attributed,
           c.link_id, c.page_url, c.keyword,
           count(*) FILTER (WHERE NOT c.is_bot) AS clicks,
           count(*) FILTER (WHERE c.is_bot) AS bot_clicks,
           0::bigint AS approved, 0::bigint AS pending, 0::bigint AS rejected, 0::bigint AS reversed,
           0::bigint AS sales, 0::bigint AS leads, 0::bigint AS unconverted,
           0::numeric AS revenue, 0::numeric AS pending_revenue, 0::numeric AS reversed_revenue
    FROM clicks c WHERE c.site_id = site
    GROUP BY 1, 2, 3, 4, 5, 6
    UNION ALL
    SELECT d.*
    FROM conversions c
    CROSS JOIN LATERAL affrank_report_conversion_delta(c.site_id, c.status, c.amount_site, c.unconverted, c.is_lead, c.received_at, c.clicked_at, c.link_id, c.page_url, c.keyword, tz, 1) d
    WHERE c.site_id = site;

    INSERT INTO report_site_day (site_id, day, attributed, clicks, bot_clicks,
        approved, pending, rejected, reversed, sales, leads, unconverted,
        revenue, pending_revenue, reversed_revenue)
    SELECT site_id, day, attributed, sum(clicks), sum(bot_clicks),
        sum(approved), sum(pending), sum(rejected), sum(reversed),
        sum(sales), sum(leads), sum(unconverted),
        sum(revenue), sum(pending_revenue), sum(reversed_revenue)
    FROM affrank_rebuild
    GROUP BY 1, 2, 3;

    INSERT INTO report_key (site_id, dim, key)
    SELECT DISTINCT d.site_id, k.dim, k.key
    FROM affrank_rebuild d
    CROSS JOIN LATERAL (VALUES ('k'::"char", coalesce(d.keyword, '')),
                               ('p'::"char", d.page_url),
                               ('l'::"char", d.link_id)) AS k (dim, key)
    WHERE d.attributed
    ON CONFLICT (site_id, dim, key) DO NOTHING;

    INSERT INTO report_day (site_id, dim, day, key_id, clicks, bot_clicks, conversions, others, revenue)
    SELECT d.site_id, k.dim, d.day, rk.id, sum(d.clicks), sum(d.bot_clicks),
        sum(d.approved + d.pending), sum(d.rejected + d.reversed), sum(d.revenue)
    FROM affrank_rebuild d
    CROSS JOIN LATERAL (VALUES ('k'::"char", coalesce(d.keyword, '')),
                               ('p'::"char", d.page_url),
                               ('l'::"char", d.link_id)) AS k (dim, key)
    JOIN report_key rk ON rk.site_id = d.site_id AND rk.dim = k.dim AND rk.key = k.key
    WHERE d.attributed
    GROUP BY 1, 2, 3, 4;

    DROP TABLE affrank_rebuild;
END $$;

-- Seals the next weekly checkpoint of one site, if its Monday is no later
-- than `through`: C(next) = C(last) + the report_day rows of the week
-- between (the first checkpoint: every earlier report_day row). Returns the
-- Monday sealed, or NULL when there is nothing to seal. One week per call,
-- so the site's writes wait for one short transaction at a time.
CREATE FUNCTION affrank_report_seal(site text, through date) RETURNS date
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
    -- The windows ending at the new checkpoint, where both ends are sealed.
    DELETE FROM report_recent WHERE site_id = site;
    INSERT INTO report_recent (site_id, dim, weeks, key_id, clicks, bot_clicks, conversions,
        others, revenue)
    SELECT site, e.dim, w.weeks, e.key_id, e.clicks - coalesce(a.clicks, 0),
        e.bot_clicks - coalesce(a.bot_clicks, 0), e.conversions - coalesce(a.conversions, 0),
        e.others - coalesce(a.others, 0), e.revenue - coalesce(a.revenue, 0)
    FROM unnest(affrank_report_windows()) w (weeks)
    JOIN report_state st ON st.site_id = site AND next_week - 7 * w.weeks >= st.sealed_from
    JOIN report_checkpoint e ON e.site_id = site AND e.week = next_week
    LEFT JOIN report_checkpoint a ON a.site_id = site AND a.dim = e.dim
        AND a.week = next_week - 7 * w.weeks AND a.key_id = e.key_id
    WHERE e.clicks + e.bot_clicks + e.conversions + e.others
        > coalesce(a.clicks + a.bot_clicks + a.conversions + a.others, 0);
    RETURN next_week;
END $$;

-- Anything already in the tables when this migration runs.
DO $$
DECLARE
    site text;
BEGIN
    FOR site IN SELECT id FROM sites ORDER BY id LOOP
        PERFORM affrank_report_rebuild(site);
    END LOOP;
END $$;
