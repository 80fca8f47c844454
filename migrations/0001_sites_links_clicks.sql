-- The sidecar core: sites, the affiliate links registered at rewrite time,
-- and the clicks recorded at redirect time. Applied once; never edited.

-- One row per blog. The API key is stored only as its SHA-256; the postback
-- secret is kept as is, because the blogger pastes it into every network.
CREATE TABLE sites (
    id                text        PRIMARY KEY,
    name              text        NOT NULL,
    url               text        NOT NULL,
    api_key_hash      bytea       NOT NULL CONSTRAINT sites_api_key_hash_key UNIQUE,
    postback_secret   text        NOT NULL,
    currency          text        NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    time_zone         text        NOT NULL DEFAULT 'UTC',
    -- NULL: rewritten links point at the sidecar's public URL.
    tracking_base_url text,
    rel_policy        text        NOT NULL DEFAULT 'sponsored_nofollow'
                                  CHECK (rel_policy IN ('sponsored_nofollow', 'none')),
    exclude_bots      boolean     NOT NULL DEFAULT true,
    -- [{"kind": "host"|"regex", "pattern": "...", "network": "everflow"|null}]
    link_rules        jsonb       NOT NULL DEFAULT '[]',
    -- {"EUR": "1.08"}: decimal strings, never JSON numbers (no float on money).
    currency_rates    jsonb       NOT NULL DEFAULT '{}',
    -- Bumped by every settings change; the plugin keys its cache on it.
    settings_version  integer     NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- An affiliate link as found on one page with one keyword. The id is derived
-- from (site, url, page_url, keyword), so re-rendering a page re-finds it.
CREATE TABLE links (
    id             text        PRIMARY KEY,
    site_id        text        NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    url            text        NOT NULL,
    page_url       text        NOT NULL,
    post_id        bigint,
    keyword        text,
    -- link_attribute, post_meta, yoast, rank_math, aioseo, or NULL
    keyword_source text,
    -- A network id of DESIGN.md, or NULL when only affrank_sid is added.
    network        text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX links_site_id_idx ON links (site_id);

-- One row per recorded click (prefetches and HEAD requests are not recorded).
-- Page, keyword and network are copied from the link at click time so a
-- click keeps its attribution whatever later happens to the link.
--
-- Clicks arrive by the tens of thousands per second, so this table carries
-- only its primary key: no foreign keys (each costs a lookup per row; with
-- them and the indexes they need, the click benchmark lost up to 40% of its
-- rate) and no secondary index. The write
-- path keeps it consistent instead: a click's link is read from `links`,
-- and spool replay inserts only clicks whose link still exists. Reports are
-- meant to read daily rollups rather than scan this table.
CREATE TABLE clicks (
    session_id     text        PRIMARY KEY,
    site_id        text        NOT NULL,
    link_id        text        NOT NULL,
    clicked_at     timestamptz NOT NULL,
    page_url       text        NOT NULL,
    keyword        text,
    keyword_source text,
    network        text,
    referrer       text,
    user_agent     text,
    -- SHA-256 of the address with a salt that changes every day and is never
    -- stored: same visitor, same day, same value; the address itself is gone.
    visitor_hash   text,
    -- Matched the bot list: redirected, recorded, never billed.
    is_bot         boolean     NOT NULL DEFAULT false
);
