-- Privacy retention: a click's user agent and referrer are dropped after a
-- per-site number of days. Applied once; never edited.
--
-- Why a setting per site: the user agent and referrer are the only parts of
-- a click that describe the visitor (the address is never stored, see
-- visitor_hash), and nothing in the reports needs them once a click is a few
-- weeks old. A blogger's privacy policy names the period; 90 days unless set.
ALTER TABLE sites
    ADD COLUMN click_detail_retention_days integer NOT NULL DEFAULT 90
        CHECK (click_detail_retention_days BETWEEN 1 AND 3650);

-- How far the clearing chore has gone, per site: every click of the site
-- whose session id sorts at or before `cleared_through` has had its details
-- dropped (or had none). Session ids sort by minting time (src/ids.rs), so
-- the next pass starts there and reads a range of the primary key, never
-- the whole table again.
CREATE TABLE click_detail_clearing (
    site_id         text PRIMARY KEY REFERENCES sites (id) ON DELETE CASCADE,
    cleared_through text COLLATE "C" NOT NULL
);

-- Dropping the details changes no figure, but the statement trigger on
-- UPDATE would still take each site's report lock and rewrite every rollup
-- row of the batch's groups with +0 (and every checkpoint after their days,
-- for old clicks). The clearing chore sets a transaction-local setting just
-- around its UPDATE, which changes only user_agent and referrer, and the
-- trigger stands aside for that statement, as the insert trigger does for
-- affrank_record_clicks (migration 0007). Every other UPDATE of `clicks`
-- still goes through the trigger.
DROP TRIGGER clicks_report_update ON clicks;
CREATE TRIGGER clicks_report_update AFTER UPDATE ON clicks
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT
    WHEN (current_setting('affrank.click_details_only', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION affrank_report_clicks_update();
