-- Amazon by tracking id, manual entry, and page credit in the reports
-- (issue #15, sections 2 and 3). Applied once; never edited.
--
-- Amazon shows sub-tags (ascsubtag) only to large publishers, so most
-- bloggers' Amazon reports say only which tracking id earned. A site keeps
-- a pool of its tracking ids; each page with Amazon links takes one (in
-- order, on its first rewrite, or by hand), and the rewrite sets the page's
-- Amazon links' `tag=` to it. A conversion of network `amazon` that no
-- click claims and whose `label` is a page's tracking id is then credited
-- to that page, its keyword, and the page's link with the same ASIN.
ALTER TABLE sites
    ADD COLUMN amazon_tracking_ids text[] NOT NULL DEFAULT '{}',
    ADD COLUMN amazon_tracking_assignment text NOT NULL DEFAULT 'auto'
        CHECK (amazon_tracking_assignment IN ('auto', 'manual'));

-- Which page holds which tracking id: one id per page, one page per id.
-- `assigned` says who chose it (the rewrite, or the blogger).
CREATE TABLE amazon_pages (
    site_id     text        NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    page_url    text        NOT NULL,
    post_id     bigint,
    tracking_id text        NOT NULL,
    assigned    text        NOT NULL CHECK (assigned IN ('auto', 'manual')),
    assigned_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, page_url),
    CONSTRAINT amazon_pages_site_tracking_key UNIQUE (site_id, tracking_id)
);

-- Assignments of a site are made one at a time (across sidecar processes):
-- two pages rewritten at once must not both take the pool's next id.
CREATE FUNCTION affrank_amazon_lock_key(site text) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT hashtextextended('affrank-amazon:' || site, 0) $$;

-- The tracking id of a page: the one it holds, else (with `auto`
-- assignment) the first id of the pool no page holds, which it keeps from
-- now on; NULL when it holds none and none can be given (manual
-- assignment, an empty or used-up pool). One round trip, and the lock only
-- on a page's first rewrite.
CREATE FUNCTION affrank_amazon_page_tag(site text, page text, post bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    found text;
    pool text[];
    mode text;
BEGIN
    SELECT tracking_id INTO found FROM amazon_pages WHERE site_id = site AND page_url = page;
    IF found IS NOT NULL THEN
        RETURN found;
    END IF;
    SELECT amazon_tracking_ids, amazon_tracking_assignment INTO pool, mode
    FROM sites WHERE id = site;
    IF mode IS DISTINCT FROM 'auto' OR coalesce(cardinality(pool), 0) = 0 THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(affrank_amazon_lock_key(site));
    -- Each statement reads what committed before it: after the lock, what
    -- the previous holder assigned.
    SELECT tracking_id INTO found FROM amazon_pages WHERE site_id = site AND page_url = page;
    IF found IS NOT NULL THEN
        RETURN found;
    END IF;
    INSERT INTO amazon_pages (site_id, page_url, post_id, tracking_id, assigned)
    SELECT site, page, post, t.id, 'auto'
    FROM sites s CROSS JOIN LATERAL unnest(s.amazon_tracking_ids) WITH ORDINALITY AS t (id, n)
    WHERE s.id = site
      AND NOT EXISTS (SELECT 1 FROM amazon_pages p WHERE p.site_id = site AND p.tracking_id = t.id)
    ORDER BY t.n
    LIMIT 1
    RETURNING tracking_id INTO found;
    RETURN found;
END $$;

-- The ASIN of an Amazon product URL (/dp/X, /gp/product/X, /gp/aw/d/X,
-- /exec/obidos/ASIN/X, /o/ASIN/X), upper case; NULL when it names none.
CREATE FUNCTION affrank_amazon_asin(url text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT upper(substring(url FROM
        '(?i)/(?:dp|gp/product|gp/aw/d|exec/obidos/asin|o/asin)/([A-Z0-9]{10})(?:[/?#]|$)'))
$$;

-- A page's links, for the credit below and the health check.
CREATE INDEX links_site_page_idx ON links (site_id, page_url);

-- Page credit, for a conversion no click claims: its `page_url` (typed in
-- by hand, or the page holding its Amazon tracking id), the link on that
-- page whose ASIN is its `product` (and that link's keyword), else the
-- page's keyword (the one most of its links carry). A row trigger, so that
-- every way in (postbacks, imports, API pulls, manual entry, hand-written
-- SQL) credits alike without each knowing how; its WHEN clauses keep the
-- postback path's rows (a click, or no page and no label) from ever
-- calling it. A click, when one turns up (late matching), overwrites all
-- of it: the click wins.
--
-- An update that blanks the page of a row with no click (a repeat postback
-- copies the click columns, which it did not find) keeps the page's
-- credit, unless the writer asked to clear it (`affrank.clear_page_credit`
-- on, set locally by manual entry's PUT with "page_url": null).
CREATE FUNCTION affrank_conversion_credit_page() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    hit_id text;
    hit_keyword text;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.page_url IS NULL AND OLD.page_url IS NOT NULL
       AND OLD.clicked_at IS NULL
       AND current_setting('affrank.clear_page_credit', true) IS DISTINCT FROM 'on' THEN
        NEW.page_url := OLD.page_url;
        NEW.link_id := OLD.link_id;
        NEW.keyword := OLD.keyword;
        RETURN NEW;
    END IF;
    NEW.link_id := NULL;
    NEW.keyword := NULL;
    IF NEW.page_url IS NULL AND NEW.network = 'amazon' AND NEW.label IS NOT NULL THEN
        SELECT page_url INTO NEW.page_url
        FROM amazon_pages WHERE site_id = NEW.site_id AND tracking_id = NEW.label;
    END IF;
    IF NEW.page_url IS NULL THEN
        RETURN NEW;
    END IF;
    IF NEW.product IS NOT NULL THEN
        SELECT id, keyword INTO hit_id, hit_keyword
        FROM links
        WHERE site_id = NEW.site_id AND page_url = NEW.page_url
          AND affrank_amazon_asin(url) = upper(btrim(NEW.product))
        ORDER BY last_seen_at DESC, id
        LIMIT 1;
    END IF;
    IF hit_id IS NOT NULL THEN
        NEW.link_id := hit_id;
        NEW.keyword := hit_keyword;
    ELSE
        SELECT keyword INTO NEW.keyword
        FROM links
        WHERE site_id = NEW.site_id AND page_url = NEW.page_url AND keyword IS NOT NULL
        GROUP BY keyword
        ORDER BY count(*) DESC, keyword
        LIMIT 1;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER conversions_credit_page_insert BEFORE INSERT ON conversions
    FOR EACH ROW
    WHEN (NEW.clicked_at IS NULL AND (NEW.page_url IS NOT NULL OR NEW.label IS NOT NULL))
    EXECUTE FUNCTION affrank_conversion_credit_page();
CREATE TRIGGER conversions_credit_page_update BEFORE UPDATE ON conversions
    FOR EACH ROW
    WHEN (NEW.clicked_at IS NULL
          AND (OLD.page_url, OLD.link_id, OLD.keyword, OLD.product, OLD.label, OLD.network, OLD.clicked_at)
              IS DISTINCT FROM
              (NEW.page_url, NEW.link_id, NEW.keyword, NEW.product, NEW.label, NEW.network, NEW.clicked_at))
    EXECUTE FUNCTION affrank_conversion_credit_page();

-- Reports: a page-credited conversion counts in the page and keyword rows
-- (and the link's, when a link matched) on the day it was received, like
-- a click's conversion on its click's day. `attributed` in the rollups now
-- means credited to a click or a page; the rest is the summary's
-- unattributed revenue. A page credit with no link has no link key.
CREATE OR REPLACE FUNCTION affrank_report_conversion_delta(
    site_id text, status text, amount_site numeric, unconverted boolean, is_lead boolean,
    received_at timestamptz, clicked_at timestamptz, link_id text, page_url text, keyword text,
    tz text, sign integer)
RETURNS affrank_report_delta
LANGUAGE sql STABLE AS $$
    SELECT ROW(
        site_id,
        (coalesce(clicked_at, received_at) AT TIME ZONE tz)::date,
        clicked_at IS NOT NULL OR page_url IS NOT NULL,
        CASE WHEN clicked_at IS NOT NULL THEN coalesce(link_id, '') ELSE link_id END,
        coalesce(page_url, ''), keyword,
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

-- As in 0006, but a key that is NULL (a page credit's missing link) is not
-- numbered; the rows that would carry it join no key and are left out.
CREATE OR REPLACE FUNCTION affrank_report_apply(deltas affrank_report_delta[], into_shard smallint) RETURNS void
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
    WHERE d.attributed AND k.key IS NOT NULL
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
-- As in 0003's rebuild (renamed to recount by 0005), with the same NULL key rule.
CREATE OR REPLACE FUNCTION affrank_report_recount(site text) RETURNS void
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
    WHERE d.attributed AND k.key IS NOT NULL
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
-- Filtered reports (network=) and the attribution coverage read conversions
-- by site and day (a click's, or the day received), which no index served.
CREATE INDEX conversions_site_day_idx ON conversions (site_id, (coalesce(clicked_at, received_at)));

-- Manual entry (POST /api/v1/conversions): the blogger's own words about a
-- conversion they typed in ("paid by bank transfer"). NULL for the others.
ALTER TABLE conversions ADD COLUMN note text;

-- The summary's attribution coverage sums the page-credited conversions of
-- a range: few rows, found without reading the others.
CREATE INDEX conversions_page_credit_idx ON conversions (site_id, received_at)
    WHERE clicked_at IS NULL AND page_url IS NOT NULL;
