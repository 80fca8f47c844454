-- Merges the staged rows of one import into the ledger, in one statement.
-- The caller holds the site's ledger lock exclusively (migration 0014), so
-- no postback decides on a view of these keys until this commits.
--
-- $1: the site; $2: now (updated_at of what changes).
WITH resolved AS (
  -- A row whose network is not known ('') is the conversion that already
  -- has its transaction id (one of unknown network first).
  SELECT s.*, coalesce(CASE WHEN s.network = '' THEN
           (SELECT e.network FROM conversions e
            WHERE e.site_id = $1 AND e.transaction_id = s.transaction_id
            ORDER BY e.network = '' DESC, e.network LIMIT 1) END, s.network) AS net
  FROM import_rows s
), staged AS (
  -- A transaction listed twice in one file: its last row wins.
  SELECT DISTINCT ON (net, transaction_id) *
  FROM resolved ORDER BY net, transaction_id, ord DESC
), attributed AS (
  SELECT r.*, c.link_id, c.page_url, c.keyword, c.clicked_at, coalesce(c.is_bot, false) AS bot
  FROM staged r LEFT JOIN clicks c ON c.session_id = r.session_id AND c.site_id = $1
), merged AS (
  INSERT INTO conversions AS v (site_id, session_id, transaction_id, event, status, amount,
      currency, amount_site, unconverted, is_lead, received_at, updated_at,
      link_id, page_url, keyword, clicked_at, fast_conversion, bot_click,
      network, source, label, product)
  -- received_at is when the sale happened, as the file says: an
  -- unattributed import counts on its own day, not on the import's.
  -- fast_conversion is false: a report's date is often a day, not a time.
  SELECT $1, session_id, transaction_id, '', status, amount, currency, amount_site,
         amount_site IS NULL, amount IS NULL OR amount = 0, occurred_at, $2,
         link_id, page_url, keyword, clicked_at, false, bot,
         net, 'import', label, product
  FROM attributed
  -- Key order, as the postback batches: writers that share keys queue.
  ORDER BY transaction_id, net
  ON CONFLICT ON CONSTRAINT conversions_site_transaction_network_key DO UPDATE SET
    status      = excluded.status,
    updated_at  = excluded.updated_at,
    source      = excluded.source,
    -- A report without amounts (Amazon Orders) restates no amount.
    amount      = coalesce(excluded.amount, v.amount),
    currency    = CASE WHEN excluded.amount IS NULL THEN v.currency ELSE excluded.currency END,
    amount_site = CASE WHEN excluded.amount IS NULL THEN v.amount_site ELSE excluded.amount_site END,
    unconverted = CASE WHEN excluded.amount IS NULL THEN v.unconverted ELSE excluded.unconverted END,
    is_lead     = CASE WHEN excluded.amount IS NULL THEN v.is_lead ELSE excluded.is_lead END,
    session_id  = coalesce(v.session_id, excluded.session_id),
    label       = coalesce(excluded.label, v.label),
    product     = coalesce(excluded.product, v.product),
    link_id     = CASE WHEN v.clicked_at IS NULL THEN excluded.link_id ELSE v.link_id END,
    page_url    = CASE WHEN v.clicked_at IS NULL THEN excluded.page_url ELSE v.page_url END,
    keyword     = CASE WHEN v.clicked_at IS NULL THEN excluded.keyword ELSE v.keyword END,
    bot_click   = CASE WHEN v.clicked_at IS NULL THEN excluded.bot_click ELSE v.bot_click END,
    clicked_at  = coalesce(v.clicked_at, excluded.clicked_at)
  -- Nothing new: a duplicate, left alone (no new row version, no history).
  WHERE v.status <> excluded.status
     OR (excluded.amount IS NOT NULL AND (v.amount IS DISTINCT FROM excluded.amount
                                          OR v.currency IS DISTINCT FROM excluded.currency))
     OR (v.clicked_at IS NULL AND excluded.clicked_at IS NOT NULL)
  RETURNING v.id, (xmax = 0) AS inserted, v.status, v.amount_site, v.updated_at
), history AS (
  INSERT INTO conversion_status_history (conversion_id, status, amount_site, changed_at, source)
  SELECT id, status, amount_site, updated_at, 'import' FROM merged
)
SELECT (SELECT count(*) FROM merged WHERE inserted) AS imported,
       (SELECT count(*) FROM merged WHERE NOT inserted) AS updated,
       (SELECT count(*) FROM attributed a
        WHERE a.clicked_at IS NULL AND NOT EXISTS (
          SELECT 1 FROM conversions e
          WHERE e.site_id = $1 AND e.transaction_id = a.transaction_id AND e.network = a.net
            AND e.clicked_at IS NOT NULL)) AS unattributed
