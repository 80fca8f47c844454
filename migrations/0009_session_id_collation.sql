-- Session ids compare byte by byte (the C collation). Applied once; never
-- edited.
--
-- Why: `clicks` is keyed by the session id, and every click inserts into
-- that index. Under the database's default collation (often a language one
-- such as en_US.UTF-8, or C.UTF-8) each comparison goes through strcoll;
-- under "C" it is a memcmp. Session ids are letters and digits that nobody
-- sorts for reading, and the sidecar mints them so that byte order is time
-- order (see SessionId in src/ids.rs), which puts every insert on the
-- index's rightmost page.
--
-- conversions.session_id follows, so that joins between the two compare
-- under one collation. The tables are not rewritten (same type, same
-- bytes), but their session id indexes are rebuilt, under an exclusive lock:
-- on a database with many millions of clicks, run `affrank migrate` at a
-- quiet hour before upgrading the sidecars (their clicks spool meanwhile).
ALTER TABLE clicks ALTER COLUMN session_id TYPE text COLLATE "C";
ALTER TABLE conversions ALTER COLUMN session_id TYPE text COLLATE "C";
