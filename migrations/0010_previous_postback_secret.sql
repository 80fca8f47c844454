-- A rotated postback secret keeps working for a grace period. Applied once;
-- never edited.
--
-- Why: every network the blogger set up appends the secret to its
-- postbacks, and updating each network takes days. `affrank site
-- rotate-key --postback-secret` moves the secret it replaces here, where
-- the sidecar still takes it until `previous_secret_expires_at`, so sales
-- keep counting meanwhile. Unlike the current secret (kept as is, since
-- the plugin shows the postback URL with it), this one is only ever
-- compared, so only its SHA-256 is kept. One previous secret at a time: a
-- second rotation replaces it.
ALTER TABLE sites
    ADD COLUMN previous_postback_secret_hash bytea,
    ADD COLUMN previous_secret_expires_at    timestamptz,
    ADD CONSTRAINT sites_previous_secret_complete
        CHECK ((previous_postback_secret_hash IS NULL) = (previous_secret_expires_at IS NULL));
