-- Settles a batch of postbacks in one statement, so it commits atomically
-- with a single round trip: new conversions are inserted and matched to
-- their click, repeats with another status change it (and are kept in the
-- history), and every request's log row is written with its outcome.
--
-- $1..$10: the conversions, one key at most once (the caller splits repeats
-- into later statements). $11..$19: one log row per request; `conv_ord`
-- points at the conversion it settled (1-based), `is_copy` marks a repeat
-- of the same status within the batch, which is a duplicate of that one.
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                       $6::numeric[], $7::text[], $8::numeric[], $9::bool[], $10::timestamptz[])
    WITH ORDINALITY AS i(site_id, session_id, transaction_id, event, status,
                         amount, currency, amount_site, is_lead, received_at, ord)
), existing AS MATERIALIZED (
  -- The conversions these transaction ids already have, whatever their
  -- network, read after the sites' shared ledger locks, so an import
  -- committed while this statement waited is seen (migration 0014).
  SELECT * FROM affrank_ledger_existing($1::text[], $3::text[])
), clicked AS (
  SELECT i.*, c.link_id, c.page_url, c.keyword, c.clicked_at,
         coalesce(i.received_at - c.clicked_at < interval '1 second', false) AS fast,
         coalesce(c.is_bot, false) AS bot, coalesce(c.network, '') AS link_network
  FROM input i LEFT JOIN clicks c ON c.session_id = i.session_id AND c.site_id = i.site_id
), attributed AS (
  -- The network of the conversion this postback is: the existing one of its
  -- click's network, else one whose network is not known (''), else the
  -- only (or, ambiguous, the first) other network's; none yet: its click's
  -- link's network, '' when unknown.
  SELECT a.*, coalesce(
           (SELECT e.network FROM existing e
            WHERE e.site_id = a.site_id AND e.transaction_id = a.transaction_id
            ORDER BY e.network = a.link_network DESC, e.network = '' DESC, e.network
            LIMIT 1),
           a.link_network) AS network
  FROM clicked a
), with_transaction AS (
  INSERT INTO conversions AS v (site_id, session_id, transaction_id, event, status, amount,
      currency, amount_site, unconverted, is_lead, received_at, updated_at,
      link_id, page_url, keyword, clicked_at, fast_conversion, bot_click, network, source)
  SELECT site_id, session_id, transaction_id, event, status, amount, currency, amount_site,
         amount_site IS NULL, is_lead, received_at, received_at,
         link_id, page_url, keyword, clicked_at, fast, bot, network, 'postback'
  -- In key order, not arrival order: two writers settling batches that
  -- share keys then wait for each other's index entries in one order,
  -- never in a cycle (a deadlock fails both batches to the spool).
  FROM attributed WHERE transaction_id IS NOT NULL ORDER BY site_id, transaction_id, network
  ON CONFLICT ON CONSTRAINT conversions_site_transaction_network_key
  /*UPDATE*/
), without_transaction AS (
  INSERT INTO conversions AS v (site_id, session_id, transaction_id, event, status, amount,
      currency, amount_site, unconverted, is_lead, received_at, updated_at,
      link_id, page_url, keyword, clicked_at, fast_conversion, bot_click, network, source)
  SELECT site_id, session_id, transaction_id, event, status, amount, currency, amount_site,
         amount_site IS NULL, is_lead, received_at, received_at,
         link_id, page_url, keyword, clicked_at, fast, bot, network, 'postback'
  FROM attributed WHERE transaction_id IS NULL ORDER BY site_id, session_id, lower(event)
  ON CONFLICT (site_id, session_id, lower(event)) WHERE transaction_id IS NULL
  /*UPDATE*/
), upserted AS (
  SELECT * FROM with_transaction UNION ALL SELECT * FROM without_transaction
), history AS (
  INSERT INTO conversion_status_history (conversion_id, status, amount_site, changed_at, source)
  SELECT id, status, amount_site, updated_at, 'postback' FROM upserted
), settled AS (
  -- A key absent from `upserted` met the same status: a duplicate. Its id
  -- comes from the row that was there before (`existing`: after the lock).
  SELECT i.ord, i.status, coalesce(u.id, et.id, es.id) AS conversion_id,
         CASE WHEN u.id IS NULL THEN 'duplicate'
              WHEN NOT u.inserted THEN 'updated'
              WHEN u.matched THEN 'matched'
              ELSE 'unmatched' END AS outcome
  FROM attributed i
  LEFT JOIN upserted u ON u.site_id = i.site_id AND (
       u.transaction_id = i.transaction_id
    OR (i.transaction_id IS NULL AND u.transaction_id IS NULL
        AND u.session_id = i.session_id AND lower(u.event) = lower(i.event)))
  -- Two joins, not one with OR, so each can use its unique index.
  LEFT JOIN existing et ON et.site_id = i.site_id AND et.transaction_id = i.transaction_id
       AND et.network = i.network
  LEFT JOIN conversions es ON i.transaction_id IS NULL AND es.transaction_id IS NULL
       AND es.site_id = i.site_id AND es.session_id = i.session_id
       AND lower(es.event) = lower(i.event)
), requests AS (
  SELECT * FROM unnest($11::timestamptz[], $12::text[], $13::text[], $14::text[],
                       $15::jsonb[], $16::text[], $17::text[], $18::int8[], $19::bool[])
    WITH ORDINALITY AS l(received_at, site_id, source_addr, method, params, outcome, message,
                         conv_ord, is_copy, req_ord)
), outcomes AS (
  SELECT l.*, s.conversion_id, s.status,
         CASE WHEN s.ord IS NULL THEN l.outcome
              WHEN l.is_copy THEN 'duplicate'
              ELSE s.outcome END AS final_outcome
  FROM requests l LEFT JOIN settled s ON s.ord = l.conv_ord
), answered AS (
  SELECT o.*,
         CASE final_outcome
           WHEN 'matched' THEN 'conversion recorded and matched to its click'
           WHEN 'unmatched' THEN 'conversion recorded; no click has this session id (yet): counted as unattributed'
           WHEN 'duplicate' THEN 'already recorded with this status: nothing counted twice'
           WHEN 'updated' THEN 'status changed to ' || status
           ELSE message END AS final_message
  FROM outcomes o
), logged AS (
  INSERT INTO postback_log (received_at, site_id, source_addr, method, params, outcome,
                            http_status, message, conversion_id)
  SELECT received_at, site_id, source_addr, method, params, final_outcome,
         CASE final_outcome WHEN 'invalid' THEN 400 WHEN 'unauthorized' THEN 401
                            WHEN 'unknown_site' THEN 404 ELSE 200 END,
         final_message, conversion_id
  FROM answered ORDER BY req_ord
)
SELECT final_outcome, conversion_id, final_message FROM answered ORDER BY req_ord
