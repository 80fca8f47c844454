-- The ledger dedupes on (site, network, transaction id) (issue #15). Applied
-- once; never edited.
--
-- network '' means "not known": a postback whose click's link has no known
-- network, or that matched no click. Such a conversion and a later one of
-- network N with the same transaction id are one conversion: an import of N
-- adopts the '' row (sets its network to N), and a postback finds the row
-- of N that an import wrote. "Same conversion" is therefore not an equality
-- ('' goes with cj and with awin, which do not go together), so no unique
-- index alone can decide it. The writers serialise per site instead:
--
--  * a postback batch takes a SHARED ledger lock on each of its sites and
--    then reads the conversions its transaction ids already have, both in
--    affrank_ledger_existing(), a VOLATILE function, so its read takes a
--    fresh snapshot after the lock is granted (the calling statement's
--    snapshot was taken before it waited);
--  * an import takes the site's ledger lock EXCLUSIVELY, in its own
--    statement, before it reads or writes the site's conversions, and holds
--    it to its commit.
--
-- So a postback never decides on a view that misses an import committed
-- while it waited, and an import never misses a postback's row; postbacks
-- do not wait for each other. Advisory locks live in shared memory (no
-- tuple is written), and a batch takes one per site, not per conversion.
-- Lock order: ledger lock, then the report lock the triggers take.

-- Imported conversions may carry no session id (an Amazon report without
-- sub-tags): they can be credited to no click, and say so with NULL.
ALTER TABLE conversions ALTER COLUMN session_id DROP NOT NULL;

-- (site, transaction id) first, so that the lookups that ignore the
-- network (above) use the same index.
ALTER TABLE conversions
    DROP CONSTRAINT conversions_site_transaction_key,
    ADD CONSTRAINT conversions_site_transaction_network_key
        UNIQUE (site_id, transaction_id, network);

CREATE FUNCTION affrank_ledger_lock_key(site text) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT hashtextextended('affrank-ledger:' || site, 0) $$;

-- The conversions that already have these (site, transaction id) keys,
-- read after taking the sites' shared ledger locks (in site order, the
-- same for every caller). VOLATILE on purpose: see above.
CREATE FUNCTION affrank_ledger_existing(sites text[], transaction_ids text[])
RETURNS TABLE (site_id text, transaction_id text, network text, id bigint)
LANGUAGE plpgsql VOLATILE AS $$
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
