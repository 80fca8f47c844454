-- The plugin's copy of the link map, and the clicks it redirected while the
-- sidecar was down (issue #18, "a /go/ link is never dead"). Applied once;
-- never edited.
--
-- GET /api/v1/links hands the plugin a site's links page by page, each page
-- after a cursor, so that a site with 40,000 links syncs a page at a time
-- and then only what changed since. The cursor is the id of the transaction
-- that last wrote the row (xid8: 64 bits, never wraps, grows with every new
-- transaction), then the link id. A page only holds rows written by
-- transactions older than every transaction still running
-- (pg_snapshot_xmin): a row committed later can then never land behind a
-- cursor already handed out, which a timestamp cursor cannot promise (a
-- row's now() is its transaction's start, and an older transaction may
-- commit after a newer one was read).
--
-- Adding a column with a volatile default rewrites the table once, under
-- an exclusive lock: on a site with very many links run `affrank migrate`
-- at a quiet hour (a page render only waits for its rewrite meanwhile).
ALTER TABLE links ADD COLUMN changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id();

-- The cursor's order, per site. It also serves every "links of a site"
-- lookup that the old one-column index served.
CREATE INDEX links_site_changed_idx ON links (site_id, changed_xid, id);
DROP INDEX links_site_id_idx;

-- What the map carries is the link's destination and network: a change to
-- either moves the link to the end of the order, so the next sync sees it.
CREATE FUNCTION affrank_link_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.changed_xid := pg_current_xact_id();
    RETURN NEW;
END
$$;

CREATE TRIGGER links_changed BEFORE UPDATE ON links FOR EACH ROW
    WHEN (OLD.url IS DISTINCT FROM NEW.url OR OLD.network IS DISTINCT FROM NEW.network)
    EXECUTE FUNCTION affrank_link_changed();

-- Clicks the plugin redirected from its copy of the map while the sidecar
-- could not answer /go/: no session id was minted, so they are counts, not
-- clicks. One row per link and UTC day; the plugin sends its running total
-- for the day, and the larger of two totals wins, so a retried or repeated
-- report changes nothing. Reports show them apart ("untracked clicks") and
-- never in clicks, EPC or conversion rate.
CREATE TABLE untracked_clicks (
    site_id     text        NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    day         date        NOT NULL,
    link_id     text        NOT NULL REFERENCES links (id) ON DELETE CASCADE,
    clicks      bigint      NOT NULL CHECK (clicks >= 0),
    reported_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, day, link_id)
);
-- The foreign key's lookup when a link goes (its site is deleted).
CREATE INDEX untracked_clicks_link_idx ON untracked_clicks (link_id);
