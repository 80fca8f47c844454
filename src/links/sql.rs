use super::rewrite::FoundLink;
use super::tagging::{RedirectTemplate, tag_url};
use crate::ids::{LinkId, SessionId, SiteId};
use crate::networks::Network;
use deadpool_postgres::GenericClient;
use std::sync::OnceLock;

/// What `/go/{id}` needs to know about a link.
#[derive(Clone, Debug)]
pub struct LinkTarget {
    pub id: LinkId,
    pub site_id: SiteId,
    pub url: String,
    pub page_url: String,
    pub keyword: Option<String>,
    pub keyword_source: Option<String>,
    pub network: Option<Network>,
    /// Made on the link's first click (see `redirect_to`).
    pub redirect: OnceLock<Option<RedirectTemplate>>,
}

impl LinkTarget {
    /// Where a click with this session id is sent.
    pub fn redirect_to(&self, session: &SessionId) -> String {
        match self
            .redirect
            .get_or_init(|| RedirectTemplate::new(&self.url, self.network))
        {
            Some(template) => template.render(session),
            None => tag_url(&self.url, session, self.network),
        }
    }
}

/// Registers every link of one rewrite in one statement. A link seen again
/// is only touched when what the rules say about it changed, or its URL did:
/// an Amazon link's id comes from the URL as the post has it, and its stored
/// URL carries the page's tracking id (`tagging::with_amazon_tag`), which the
/// blogger may reassign.
#[tracing::instrument(skip(client, links), fields(links = links.len()))]
pub async fn upsert_links(
    client: &impl GenericClient,
    site: &SiteId,
    page_url: &str,
    post_id: Option<i64>,
    links: &[FoundLink],
) -> Result<(), tokio_postgres::Error> {
    if links.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = links.iter().map(|l| l.id.as_str()).collect();
    let urls: Vec<&str> = links.iter().map(|l| l.url.as_str()).collect();
    let keywords: Vec<Option<&str>> = links.iter().map(|l| l.keyword.as_deref()).collect();
    let sources: Vec<Option<&str>> = links.iter().map(|l| l.keyword_source.as_deref()).collect();
    let networks: Vec<Option<&str>> = links.iter().map(|l| l.network.map(Network::id)).collect();
    client
        .execute(
            "INSERT INTO links (id, site_id, url, page_url, post_id, keyword, keyword_source, network) \
             SELECT id, $2, url, $3, $4, keyword, source, network \
             FROM unnest($1::text[], $5::text[], $6::text[], $7::text[], $8::text[]) \
                  AS t(id, url, keyword, source, network) \
             ON CONFLICT (id) DO UPDATE SET \
                 network = EXCLUDED.network, post_id = EXCLUDED.post_id, \
                 keyword_source = EXCLUDED.keyword_source, url = EXCLUDED.url, \
                 last_seen_at = now() \
             WHERE links.network IS DISTINCT FROM EXCLUDED.network \
                OR links.url IS DISTINCT FROM EXCLUDED.url \
                OR links.post_id IS DISTINCT FROM EXCLUDED.post_id \
                OR links.keyword_source IS DISTINCT FROM EXCLUDED.keyword_source",
            &[&ids, &site.as_str(), &page_url, &post_id, &urls, &keywords, &sources, &networks],
        )
        .await?;
    Ok(())
}

#[tracing::instrument(skip(client))]
pub async fn find_link(
    client: &impl GenericClient,
    id: &LinkId,
) -> Result<Option<LinkTarget>, tokio_postgres::Error> {
    let row = client
        .query_opt(
            "SELECT id, site_id, url, page_url, keyword, keyword_source, network FROM links WHERE id = $1",
            &[&id.as_str()],
        )
        .await?;
    Ok(row.map(|row| link_from_row(&row)))
}

/// The most recently seen links, to warm the redirect cache at start-up.
#[tracing::instrument(skip(client))]
pub async fn recent_links(
    client: &impl GenericClient,
    limit: i64,
) -> Result<Vec<LinkTarget>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT id, site_id, url, page_url, keyword, keyword_source, network FROM links \
             ORDER BY last_seen_at DESC LIMIT $1",
            &[&limit],
        )
        .await?;
    Ok(rows.iter().map(link_from_row).collect())
}

/// Rows selected as (id, site_id, url, page_url, keyword, keyword_source, network).
fn link_from_row(row: &tokio_postgres::Row) -> LinkTarget {
    LinkTarget {
        id: LinkId::from_trusted(row.get(0)),
        site_id: SiteId::from_trusted(row.get(1)),
        url: row.get(2),
        page_url: row.get(3),
        keyword: row.get(4),
        keyword_source: row.get(5),
        network: row.get::<_, Option<&str>>(6).and_then(Network::from_id),
        redirect: OnceLock::new(),
    }
}
