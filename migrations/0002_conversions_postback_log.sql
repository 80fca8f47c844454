-- Postback ingestion: the conversions the networks report, the history of
-- their status changes, and a log of every postback request. Applied once;
-- never edited.

-- One row per conversion. `amount` and `currency` are kept as received;
-- `amount_site` is the amount in the site's currency, NULL when the site has
-- no rate for `currency` (then `unconverted`, and it is never counted 1:1).
-- The click columns are copied from the click with the same session id, at
-- ingestion or later when that click shows up (e.g. from a spool replay);
-- until then `clicked_at` is NULL and the conversion is unattributed.
CREATE TABLE conversions (
    id              bigserial   PRIMARY KEY,
    site_id         text        NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    session_id      text        NOT NULL,
    -- NULL when the network sent none; then (site, session, event) dedupes.
    transaction_id  text,
    -- Free text as sent (Sale, Lead, Trial); '' when absent.
    event           text        NOT NULL DEFAULT '',
    status          text        NOT NULL
                                CHECK (status IN ('approved', 'pending', 'rejected', 'reversed')),
    amount          numeric,
    currency        text,
    amount_site     numeric,
    unconverted     boolean     NOT NULL DEFAULT false,
    -- Amount absent or 0.
    is_lead         boolean     NOT NULL,
    received_at     timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    -- Attribution, from the click.
    link_id         text,
    page_url        text,
    keyword         text,
    clicked_at      timestamptz,
    -- Under a second between click and conversion: suspicious.
    fast_conversion boolean     NOT NULL DEFAULT false,
    bot_click       boolean     NOT NULL DEFAULT false,
    CONSTRAINT conversions_site_transaction_key UNIQUE (site_id, transaction_id)
);
-- Without a transaction id, one conversion per (site, session, event).
CREATE UNIQUE INDEX conversions_site_session_event_key
    ON conversions (site_id, session_id, lower(event))
    WHERE transaction_id IS NULL;
-- Finds the conversions still waiting for their click; small by nature.
CREATE INDEX conversions_unmatched_idx
    ON conversions (session_id)
    WHERE clicked_at IS NULL;

-- Every status a conversion has had, the first included, oldest first.
CREATE TABLE conversion_status_history (
    id            bigserial   PRIMARY KEY,
    conversion_id bigint      NOT NULL REFERENCES conversions (id) ON DELETE CASCADE,
    status        text        NOT NULL,
    amount_site   numeric,
    changed_at    timestamptz NOT NULL
);
CREATE INDEX conversion_status_history_conversion_idx
    ON conversion_status_history (conversion_id, id);

-- One row per postback request that reached the handler (rate-limited ones
-- are only counted in metrics). `site_id` is the id as addressed, which may
-- name no site; `params` holds what was sent with the token masked.
-- Pruned after the configured retention.
CREATE TABLE postback_log (
    id            bigserial   PRIMARY KEY,
    received_at   timestamptz NOT NULL,
    site_id       text        NOT NULL,
    source_addr   text,
    method        text        NOT NULL,
    params        jsonb       NOT NULL,
    outcome       text        NOT NULL,
    http_status   smallint    NOT NULL,
    message       text        NOT NULL,
    conversion_id bigint
);
CREATE INDEX postback_log_site_idx ON postback_log (site_id, id DESC);
-- Rows are appended in time order, so a BRIN index serves the pruning at
-- almost no cost to the insert rate.
CREATE INDEX postback_log_received_brin ON postback_log USING brin (received_at);
