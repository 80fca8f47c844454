//! Writes clicks and conversions the way production does (the click
//! writer's statement; postback-shaped upserts and late matches), and a
//! seeded random data set made of them.

use affrank::clicks::ClickRow;
use affrank::ids::{LinkId, SessionId, SiteId};
use chrono::{DateTime, Duration, Utc};
use deadpool_postgres::GenericClient;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rust_decimal::Decimal;

pub struct Link {
    pub id: String,
    pub page_url: String,
    pub keyword: Option<String>,
}

/// Registers a link directly (the rewrite endpoint derives the same id).
pub async fn add_link(
    client: &impl GenericClient,
    site_id: &str,
    url: &str,
    page_url: &str,
    keyword: Option<&str>,
    network: Option<&str>,
) -> Link {
    let site = affrank::ids::SiteId::parse(site_id).unwrap();
    let id = affrank::ids::LinkId::derive(&site, url, page_url, keyword);
    client
        .execute(
            "INSERT INTO links (id, site_id, url, page_url, keyword, network) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&id.as_str(), &site_id, &url, &page_url, &keyword, &network],
        )
        .await
        .unwrap();
    Link {
        id: id.as_str().to_owned(),
        page_url: page_url.to_owned(),
        keyword: keyword.map(str::to_owned),
    }
}

pub fn click(
    site_id: &str,
    link: &Link,
    session: &str,
    at: DateTime<Utc>,
    is_bot: bool,
) -> ClickRow {
    ClickRow {
        session_id: SessionId::parse(session).expect("a session id"),
        site_id: SiteId::parse(site_id).expect("a site id"),
        link_id: LinkId::parse(&link.id).expect("a link id"),
        clicked_at: at,
        page_url: link.page_url.clone(),
        keyword: link.keyword.clone(),
        keyword_source: link.keyword.as_ref().map(|_| "post_meta".to_owned()),
        network: None,
        referrer: None,
        user_agent: None,
        visitor_hash: None,
        is_bot,
    }
}

/// The click writer's own statement.
pub async fn insert_clicks(client: &impl GenericClient, rows: &[ClickRow]) {
    let refs: Vec<&ClickRow> = rows.iter().collect();
    affrank::clicks::sql::insert_new_clicks(client, &refs)
        .await
        .unwrap();
}

pub struct Conversion<'a> {
    pub site_id: &'a str,
    pub session_id: &'a str,
    pub transaction_id: Option<&'a str>,
    pub status: &'a str,
    /// `None`: a lead with no amount.
    pub amount: Option<Decimal>,
    /// `false`: no rate for the currency, so no amount in the site's.
    pub converted: bool,
    pub received_at: DateTime<Utc>,
}

/// A postback: matched to its click when the click is there, and an update
/// of status and amount when the transaction id was seen before.
pub async fn upsert_conversion(client: &impl GenericClient, c: &Conversion<'_>) {
    let is_lead = c.amount.is_none_or(|a| a.is_zero());
    let amount_site = if c.converted { c.amount } else { None };
    let currency = if c.converted { "USD" } else { "XAF" };
    let unconverted = !c.converted && !is_lead;
    client
        .execute(
            "INSERT INTO conversions (site_id, session_id, transaction_id, event, status, amount, currency, \
                 amount_site, unconverted, is_lead, received_at, updated_at, link_id, page_url, keyword, \
                 clicked_at, fast_conversion, bot_click) \
             SELECT $1, $2, $3, '', $4, $5, $6, $7, $8, $9, $10, $10, c.link_id, c.page_url, c.keyword, \
                    c.clicked_at, coalesce($10 - c.clicked_at < interval '1 second', false), coalesce(c.is_bot, false) \
             FROM (SELECT 1) one LEFT JOIN clicks c ON c.session_id = $2 AND c.site_id = $1 \
             ON CONFLICT (site_id, transaction_id, network) DO UPDATE SET status = EXCLUDED.status, \
                 amount = EXCLUDED.amount, amount_site = EXCLUDED.amount_site, updated_at = EXCLUDED.updated_at",
            &[
                &c.site_id,
                &c.session_id,
                &c.transaction_id,
                &c.status,
                &c.amount,
                &currency,
                &amount_site,
                &unconverted,
                &is_lead,
                &c.received_at,
            ],
        )
        .await
        .unwrap();
}

/// A click that arrived after its conversion (spool replay): the
/// conversion takes the click's attribution.
pub async fn late_match(client: &impl GenericClient, site_id: &str) -> u64 {
    client
        .execute(
            "UPDATE conversions v SET link_id = c.link_id, page_url = c.page_url, keyword = c.keyword, \
                 clicked_at = c.clicked_at, bot_click = c.is_bot, \
                 fast_conversion = v.received_at - c.clicked_at < interval '1 second' \
             FROM clicks c WHERE v.clicked_at IS NULL AND v.site_id = $1 \
               AND c.session_id = v.session_id AND c.site_id = v.site_id",
            &[&site_id],
        )
        .await
        .unwrap()
}

pub struct Dataset {
    /// The first day of data (UTC); everything lies within 70 days of it.
    pub start: DateTime<Utc>,
    /// (session id, transaction id) of every conversion with a transaction id.
    pub transactions: Vec<(String, String)>,
    rng: StdRng,
    links: Vec<Link>,
    site_id: String,
}

const STATUSES: [&str; 4] = ["approved", "pending", "rejected", "reversed"];

impl Dataset {
    /// Links on a few pages with a few keywords (one with none, one that a
    /// spreadsheet would run), then clicks and conversions written as
    /// production writes them: bots, leads, unconverted amounts, unmatched
    /// postbacks, and clicks that arrive after their conversion.
    pub async fn generate(client: &impl GenericClient, site_id: &str, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let keywords = [
            Some("running shoes"),
            Some("trail, shoes"),
            None,
            Some("=1+1"),
            Some("socks"),
        ];
        let mut links = Vec::new();
        for i in 0..12 {
            let page = format!("https://blog.test/post-{}/", i % 5);
            let keyword = keywords[rng.random_range(0..keywords.len())];
            let network = ["awin", "impact"][i % 2];
            links.push(
                add_link(
                    client,
                    site_id,
                    &format!("https://shop.test/p{i}"),
                    &page,
                    keyword,
                    Some(network),
                )
                .await,
            );
        }
        let start = Utc::now() - Duration::days(75);
        let mut data = Self {
            start,
            transactions: Vec::new(),
            rng,
            links,
            site_id: site_id.to_owned(),
        };
        let mut late = Vec::new();
        for batch in 0..12 {
            let mut rows = Vec::new();
            let mut converted = Vec::new();
            for i in 0..50 {
                let session = format!("s{seed}b{batch}i{i}");
                let row = data.random_click(&session);
                if data.rng.random_bool(0.12) {
                    converted.push((row.session_id.clone(), row.clicked_at));
                }
                // Some clicks reach the table only after their conversion.
                if data.rng.random_bool(0.05) {
                    late.push(row);
                } else {
                    rows.push(row);
                }
            }
            insert_clicks(client, &rows).await;
            for (session, at) in converted {
                data.convert(client, session.as_str(), at).await;
            }
        }
        // Postbacks whose click never arrives.
        for i in 0..15 {
            let at = start + Duration::minutes(data.rng.random_range(0..70 * 24 * 60));
            data.convert(client, &format!("unmatched{seed}x{i}"), at)
                .await;
        }
        insert_clicks(client, &late).await;
        late_match(client, site_id).await;
        data
    }

    fn random_click(&mut self, session: &str) -> ClickRow {
        let link = &self.links[self.rng.random_range(0..self.links.len())];
        // Many clicks near midnight UTC, where time zones disagree on the day.
        let day = self.rng.random_range(0..70);
        let minute = if self.rng.random_bool(0.3) {
            self.rng.random_range(22 * 60..26 * 60)
        } else {
            self.rng.random_range(0..24 * 60)
        };
        let at = self.start + Duration::days(day) + Duration::minutes(minute);
        click(&self.site_id, link, session, at, self.rng.random_bool(0.1))
    }

    fn random_amount(&mut self) -> Option<Decimal> {
        if self.rng.random_bool(0.15) {
            None
        } else {
            Some(Decimal::new(self.rng.random_range(1..30_000), 2))
        }
    }

    async fn convert(
        &mut self,
        client: &impl GenericClient,
        session: &str,
        clicked: DateTime<Utc>,
    ) {
        let status = STATUSES[self.rng.random_range(0..4)];
        let amount = self.random_amount();
        let transaction = self.rng.random_bool(0.8).then(|| format!("tx-{session}"));
        let received_at = clicked + Duration::minutes(self.rng.random_range(0..4 * 24 * 60));
        upsert_conversion(
            client,
            &Conversion {
                site_id: &self.site_id,
                session_id: session,
                transaction_id: transaction.as_deref(),
                status,
                amount,
                converted: self.rng.random_bool(0.93),
                received_at,
            },
        )
        .await;
        if let Some(tx) = transaction {
            self.transactions.push((session.to_owned(), tx));
        }
    }

    /// Networks change their minds: approvals, reversals, rejections of a
    /// third of the conversions with a transaction id, by the same upsert.
    pub async fn change_statuses(&mut self, client: &impl GenericClient) {
        let transactions = self.transactions.clone();
        for (session, tx) in transactions {
            if !self.rng.random_bool(0.33) {
                continue;
            }
            let status = STATUSES[self.rng.random_range(0..4)];
            let amount = self.random_amount();
            upsert_conversion(
                client,
                &Conversion {
                    site_id: &self.site_id,
                    session_id: &session,
                    transaction_id: Some(&tx),
                    status,
                    amount,
                    converted: true,
                    received_at: Utc::now(),
                },
            )
            .await;
        }
    }

    /// Clicks replayed from a spool days later, with conversions that were
    /// waiting for them.
    pub async fn late_clicks(&mut self, client: &impl GenericClient, seed: u64) {
        let rows: Vec<ClickRow> = (0..40)
            .map(|i| self.random_click(&format!("late{seed}x{i}")))
            .collect();
        for row in rows.iter().take(10) {
            let at = row.clicked_at + Duration::hours(2);
            self.convert(client, row.session_id.as_str(), at).await;
        }
        insert_clicks(client, &rows).await;
        late_match(client, &self.site_id).await;
    }
}
