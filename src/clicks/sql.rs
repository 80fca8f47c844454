use super::ClickRow;
use deadpool_postgres::GenericClient;

struct Columns<'a> {
    session_id: Vec<&'a str>,
    site_id: Vec<&'a str>,
    link_id: Vec<&'a str>,
    clicked_at: Vec<chrono::DateTime<chrono::Utc>>,
    page_url: Vec<&'a str>,
    keyword: Vec<Option<&'a str>>,
    keyword_source: Vec<Option<&'a str>>,
    network: Vec<Option<&'a str>>,
    referrer: Vec<Option<&'a str>>,
    user_agent: Vec<Option<&'a str>>,
    visitor_hash: Vec<Option<&'a str>>,
    is_bot: Vec<bool>,
}

impl<'a> Columns<'a> {
    fn of(rows: &'a [&'a ClickRow]) -> Self {
        Self {
            session_id: rows.iter().map(|r| r.session_id.as_str()).collect(),
            site_id: rows.iter().map(|r| r.site_id.as_str()).collect(),
            link_id: rows.iter().map(|r| r.link_id.as_str()).collect(),
            clicked_at: rows.iter().map(|r| r.clicked_at).collect(),
            page_url: rows.iter().map(|r| r.page_url.as_str()).collect(),
            keyword: rows.iter().map(|r| r.keyword.as_deref()).collect(),
            keyword_source: rows.iter().map(|r| r.keyword_source.as_deref()).collect(),
            network: rows.iter().map(|r| r.network.as_deref()).collect(),
            referrer: rows.iter().map(|r| r.referrer.as_deref()).collect(),
            user_agent: rows.iter().map(|r| r.user_agent.as_deref()).collect(),
            visitor_hash: rows.iter().map(|r| r.visitor_hash.as_deref()).collect(),
            is_bot: rows.iter().map(|r| r.is_bot).collect(),
        }
    }
}

const UNNEST: &str = "unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], \
     $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::bool[]) \
     AS c(session_id, site_id, link_id, clicked_at, page_url, keyword, keyword_source, network, \
          referrer, user_agent, visitor_hash, is_bot)";

const COLUMNS: &str = "session_id, site_id, link_id, clicked_at, page_url, keyword, keyword_source, \
     network, referrer, user_agent, visitor_hash, is_bot";

/// One statement for a whole batch of new clicks. Their session ids were
/// minted moments ago (90 random bits), so there is no conflict to look
/// for: `ON CONFLICT` would cost a second index search and a WAL record per
/// click, a sixth of the click path's rate. Should one collide all the
/// same, the statement fails, the batch is spooled, and replay (which does
/// skip ids already present) writes it.
#[tracing::instrument(skip_all, fields(rows = rows.len()))]
pub async fn insert_new_clicks(
    client: &impl GenericClient,
    rows: &[&ClickRow],
) -> Result<u64, tokio_postgres::Error> {
    execute(
        client,
        &format!("INSERT INTO clicks ({COLUMNS}) SELECT {COLUMNS} FROM {UNNEST}"),
        rows,
    )
    .await
}

/// Replay's variant: a session id already present is skipped, which makes
/// replay idempotent (a batch whose commit timed out may have landed after
/// all), and a click whose link has since been deleted (with its site) is
/// dropped instead of failing the whole segment.
#[tracing::instrument(skip_all, fields(rows = rows.len()))]
pub async fn insert_clicks_of_existing_links(
    client: &impl GenericClient,
    rows: &[&ClickRow],
) -> Result<u64, tokio_postgres::Error> {
    execute(
        client,
        &format!(
            "INSERT INTO clicks ({COLUMNS}) SELECT {COLUMNS} FROM {UNNEST} \
             WHERE EXISTS (SELECT 1 FROM links l WHERE l.id = c.link_id) \
             ON CONFLICT (session_id) DO NOTHING"
        ),
        rows,
    )
    .await
}

async fn execute(
    client: &impl GenericClient,
    sql: &str,
    rows: &[&ClickRow],
) -> Result<u64, tokio_postgres::Error> {
    let c = Columns::of(rows);
    let statement = client.prepare_cached(sql).await?;
    client
        .execute(
            &statement,
            &[
                &c.session_id,
                &c.site_id,
                &c.link_id,
                &c.clicked_at,
                &c.page_url,
                &c.keyword,
                &c.keyword_source,
                &c.network,
                &c.referrer,
                &c.user_agent,
                &c.visitor_hash,
                &c.is_bot,
            ],
        )
        .await
}
