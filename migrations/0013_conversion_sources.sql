-- One ledger, several sources (issue #15): every conversion, whatever
-- brought it, lands in `conversions`; these columns say how it came and
-- what the network told us beyond the session id. Applied once; never
-- edited.
--
-- source:  how the conversion reached us first or last: `postback` (the
--          network called us), `import` (a report file), `api` (a scheduled
--          pull from the network's API), `clickbank_ins` (ClickBank's
--          Instant Notification), `manual` (typed in wp-admin).
-- network: the network's preset id (`cj`, `amazon`, …) when known: from the
--          import's preset or row, from the matched click's link, or '' when
--          nothing says. '' rather than NULL so it can take part in a unique
--          key.
-- label:   a tracking id or sub-id that is not one of our session ids (an
--          Amazon tracking id, a sub-id set by hand), as the network wrote it.
-- product: what was sold, as the network wrote it (an ASIN, a SKU, a name).
ALTER TABLE conversions
    ADD COLUMN source text NOT NULL DEFAULT 'postback'
        CHECK (source IN ('postback', 'import', 'api', 'clickbank_ins', 'manual')),
    ADD COLUMN network text NOT NULL DEFAULT '',
    ADD COLUMN label text,
    ADD COLUMN product text;

-- Conversions that came before this migration came by postback; their network
-- is their click's link's, when they have one.
UPDATE conversions v SET network = coalesce(l.network, '')
FROM links l
WHERE l.id = v.link_id AND l.network IS NOT NULL;

-- Who changed what: each history row names the source that wrote it.
ALTER TABLE conversion_status_history
    ADD COLUMN source text NOT NULL DEFAULT 'postback';

-- The conversion log (the postback log until now) shows every source.
ALTER TABLE postback_log
    ADD COLUMN source text NOT NULL DEFAULT 'postback';
