//! One small function per query over `conversions`, its history and the
//! conversion log, for the ledger API.

use super::{ListQuery, NewManual};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use rust_decimal::Decimal;
use serde::Serialize;
use tokio_postgres::Row;

/// A conversion as `GET /api/v1/conversions` lists it.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ConversionRow {
    pub id: i64,
    pub source: String,
    /// The conversion's network, else its link's, else `""`.
    pub network: String,
    pub transaction_id: Option<String>,
    /// `null` when it came with none.
    pub session_id: Option<String>,
    pub status: String,
    /// As received, a decimal string; `null` for a lead without one.
    pub amount: Option<String>,
    pub currency: Option<String>,
    /// In the site's currency; `null` when the site has no rate.
    pub amount_site: Option<String>,
    pub received_at: DateTime<Utc>,
    pub page_url: Option<String>,
    pub keyword: Option<String>,
    pub link_id: Option<String>,
    pub label: Option<String>,
    pub product: Option<String>,
    pub event: String,
    pub note: Option<String>,
    /// Credited to a click, to a page only, or to nothing.
    pub attribution: &'static str,
}

/// The network a conversion counts under in the ledger and the reports:
/// its own, else its link's (postbacks carry none), else `''`. `v` is
/// `conversions`, `l` the link joined on `l.id = v.link_id`.
pub const EFFECTIVE_NETWORK: &str = "coalesce(nullif(v.network, ''), l.network, '')";

fn columns() -> String {
    format!(
        "v.id, v.source, {EFFECTIVE_NETWORK}, v.transaction_id, nullif(v.session_id, ''), \
         v.status, v.amount, v.currency, v.amount_site, v.received_at, v.page_url, v.keyword, \
         v.link_id, v.label, v.product, v.event, v.note, v.clicked_at IS NOT NULL"
    )
}

/// Exact, with at least two decimals, as the reports write money.
fn money(d: Option<Decimal>) -> Option<String> {
    d.map(|d| {
        let mut d = d.normalize();
        if d.scale() < 2 {
            d.rescale(2);
        }
        d.to_string()
    })
}

fn row_of(row: &Row) -> ConversionRow {
    let page_url: Option<String> = row.get(10);
    let clicked: bool = row.get(17);
    ConversionRow {
        id: row.get(0),
        source: row.get(1),
        network: row.get(2),
        transaction_id: row.get(3),
        session_id: row.get(4),
        status: row.get(5),
        amount: money(row.get(6)),
        currency: row.get(7),
        amount_site: money(row.get(8)),
        received_at: row.get(9),
        attribution: if clicked {
            "click"
        } else if page_url.is_some() {
            "page"
        } else {
            "none"
        },
        page_url,
        keyword: row.get(11),
        link_id: row.get(12),
        label: row.get(13),
        product: row.get(14),
        event: row.get(15),
        note: row.get(16),
    }
}

/// A page of the site's conversions, newest recorded first, and how many
/// match the filters.
#[tracing::instrument(skip(client))]
pub async fn list(
    client: &impl GenericClient,
    site_id: &str,
    q: &ListQuery,
) -> Result<(Vec<ConversionRow>, i64), tokio_postgres::Error> {
    let filters = format!(
        "FROM conversions v LEFT JOIN links l ON l.id = v.link_id \
         WHERE v.site_id = $1 AND ($2::text IS NULL OR v.source = $2) \
           AND ($3::text IS NULL OR {EFFECTIVE_NETWORK} = $3) \
           AND ($4::text IS NULL OR v.status = $4)"
    );
    let rows = client
        .query(
            &format!(
                "SELECT {}, count(*) OVER () {filters} ORDER BY v.id DESC LIMIT $5 OFFSET $6",
                columns()
            ),
            &[
                &site_id, &q.source, &q.network, &q.status, &q.limit, &q.offset,
            ],
        )
        .await?;
    let total = match rows.first() {
        Some(row) => row.get(18),
        // Past the last page: count them anyway.
        None => client
            .query_one(
                &format!("SELECT count(*) {filters}"),
                &[&site_id, &q.source, &q.network, &q.status],
            )
            .await?
            .get(0),
    };
    Ok((rows.iter().map(row_of).collect(), total))
}

/// One of the site's conversions.
#[tracing::instrument(skip(client))]
pub async fn find(
    client: &impl GenericClient,
    site_id: &str,
    id: i64,
) -> Result<Option<ConversionRow>, tokio_postgres::Error> {
    let row = client
        .query_opt(
            &format!(
                "SELECT {} FROM conversions v LEFT JOIN links l ON l.id = v.link_id \
                 WHERE v.site_id = $1 AND v.id = $2",
                columns()
            ),
            &[&site_id, &id],
        )
        .await?;
    Ok(row.as_ref().map(row_of))
}

/// Inserts a manual conversion, matched to the click with its session id
/// (as a postback is); `None` when its transaction id is taken. Without a
/// transaction id it gets one (`manual-` and 16 hex digits), so that it
/// has a key like every other and cannot meet a postback's.
#[tracing::instrument(skip(client, m))]
pub async fn insert_manual(
    client: &impl GenericClient,
    site_id: &str,
    m: &NewManual,
) -> Result<Option<i64>, tokio_postgres::Error> {
    let transaction_id = m
        .transaction_id
        .clone()
        .unwrap_or_else(|| format!("manual-{:016x}", rand::random::<u64>()));
    let session_id = m.session_id.as_ref().map_or("", |s| s.as_str());
    let is_lead = m.amount.is_zero();
    let row = client
        .query_opt(
            "INSERT INTO conversions AS v (site_id, session_id, transaction_id, event, status, \
                 amount, currency, amount_site, unconverted, is_lead, received_at, updated_at, \
                 link_id, page_url, keyword, clicked_at, fast_conversion, bot_click, \
                 source, network, product, note) \
             SELECT $1, $2, $3, '', $4, $5, $6, $7, $7 IS NULL, $8, $9, now(), \
                    c.link_id, coalesce(c.page_url, $10), c.keyword, c.clicked_at, \
                    coalesce($9 - c.clicked_at < interval '1 second', false), \
                    coalesce(c.is_bot, false), 'manual', $11, $12, $13 \
             FROM (SELECT 1) one \
             LEFT JOIN clicks c ON $2 <> '' AND c.session_id = $2 AND c.site_id = $1 \
             ON CONFLICT DO NOTHING \
             RETURNING v.id",
            &[
                &site_id,
                &session_id,
                &transaction_id,
                &m.status,
                &m.amount,
                &m.currency,
                &m.amount_site,
                &is_lead,
                &m.received_at,
                &m.page_url,
                &m.network,
                &m.product,
                &m.note,
            ],
        )
        .await?;
    Ok(row.map(|row| row.get(0)))
}

/// What an edit starts from, locked until the transaction ends.
#[derive(Clone, Debug)]
pub struct Current {
    pub source: String,
    pub status: String,
    pub amount: Option<Decimal>,
    pub currency: Option<String>,
    pub amount_site: Option<Decimal>,
    pub received_at: DateTime<Utc>,
    pub page_url: Option<String>,
}

#[tracing::instrument(skip(client))]
pub async fn lock(
    client: &impl GenericClient,
    site_id: &str,
    id: i64,
) -> Result<Option<Current>, tokio_postgres::Error> {
    let row = client
        .query_opt(
            "SELECT source, status, amount, currency, amount_site, received_at, page_url \
             FROM conversions WHERE site_id = $1 AND id = $2 FOR UPDATE",
            &[&site_id, &id],
        )
        .await?;
    Ok(row.map(|row| Current {
        source: row.get(0),
        status: row.get(1),
        amount: row.get(2),
        currency: row.get(3),
        amount_site: row.get(4),
        received_at: row.get(5),
        page_url: row.get(6),
    }))
}

/// The values an edit writes (the unchanged ones as they were).
#[derive(Clone, Debug)]
pub struct Changed {
    pub status: String,
    pub amount: Option<Decimal>,
    pub currency: Option<String>,
    pub amount_site: Option<Decimal>,
    pub received_at: DateTime<Utc>,
    pub page_url: Option<String>,
    /// The page credit is taken off (`page_url` set to null by hand).
    pub clear_page: bool,
}

/// Writes an edit. Taking the page credit off is said to migration 0014's
/// trigger through a transaction-local setting (it otherwise keeps a
/// credit an update blanks).
#[tracing::instrument(skip(client, c))]
pub async fn update(
    client: &impl GenericClient,
    id: i64,
    c: &Changed,
) -> Result<(), tokio_postgres::Error> {
    if c.clear_page {
        client
            .execute(
                "SELECT set_config('affrank.clear_page_credit', 'on', true)",
                &[],
            )
            .await?;
    }
    let is_lead = c.amount.is_none_or(|a| a.is_zero());
    client
        .execute(
            "UPDATE conversions SET status = $2, amount = $3, currency = $4, amount_site = $5, \
                 unconverted = $5 IS NULL, is_lead = $6, received_at = $7, \
                 page_url = CASE WHEN clicked_at IS NULL THEN $8 ELSE page_url END, \
                 updated_at = now() \
             WHERE id = $1",
            &[
                &id,
                &c.status,
                &c.amount,
                &c.currency,
                &c.amount_site,
                &is_lead,
                &c.received_at,
                &c.page_url,
            ],
        )
        .await?;
    if c.clear_page {
        client
            .execute(
                "SELECT set_config('affrank.clear_page_credit', 'off', true)",
                &[],
            )
            .await?;
    }
    Ok(())
}

/// A history row: the status (and amount) a conversion has from now on,
/// written by hand.
#[tracing::instrument(skip(client))]
pub async fn add_history(
    client: &impl GenericClient,
    id: i64,
    status: &str,
    amount_site: Option<Decimal>,
) -> Result<(), tokio_postgres::Error> {
    client
        .execute(
            "INSERT INTO conversion_status_history (conversion_id, status, amount_site, \
                 changed_at, source) VALUES ($1, $2, $3, now(), 'manual')",
            &[&id, &status, &amount_site],
        )
        .await?;
    Ok(())
}

/// The conversion log's row for a manual change (source `manual`).
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(skip(client, params))]
pub async fn log(
    client: &impl GenericClient,
    site_id: &str,
    method: &str,
    params: &serde_json::Value,
    outcome: &str,
    http_status: i16,
    message: &str,
    conversion_id: i64,
) -> Result<(), tokio_postgres::Error> {
    client
        .execute(
            "INSERT INTO postback_log (received_at, site_id, method, params, outcome, \
                 http_status, message, conversion_id, source) \
             VALUES (now(), $1, $2, $3, $4, $5, $6, $7, 'manual')",
            &[
                &site_id,
                &method,
                params,
                &outcome,
                &http_status,
                &message,
                &conversion_id,
            ],
        )
        .await?;
    Ok(())
}
