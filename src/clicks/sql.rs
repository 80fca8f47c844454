use super::ClickRow;
use chrono::Timelike;
use deadpool_postgres::GenericClient;
use std::collections::HashMap;
use tokio_postgres::types::ToSql;

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
    /// In the order of `COLUMNS`.
    fn params(&self) -> [&(dyn ToSql + Sync); 12] {
        [
            &self.session_id,
            &self.site_id,
            &self.link_id,
            &self.clicked_at,
            &self.page_url,
            &self.keyword,
            &self.keyword_source,
            &self.network,
            &self.referrer,
            &self.user_agent,
            &self.visitor_hash,
            &self.is_bot,
        ]
    }

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

/// One statement for a whole batch of new clicks, with the batch's pending
/// report rows (migration 0007). Their session ids were minted moments ago
/// (90 random bits), so there is no conflict to look for: `ON CONFLICT`
/// would cost a second index search and a WAL record per click, a sixth of
/// the click path's rate. Should one collide all the same, the statement
/// fails, the batch is spooled, and replay (which does skip ids already
/// present) writes it.
#[tracing::instrument(skip_all, fields(rows = rows.len()))]
pub async fn insert_new_clicks(
    client: &impl GenericClient,
    rows: &[&ClickRow],
) -> Result<(), tokio_postgres::Error> {
    let c = Columns::of(rows);
    let g = PendingGroups::of(rows);
    let statement = client
        .prepare_cached(
            "SELECT affrank_record_clicks($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
             $13, $14, $15, $16, $17, $18, $19)",
        )
        .await?;
    let groups = [
        &g.site_id as &(dyn ToSql + Sync),
        &g.second,
        &g.link_id,
        &g.page_url,
        &g.keyword,
        &g.clicks,
        &g.bot_clicks,
    ];
    let params: Vec<&(dyn ToSql + Sync)> = c.params().into_iter().chain(groups).collect();
    client.execute(&statement, &params).await?;
    Ok(())
}

/// A batch's clicks grouped as `report_click_pending` holds them: by site,
/// UTC second, link, page and keyword ('' for none), counting browsers and
/// bots apart.
#[derive(Debug, Default, PartialEq)]
struct PendingGroups<'a> {
    site_id: Vec<&'a str>,
    second: Vec<chrono::DateTime<chrono::Utc>>,
    link_id: Vec<&'a str>,
    page_url: Vec<&'a str>,
    keyword: Vec<&'a str>,
    clicks: Vec<i64>,
    bot_clicks: Vec<i64>,
}

impl<'a> PendingGroups<'a> {
    fn of(rows: &[&'a ClickRow]) -> Self {
        let mut groups = Self::default();
        let mut index = HashMap::new();
        for row in rows {
            let second = row
                .clicked_at
                .with_nanosecond(0)
                .expect("zero nanoseconds is a valid time");
            let keyword = row.keyword.as_deref().unwrap_or("");
            let key = (
                second,
                row.link_id.as_str(),
                row.site_id.as_str(),
                row.page_url.as_str(),
                keyword,
            );
            let i = *index.entry(key).or_insert_with(|| {
                groups.site_id.push(row.site_id.as_str());
                groups.second.push(second);
                groups.link_id.push(row.link_id.as_str());
                groups.page_url.push(&row.page_url);
                groups.keyword.push(keyword);
                groups.clicks.push(0);
                groups.bot_clicks.push(0);
                groups.site_id.len() - 1
            });
            if row.is_bot {
                groups.bot_clicks[i] += 1;
            } else {
                groups.clicks[i] += 1;
            }
        }
        groups
    }
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
    let sql = format!(
        "INSERT INTO clicks ({COLUMNS}) SELECT {COLUMNS} FROM {UNNEST} \
         WHERE EXISTS (SELECT 1 FROM links l WHERE l.id = c.link_id) \
         ON CONFLICT (session_id) DO NOTHING"
    );
    let c = Columns::of(rows);
    let statement = client.prepare_cached(&sql).await?;
    client.execute(&statement, &c.params()).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{LinkId, SessionId, SiteId};
    use chrono::TimeZone;

    fn click(session: &str, link: &str, keyword: Option<&str>, ms: i64, is_bot: bool) -> ClickRow {
        ClickRow {
            session_id: SessionId::parse(session).unwrap(),
            site_id: SiteId::parse("SiteSiteSiteSiteSite").unwrap(),
            link_id: LinkId::parse(&format!("{link:0>11}")).unwrap(),
            clicked_at: chrono::Utc
                .timestamp_millis_opt(1_780_000_000_000 + ms)
                .unwrap(),
            page_url: "https://blog.test/p/".into(),
            keyword: keyword.map(str::to_owned),
            keyword_source: None,
            network: None,
            referrer: None,
            user_agent: None,
            visitor_hash: None,
            is_bot,
        }
    }

    #[test]
    fn groups_count_browsers_and_bots_per_second_link_and_keyword() {
        let rows = [
            click("a", "L1", Some("k"), 10, false),
            click("b", "L1", Some("k"), 990, true),
            click("c", "L1", Some("k"), 1_000, false),
            click("d", "L2", None, 20, false),
            click("e", "L2", Some(""), 30, false),
            click("f", "L1", Some("k"), 500, false),
        ];
        let refs: Vec<&ClickRow> = rows.iter().collect();
        let g = PendingGroups::of(&refs);
        let second = |s: i64| chrono::Utc.timestamp_opt(1_780_000_000 + s, 0).unwrap();
        assert_eq!(g.link_id, ["000000000L1", "000000000L1", "000000000L2"]);
        assert_eq!(g.second, [second(0), second(1), second(0)]);
        assert_eq!(
            g.keyword,
            ["k", "k", ""],
            "no keyword groups with '' as the trigger's coalesce does"
        );
        assert_eq!(g.clicks, [2, 1, 2]);
        assert_eq!(g.bot_clicks, [1, 0, 0]);
        assert_eq!(
            g.clicks.iter().chain(&g.bot_clicks).sum::<i64>(),
            rows.len() as i64
        );
    }
}
