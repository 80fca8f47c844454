-- GENERATED: do not edit. The schema of a database after every migration in
-- migrations/, as `pg_dump --schema-only --no-owner --no-privileges` of
-- PostgreSQL 15 prints it, less what only sets up a restore
-- (version lines, \restrict key, SET lines).
-- For reading, not for restoring: databases are made by the migrations.
-- Regenerate with scripts/schema; `cargo test --test api schema` fails when
-- this file is stale.

--
-- Name: affrank_report_delta; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.affrank_report_delta AS (
	site_id text,
	day date,
	attributed boolean,
	link_id text,
	page_url text,
	keyword text,
	clicks bigint,
	bot_clicks bigint,
	approved bigint,
	pending bigint,
	rejected bigint,
	reversed bigint,
	sales bigint,
	leads bigint,
	unconverted bigint,
	revenue numeric,
	pending_revenue numeric,
	reversed_revenue numeric
);


--
-- Name: affrank_report_keyed; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.affrank_report_keyed AS (
	site_id text,
	dim "char",
	day date,
	key_id integer,
	clicks bigint,
	bot_clicks bigint,
	conversions bigint,
	others bigint,
	revenue numeric
);


--
-- Name: affrank_amazon_asin(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.affrank_amazon_asin(url text) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $_$
    SELECT upper(substring(url FROM
        '(?i)/(?:dp|gp/product|gp/aw/d|exec/obidos/asin|o/asin)/([A-Z0-9]{10})(?:[/?#]|$)'))
$_$;


--
-- Name: affrank_amazon_lock_key(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.affrank_amazon_lock_key(site text) RETURNS bigint
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT hashtextextended('affrank-amazon:' || site, 0) $$;


--
-- Name: affrank_amazon_page_tag(text, text, bigint); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.affrank_amazon_page_tag(site text, page text, post bigint) RETURNS text
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: affrank_conversion_credit_page(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.affrank_conversion_credit_page() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: affrank_ledger_existing(text[], text[]); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.affrank_ledger_existing(sites text[], transaction_ids text[]) RETURNS TABLE(site_id text, transaction_id text, network text, id bigint)
    LANGUAGE plpgsql
    AS $$
DECLARE
    site text;
BEGIN
    FOR site IN SELECT DISTINCT s FROM unnest(sites, transaction_ids) k (s, t)
                WHERE t IS NOT NULL ORDER BY 1 LOOP
        PERFORM pg_advisory_xact_lock_shared(affrank_ledger_lock_key(site));
    END LOOP;
    RETURN QUERY
        SELECT c.site_id, c.transaction_id, c.network, c.id
        FROM (SELECT DISTINCT s, t FROM unnest(sites, transaction_ids) k (s, t)
              WHERE t IS NOT NULL) k
        JOIN conversions c ON c.site_id = k.s AND c.transaction_id = k.t;
END $$;


--
-- Name: affrank_ledger_lock_key(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.affrank_ledger_lock_key(site text) RETURNS bigint
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT hashtextextended('affrank-ledger:' || site, 0) $$;


--
-- Name: affrank_link_changed(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.affrank_link_changed() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.changed_xid := pg_current_xact_id();
    RETURN NEW;
END
$$;


--
-- Name: affrank_record_clicks(text[], text[], text[], timestamp with time zone[], text[], text[], text[], text[], text[], text[], text[], boolean[], text[], timestamp with time zone[], text[], text[], text[], bigint[], bigint[]); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.affrank_record_clicks(session_ids text[], site_ids text[], link_ids text[], clicked_ats timestamp with time zone[], page_urls text[], keywords text[], keyword_sources text[], networks text[], referrers text[], user_agents text[], visitor_hashes text[], bots boolean[], group_sites text[], group_seconds timestamp with time zone[], group_links text[], group_pages text[], group_keywords text[], group_clicks bigint[], group_bot_clicks bigint[]) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    pending_here constant boolean := cardinality(session_ids) <= 1000;
    site text;
BEGIN
    IF pending_here THEN
        FOREACH site IN ARRAY group_sites LOOP
            PERFORM pg_advisory_xact_lock_shared(affrank_report_pending_lock_key(site));
        END LOOP;
        PERFORM set_config('affrank.pending_written', 'on', true);
    END IF;

    WITH pending AS (
        INSERT INTO report_click_pending (site_id, second, link_id, page_url, keyword,
                                          clicks, bot_clicks)
        SELECT unnest(group_sites), unnest(group_seconds), unnest(group_links),
               unnest(group_pages), unnest(group_keywords), unnest(group_clicks),
               unnest(group_bot_clicks)
        WHERE pending_here)
    INSERT INTO clicks (session_id, site_id, link_id, clicked_at, page_url, keyword,
                        keyword_source, network, referrer, user_agent, visitor_hash, is_bot)
    SELECT unnest(session_ids), unnest(site_ids), unnest(link_ids), unnest(clicked_ats),
           unnest(page_urls), unnest(keywords), unnest(keyword_sources), unnest(networks),
           unnest(referrers), unnest(user_agents), unnest(visitor_hashes), unnest(bots);

    IF pending_here THEN
        PERFORM set_config('affrank.pending_written', 'off', true);
    END IF;
END $$;


--
-- Name: affrank_report_apply(public.affrank_report_delta[]); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.affrank_report_apply(deltas public.affrank_report_delta[]) RETURNS void
    LANGUAGE sql
    AS $$ SELECT affrank_report_apply(deltas, floor(random() * 8)::smallint) $$;


--
-- Name: affrank_report_apply(public.affrank_report_delta[], smallint); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.affrank_report_apply(deltas public.affrank_report_delta[], into_shard smallint) RETURNS void
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: affrank_report_clicks_delete(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.affrank_report_clicks_delete() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: affrank_report_clicks_insert(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.affrank_report_clicks_insert() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: affrank_report_clicks_update(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.affrank_report_clicks_update() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: affrank_report_conversion_delta(text, text, numeric, boolean, boolean, timestamp with time zone, timestamp with time zone, text, text, text, text, integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.affrank_report_conversion_delta(site_id text, status text, amount_site numeric, unconverted boolean, is_lead boolean, received_at timestamp with time zone, clicked_at timestamp with time zone, link_id text, page_url text, keyword text, tz text, sign integer) RETURNS public.affrank_report_delta
    LANGUAGE sql STABLE
    AS $$
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


--
-- Name: affrank_report_conversions_delete(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.affrank_report_conversions_delete() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM affrank_report_lock(ARRAY(SELECT site_id FROM old_rows));
    PERFORM affrank_report_apply(ARRAY(
        SELECT affrank_report_conversion_delta(c.site_id, c.status, c.amount_site, c.unconverted, c.is_lead, c.received_at, c.clicked_at, c.link_id, c.page_url, c.keyword, s.time_zone, -1)
        FROM old_rows c JOIN sites s ON s.id = c.site_id));
    RETURN NULL;
END $$;


--
-- Name: affrank_report_conversions_insert(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.affrank_report_conversions_insert() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    -- INSERT … ON CONFLICT fires the INSERT and the UPDATE statement
    -- triggers; a batch of postbacks usually has work for only one of them.
    IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
        RETURN NULL;
    END IF;
    PERFORM affrank_report_lock(ARRAY(SELECT site_id FROM new_rows));
    PERFORM affrank_report_apply(ARRAY(
        SELECT affrank_report_conversion_delta(c.site_id, c.status, c.amount_site, c.unconverted, c.is_lead, c.received_at, c.clicked_at, c.link_id, c.page_url, c.keyword, s.time_zone, 1)
        FROM new_rows c JOIN sites s ON s.id = c.site_id));
    RETURN NULL;
END $$;


--
-- Name: affrank_report_conversions_update(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.affrank_report_conversions_update() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
        RETURN NULL;
    END IF;
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


--
-- Name: affrank_report_cumulative(text, date); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.affrank_report_cumulative(site text, x date) RETURNS TABLE(dim "char", key_id integer, clicks bigint, bot_clicks bigint, conversions bigint, others bigint, revenue numeric)
    LANGUAGE sql STABLE
    AS $$
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


--
-- Name: affrank_report_fold(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.affrank_report_fold(site text) RETURNS bigint
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: affrank_report_forget_site(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.affrank_report_forget_site() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    DELETE FROM report_site_day WHERE site_id = OLD.id;
    DELETE FROM report_day WHERE site_id = OLD.id;
    DELETE FROM report_checkpoint WHERE site_id = OLD.id;
    DELETE FROM report_recent WHERE site_id = OLD.id;
    DELETE FROM report_state WHERE site_id = OLD.id;
    DELETE FROM report_key WHERE site_id = OLD.id;
    RETURN NULL;
END $$;


--
-- Name: affrank_report_lock(text[]); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.affrank_report_lock(sites text[]) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    site text;
BEGIN
    FOR site IN SELECT DISTINCT s FROM unnest(sites) s ORDER BY 1 LOOP
        PERFORM pg_advisory_xact_lock_shared(affrank_report_lock_key(site));
    END LOOP;
END $$;


--
-- Name: affrank_report_lock_key(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.affrank_report_lock_key(site text) RETURNS bigint
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT hashtextextended('affrank-report:' || site, 0) $$;


--
-- Name: affrank_report_pending_lock_key(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.affrank_report_pending_lock_key(site text) RETURNS bigint
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT hashtextextended('affrank-report-pending:' || site, 0) $$;


--
-- Name: affrank_report_rebuild(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.affrank_report_rebuild(site text) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(affrank_report_pending_lock_key(site));
    PERFORM pg_advisory_xact_lock(affrank_report_lock_key(site));
    DELETE FROM report_click_pending WHERE site_id = site;
    PERFORM affrank_report_recount(site);
END $$;


--
-- Name: affrank_report_recount(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.affrank_report_recount(site text) RETURNS void
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: affrank_report_refresh_recent(text, date); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.affrank_report_refresh_recent(site text, through date) RETURNS boolean
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: affrank_report_seal(text, date); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.affrank_report_seal(site text, through date) RETURNS date
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: affrank_report_windows(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.affrank_report_windows() RETURNS smallint[]
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT '{6,29,89,364}'::smallint[] $$;


--
-- Name: affrank_week(date); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.affrank_week(day date) RETURNS date
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT day - (extract(isodow FROM day)::int - 1) $$;




--
-- Name: amazon_pages; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.amazon_pages (
    site_id text NOT NULL,
    page_url text NOT NULL,
    post_id bigint,
    tracking_id text NOT NULL,
    assigned text NOT NULL,
    assigned_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT amazon_pages_assigned_check CHECK ((assigned = ANY (ARRAY['auto'::text, 'manual'::text])))
);


--
-- Name: click_detail_clearing; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.click_detail_clearing (
    site_id text NOT NULL,
    cleared_through text NOT NULL COLLATE pg_catalog."C"
);


--
-- Name: clicks; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.clicks (
    session_id text NOT NULL COLLATE pg_catalog."C",
    site_id text NOT NULL,
    link_id text NOT NULL,
    clicked_at timestamp with time zone NOT NULL,
    page_url text NOT NULL,
    keyword text,
    keyword_source text,
    network text,
    referrer text,
    user_agent text,
    visitor_hash text,
    is_bot boolean DEFAULT false NOT NULL
);


--
-- Name: conversion_status_history; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.conversion_status_history (
    id bigint NOT NULL,
    conversion_id bigint NOT NULL,
    status text NOT NULL,
    amount_site numeric,
    changed_at timestamp with time zone NOT NULL,
    source text DEFAULT 'postback'::text NOT NULL
);


--
-- Name: conversion_status_history_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.conversion_status_history_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: conversion_status_history_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.conversion_status_history_id_seq OWNED BY public.conversion_status_history.id;


--
-- Name: conversions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.conversions (
    id bigint NOT NULL,
    site_id text NOT NULL,
    session_id text COLLATE pg_catalog."C",
    transaction_id text,
    event text DEFAULT ''::text NOT NULL,
    status text NOT NULL,
    amount numeric,
    currency text,
    amount_site numeric,
    unconverted boolean DEFAULT false NOT NULL,
    is_lead boolean NOT NULL,
    received_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    link_id text,
    page_url text,
    keyword text,
    clicked_at timestamp with time zone,
    fast_conversion boolean DEFAULT false NOT NULL,
    bot_click boolean DEFAULT false NOT NULL,
    source text DEFAULT 'postback'::text NOT NULL,
    network text DEFAULT ''::text NOT NULL,
    label text,
    product text,
    note text,
    CONSTRAINT conversions_source_check CHECK ((source = ANY (ARRAY['postback'::text, 'import'::text, 'api'::text, 'clickbank_ins'::text, 'manual'::text]))),
    CONSTRAINT conversions_status_check CHECK ((status = ANY (ARRAY['approved'::text, 'pending'::text, 'rejected'::text, 'reversed'::text])))
);


--
-- Name: conversions_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.conversions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: conversions_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.conversions_id_seq OWNED BY public.conversions.id;


--
-- Name: links; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.links (
    id text NOT NULL,
    site_id text NOT NULL,
    url text NOT NULL,
    page_url text NOT NULL,
    post_id bigint,
    keyword text,
    keyword_source text,
    network text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_seen_at timestamp with time zone DEFAULT now() NOT NULL,
    changed_xid xid8 DEFAULT pg_current_xact_id() NOT NULL
);


--
-- Name: postback_log; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.postback_log (
    id bigint NOT NULL,
    received_at timestamp with time zone NOT NULL,
    site_id text NOT NULL,
    source_addr text,
    method text NOT NULL,
    params jsonb NOT NULL,
    outcome text NOT NULL,
    http_status smallint NOT NULL,
    message text NOT NULL,
    conversion_id bigint,
    source text DEFAULT 'postback'::text NOT NULL
);


--
-- Name: postback_log_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.postback_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: postback_log_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.postback_log_id_seq OWNED BY public.postback_log.id;


--
-- Name: report_checkpoint; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.report_checkpoint (
    site_id text NOT NULL,
    dim "char" NOT NULL,
    week date NOT NULL,
    key_id integer NOT NULL,
    clicks bigint DEFAULT 0 NOT NULL,
    bot_clicks bigint DEFAULT 0 NOT NULL,
    conversions bigint DEFAULT 0 NOT NULL,
    others bigint DEFAULT 0 NOT NULL,
    revenue numeric DEFAULT 0 NOT NULL
);


--
-- Name: report_click_pending; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.report_click_pending (
    site_id text NOT NULL,
    second timestamp with time zone NOT NULL,
    link_id text NOT NULL,
    page_url text NOT NULL,
    keyword text NOT NULL,
    clicks bigint NOT NULL,
    bot_clicks bigint NOT NULL
)
WITH (vacuum_truncate='false');


--
-- Name: report_day; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.report_day (
    site_id text NOT NULL,
    dim "char" NOT NULL,
    day date NOT NULL,
    key_id integer NOT NULL,
    clicks bigint DEFAULT 0 NOT NULL,
    bot_clicks bigint DEFAULT 0 NOT NULL,
    conversions bigint DEFAULT 0 NOT NULL,
    others bigint DEFAULT 0 NOT NULL,
    revenue numeric DEFAULT 0 NOT NULL,
    shard smallint DEFAULT 0 NOT NULL
);


--
-- Name: report_key; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.report_key (
    id integer NOT NULL,
    site_id text NOT NULL,
    dim "char" NOT NULL,
    key text NOT NULL,
    CONSTRAINT report_key_dim_check CHECK ((dim = ANY (ARRAY['k'::"char", 'p'::"char", 'l'::"char"])))
);


--
-- Name: report_key_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.report_key ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.report_key_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: report_recent; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.report_recent (
    site_id text NOT NULL,
    dim "char" NOT NULL,
    days smallint NOT NULL,
    key_id integer NOT NULL,
    clicks bigint DEFAULT 0 NOT NULL,
    bot_clicks bigint DEFAULT 0 NOT NULL,
    conversions bigint DEFAULT 0 NOT NULL,
    others bigint DEFAULT 0 NOT NULL,
    revenue numeric DEFAULT 0 NOT NULL
);


--
-- Name: report_site_day; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.report_site_day (
    site_id text NOT NULL,
    day date NOT NULL,
    attributed boolean NOT NULL,
    clicks bigint DEFAULT 0 NOT NULL,
    bot_clicks bigint DEFAULT 0 NOT NULL,
    approved bigint DEFAULT 0 NOT NULL,
    pending bigint DEFAULT 0 NOT NULL,
    rejected bigint DEFAULT 0 NOT NULL,
    reversed bigint DEFAULT 0 NOT NULL,
    sales bigint DEFAULT 0 NOT NULL,
    leads bigint DEFAULT 0 NOT NULL,
    unconverted bigint DEFAULT 0 NOT NULL,
    revenue numeric DEFAULT 0 NOT NULL,
    pending_revenue numeric DEFAULT 0 NOT NULL,
    reversed_revenue numeric DEFAULT 0 NOT NULL,
    shard smallint DEFAULT 0 NOT NULL
);


--
-- Name: report_state; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.report_state (
    site_id text NOT NULL,
    sealed_from date NOT NULL,
    sealed_through date NOT NULL,
    checkpoint_days real[] DEFAULT '{3,3,3}'::real[] NOT NULL,
    recent_through date
);


--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migrations (
    version text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: sites; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sites (
    id text NOT NULL,
    name text NOT NULL,
    url text NOT NULL,
    api_key_hash bytea NOT NULL,
    postback_secret text NOT NULL,
    currency text DEFAULT 'USD'::text NOT NULL,
    time_zone text DEFAULT 'UTC'::text NOT NULL,
    tracking_base_url text,
    rel_policy text DEFAULT 'sponsored_nofollow'::text NOT NULL,
    exclude_bots boolean DEFAULT true NOT NULL,
    link_rules jsonb DEFAULT '[]'::jsonb NOT NULL,
    currency_rates jsonb DEFAULT '{}'::jsonb NOT NULL,
    settings_version integer DEFAULT 1 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    previous_postback_secret_hash bytea,
    previous_secret_expires_at timestamp with time zone,
    click_detail_retention_days integer DEFAULT 90 NOT NULL,
    amazon_tracking_ids text[] DEFAULT '{}'::text[] NOT NULL,
    amazon_tracking_assignment text DEFAULT 'auto'::text NOT NULL,
    CONSTRAINT sites_amazon_tracking_assignment_check CHECK ((amazon_tracking_assignment = ANY (ARRAY['auto'::text, 'manual'::text]))),
    CONSTRAINT sites_click_detail_retention_days_check CHECK (((click_detail_retention_days >= 1) AND (click_detail_retention_days <= 3650))),
    CONSTRAINT sites_currency_check CHECK ((currency ~ '^[A-Z]{3}$'::text)),
    CONSTRAINT sites_previous_secret_complete CHECK (((previous_postback_secret_hash IS NULL) = (previous_secret_expires_at IS NULL))),
    CONSTRAINT sites_rel_policy_check CHECK ((rel_policy = ANY (ARRAY['sponsored_nofollow'::text, 'none'::text])))
);


--
-- Name: untracked_clicks; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.untracked_clicks (
    site_id text NOT NULL,
    day date NOT NULL,
    link_id text NOT NULL,
    clicks bigint NOT NULL,
    reported_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT untracked_clicks_clicks_check CHECK ((clicks >= 0))
);


--
-- Name: conversion_status_history id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.conversion_status_history ALTER COLUMN id SET DEFAULT nextval('public.conversion_status_history_id_seq'::regclass);


--
-- Name: conversions id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.conversions ALTER COLUMN id SET DEFAULT nextval('public.conversions_id_seq'::regclass);


--
-- Name: postback_log id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.postback_log ALTER COLUMN id SET DEFAULT nextval('public.postback_log_id_seq'::regclass);


--
-- Name: amazon_pages amazon_pages_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.amazon_pages
    ADD CONSTRAINT amazon_pages_pkey PRIMARY KEY (site_id, page_url);


--
-- Name: amazon_pages amazon_pages_site_tracking_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.amazon_pages
    ADD CONSTRAINT amazon_pages_site_tracking_key UNIQUE (site_id, tracking_id);


--
-- Name: click_detail_clearing click_detail_clearing_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.click_detail_clearing
    ADD CONSTRAINT click_detail_clearing_pkey PRIMARY KEY (site_id);


--
-- Name: clicks clicks_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.clicks
    ADD CONSTRAINT clicks_pkey PRIMARY KEY (session_id);


--
-- Name: conversion_status_history conversion_status_history_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.conversion_status_history
    ADD CONSTRAINT conversion_status_history_pkey PRIMARY KEY (id);


--
-- Name: conversions conversions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.conversions
    ADD CONSTRAINT conversions_pkey PRIMARY KEY (id);


--
-- Name: conversions conversions_site_transaction_network_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.conversions
    ADD CONSTRAINT conversions_site_transaction_network_key UNIQUE (site_id, transaction_id, network);


--
-- Name: links links_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.links
    ADD CONSTRAINT links_pkey PRIMARY KEY (id);


--
-- Name: postback_log postback_log_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.postback_log
    ADD CONSTRAINT postback_log_pkey PRIMARY KEY (id);


--
-- Name: report_checkpoint report_checkpoint_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.report_checkpoint
    ADD CONSTRAINT report_checkpoint_pkey PRIMARY KEY (site_id, dim, week, key_id);


--
-- Name: report_day report_day_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.report_day
    ADD CONSTRAINT report_day_pkey PRIMARY KEY (site_id, dim, day, key_id, shard);


--
-- Name: report_key report_key_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.report_key
    ADD CONSTRAINT report_key_pkey PRIMARY KEY (id);


--
-- Name: report_key report_key_site_id_dim_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.report_key
    ADD CONSTRAINT report_key_site_id_dim_key_key UNIQUE (site_id, dim, key);


--
-- Name: report_recent report_recent_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.report_recent
    ADD CONSTRAINT report_recent_pkey PRIMARY KEY (site_id, dim, days, key_id) INCLUDE (clicks, bot_clicks, conversions, others, revenue);


--
-- Name: report_site_day report_site_day_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.report_site_day
    ADD CONSTRAINT report_site_day_pkey PRIMARY KEY (site_id, day, attributed, shard);


--
-- Name: report_state report_state_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.report_state
    ADD CONSTRAINT report_state_pkey PRIMARY KEY (site_id);


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: sites sites_api_key_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sites
    ADD CONSTRAINT sites_api_key_hash_key UNIQUE (api_key_hash);


--
-- Name: sites sites_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sites
    ADD CONSTRAINT sites_pkey PRIMARY KEY (id);


--
-- Name: untracked_clicks untracked_clicks_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.untracked_clicks
    ADD CONSTRAINT untracked_clicks_pkey PRIMARY KEY (site_id, day, link_id);


--
-- Name: conversion_status_history_conversion_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX conversion_status_history_conversion_idx ON public.conversion_status_history USING btree (conversion_id, id);


--
-- Name: conversions_page_credit_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX conversions_page_credit_idx ON public.conversions USING btree (site_id, received_at) WHERE ((clicked_at IS NULL) AND (page_url IS NOT NULL));


--
-- Name: conversions_site_day_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX conversions_site_day_idx ON public.conversions USING btree (site_id, COALESCE(clicked_at, received_at));


--
-- Name: conversions_site_session_event_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX conversions_site_session_event_key ON public.conversions USING btree (site_id, session_id, lower(event)) WHERE (transaction_id IS NULL);


--
-- Name: conversions_unmatched_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX conversions_unmatched_idx ON public.conversions USING btree (session_id) WHERE (clicked_at IS NULL);


--
-- Name: links_site_changed_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX links_site_changed_idx ON public.links USING btree (site_id, changed_xid, id);


--
-- Name: links_site_page_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX links_site_page_idx ON public.links USING btree (site_id, page_url);


--
-- Name: postback_log_received_brin; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX postback_log_received_brin ON public.postback_log USING brin (received_at);


--
-- Name: postback_log_site_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX postback_log_site_idx ON public.postback_log USING btree (site_id, id DESC);


--
-- Name: untracked_clicks_link_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX untracked_clicks_link_idx ON public.untracked_clicks USING btree (link_id);


--
-- Name: clicks clicks_report_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER clicks_report_delete AFTER DELETE ON public.clicks REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION public.affrank_report_clicks_delete();


--
-- Name: clicks clicks_report_insert; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER clicks_report_insert AFTER INSERT ON public.clicks REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN ((current_setting('affrank.pending_written'::text, true) IS DISTINCT FROM 'on'::text)) EXECUTE FUNCTION public.affrank_report_clicks_insert();


--
-- Name: clicks clicks_report_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER clicks_report_update AFTER UPDATE ON public.clicks REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN ((current_setting('affrank.click_details_only'::text, true) IS DISTINCT FROM 'on'::text)) EXECUTE FUNCTION public.affrank_report_clicks_update();


--
-- Name: conversions conversions_credit_page_insert; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER conversions_credit_page_insert BEFORE INSERT ON public.conversions FOR EACH ROW WHEN (((new.clicked_at IS NULL) AND ((new.page_url IS NOT NULL) OR (new.label IS NOT NULL)))) EXECUTE FUNCTION public.affrank_conversion_credit_page();


--
-- Name: conversions conversions_credit_page_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER conversions_credit_page_update BEFORE UPDATE ON public.conversions FOR EACH ROW WHEN (((new.clicked_at IS NULL) AND (((((((old.page_url IS DISTINCT FROM new.page_url) OR (old.link_id IS DISTINCT FROM new.link_id)) OR (old.keyword IS DISTINCT FROM new.keyword)) OR (old.product IS DISTINCT FROM new.product)) OR (old.label IS DISTINCT FROM new.label)) OR (old.network IS DISTINCT FROM new.network)) OR (old.clicked_at IS DISTINCT FROM new.clicked_at)))) EXECUTE FUNCTION public.affrank_conversion_credit_page();


--
-- Name: conversions conversions_report_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER conversions_report_delete AFTER DELETE ON public.conversions REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION public.affrank_report_conversions_delete();


--
-- Name: conversions conversions_report_insert; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER conversions_report_insert AFTER INSERT ON public.conversions REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.affrank_report_conversions_insert();


--
-- Name: conversions conversions_report_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER conversions_report_update AFTER UPDATE ON public.conversions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.affrank_report_conversions_update();


--
-- Name: links links_changed; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER links_changed BEFORE UPDATE ON public.links FOR EACH ROW WHEN (((old.url IS DISTINCT FROM new.url) OR (old.network IS DISTINCT FROM new.network))) EXECUTE FUNCTION public.affrank_link_changed();


--
-- Name: sites sites_report_forget; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER sites_report_forget AFTER DELETE ON public.sites FOR EACH ROW EXECUTE FUNCTION public.affrank_report_forget_site();


--
-- Name: amazon_pages amazon_pages_site_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.amazon_pages
    ADD CONSTRAINT amazon_pages_site_id_fkey FOREIGN KEY (site_id) REFERENCES public.sites(id) ON DELETE CASCADE;


--
-- Name: click_detail_clearing click_detail_clearing_site_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.click_detail_clearing
    ADD CONSTRAINT click_detail_clearing_site_id_fkey FOREIGN KEY (site_id) REFERENCES public.sites(id) ON DELETE CASCADE;


--
-- Name: conversion_status_history conversion_status_history_conversion_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.conversion_status_history
    ADD CONSTRAINT conversion_status_history_conversion_id_fkey FOREIGN KEY (conversion_id) REFERENCES public.conversions(id) ON DELETE CASCADE;


--
-- Name: conversions conversions_site_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.conversions
    ADD CONSTRAINT conversions_site_id_fkey FOREIGN KEY (site_id) REFERENCES public.sites(id) ON DELETE CASCADE;


--
-- Name: links links_site_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.links
    ADD CONSTRAINT links_site_id_fkey FOREIGN KEY (site_id) REFERENCES public.sites(id) ON DELETE CASCADE;


--
-- Name: untracked_clicks untracked_clicks_link_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.untracked_clicks
    ADD CONSTRAINT untracked_clicks_link_id_fkey FOREIGN KEY (link_id) REFERENCES public.links(id) ON DELETE CASCADE;


--
-- Name: untracked_clicks untracked_clicks_site_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.untracked_clicks
    ADD CONSTRAINT untracked_clicks_site_id_fkey FOREIGN KEY (site_id) REFERENCES public.sites(id) ON DELETE CASCADE;
