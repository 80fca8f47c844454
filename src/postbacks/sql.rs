//! Settling postbacks, a batch at a time, and the postback log.
//!
//! A batch is one statement (`settle.sql`): `INSERT … ON CONFLICT DO
//! UPDATE` for each kind of dedupe key, inserting new conversions (matched
//! to their click on the way), changing the status of known ones, keeping
//! the history, and writing every request's log row with its outcome. The
//! unique constraints decide, so the dedupe holds between concurrent
//! batches and between processes sharing the database.

use super::{NewConversion, Outcome, PostbackRecord, Settled};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use rust_decimal::Decimal;
use std::collections::HashMap;
use tokio_postgres::Row;

/// What makes two postbacks the same conversion.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Transaction(String, String),
    SessionEvent(String, String, String),
}

impl Key {
    fn of(site_id: &str, c: &NewConversion) -> Self {
        match &c.transaction_id {
            Some(t) => Self::Transaction(site_id.to_owned(), t.clone()),
            None => Self::SessionEvent(
                site_id.to_owned(),
                c.session_id.as_str().to_owned(),
                c.event.to_lowercase(),
            ),
        }
    }
}

/// A repeat with another status changes it; a positive amount on the
/// repeat replaces the stored one (a network's adjusted commission), an
/// absent or zero one keeps it (a reversal often carries no amount). A
/// conversion still waiting for its click takes it if it is there now.
const UPSERT_UPDATE: &str = "\
  DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at,
    source      = excluded.source,
    amount      = CASE WHEN excluded.amount > 0 THEN excluded.amount ELSE v.amount END,
    currency    = CASE WHEN excluded.amount > 0 THEN excluded.currency ELSE v.currency END,
    amount_site = CASE WHEN excluded.amount > 0 THEN excluded.amount_site ELSE v.amount_site END,
    unconverted = CASE WHEN excluded.amount > 0 THEN excluded.unconverted ELSE v.unconverted END,
    is_lead     = CASE WHEN excluded.amount > 0 THEN false ELSE v.is_lead END,
    link_id     = CASE WHEN v.clicked_at IS NULL THEN excluded.link_id ELSE v.link_id END,
    page_url    = CASE WHEN v.clicked_at IS NULL THEN excluded.page_url ELSE v.page_url END,
    keyword     = CASE WHEN v.clicked_at IS NULL THEN excluded.keyword ELSE v.keyword END,
    fast_conversion = CASE WHEN v.clicked_at IS NULL THEN excluded.fast_conversion ELSE v.fast_conversion END,
    bot_click   = CASE WHEN v.clicked_at IS NULL THEN excluded.bot_click ELSE v.bot_click END,
    clicked_at  = coalesce(v.clicked_at, excluded.clicked_at)
  WHERE v.status <> excluded.status
  RETURNING v.id, v.site_id, v.session_id, v.transaction_id, v.event, (xmax = 0) AS inserted,
            v.clicked_at IS NOT NULL AS matched, v.status, v.amount_site, v.updated_at";

static SETTLE: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| include_str!("settle.sql").replace("/*UPDATE*/", UPSERT_UPDATE));

/// One statement's share of a batch: conversions with distinct keys, and
/// the requests whose log rows go with them.
#[derive(Default)]
struct Round<'a> {
    conversions: Vec<(&'a PostbackRecord, &'a NewConversion)>,
    /// (record, index into `settled`, its conversion's 1-based position, copy)
    requests: Vec<(&'a PostbackRecord, usize, Option<i64>, bool)>,
}

/// Settles a batch; one answer per record, in order. Usually one statement
/// (atomic on its own, one round trip); a key repeated with another status
/// within the batch goes to a later statement, so changes apply in order.
#[tracing::instrument(skip_all, fields(records = records.len()))]
pub async fn settle(
    client: &impl GenericClient,
    records: &[&PostbackRecord],
) -> Result<Vec<Settled>, tokio_postgres::Error> {
    let mut rounds: Vec<Round> = vec![Round::default()];
    // key → (round, position in that round, status)
    let mut seen: HashMap<Key, (usize, i64, super::params::Status)> = HashMap::new();
    for (n, record) in records.iter().enumerate() {
        let Some(conversion) = &record.conversion else {
            rounds[0].requests.push((record, n, None, false));
            continue;
        };
        let key = Key::of(&record.site_id, conversion);
        let round = match seen.get(&key) {
            Some(&(round, position, status)) if status == conversion.status => {
                rounds[round]
                    .requests
                    .push((record, n, Some(position), true));
                continue;
            }
            Some(&(round, _, _)) => round + 1,
            None => 0,
        };
        if rounds.len() <= round {
            rounds.resize_with(round + 1, Round::default);
        }
        let r = &mut rounds[round];
        r.conversions.push((record, conversion));
        let position = r.conversions.len() as i64;
        r.requests.push((record, n, Some(position), false));
        seen.insert(key, (round, position, conversion.status));
    }
    let mut settled: Vec<Option<Settled>> = vec![None; records.len()];
    for round in &rounds {
        let rows = settle_round(client, round).await?;
        for ((_, n, _, _), row) in round.requests.iter().zip(rows) {
            let outcome: String = row.get(0);
            settled[*n] = Some(Settled {
                outcome: outcome_named(&outcome),
                conversion_id: row.get(1),
                message: row.get(2),
            });
        }
    }
    Ok(settled
        .into_iter()
        .map(|s| s.expect("every record is settled"))
        .collect())
}

fn outcome_named(name: &str) -> Outcome {
    Outcome::ALL
        .into_iter()
        .find(|o| o.as_str() == name)
        .unwrap_or(Outcome::Invalid)
}

async fn settle_round(
    client: &impl GenericClient,
    round: &Round<'_>,
) -> Result<Vec<Row>, tokio_postgres::Error> {
    let c = &round.conversions;
    let site_id: Vec<&str> = c.iter().map(|(r, _)| r.site_id.as_str()).collect();
    let session_id: Vec<&str> = c.iter().map(|(_, v)| v.session_id.as_str()).collect();
    let transaction_id: Vec<Option<&str>> =
        c.iter().map(|(_, v)| v.transaction_id.as_deref()).collect();
    let event: Vec<&str> = c.iter().map(|(_, v)| v.event.as_str()).collect();
    let status: Vec<&str> = c.iter().map(|(_, v)| v.status.as_str()).collect();
    let amount: Vec<Option<Decimal>> = c.iter().map(|(_, v)| v.amount).collect();
    let currency: Vec<Option<&str>> = c.iter().map(|(_, v)| v.currency.as_deref()).collect();
    let amount_site: Vec<Option<Decimal>> = c.iter().map(|(_, v)| v.amount_site).collect();
    let is_lead: Vec<bool> = c.iter().map(|(_, v)| v.is_lead).collect();
    let received_at: Vec<DateTime<Utc>> = c.iter().map(|(r, _)| r.received_at).collect();

    let l = &round.requests;
    let log_received_at: Vec<DateTime<Utc>> = l.iter().map(|q| q.0.received_at).collect();
    let log_site_id: Vec<&str> = l.iter().map(|q| q.0.site_id.as_str()).collect();
    let source: Vec<Option<&str>> = l.iter().map(|q| q.0.source_addr.as_deref()).collect();
    let method: Vec<&str> = l.iter().map(|q| q.0.method.as_str()).collect();
    let params: Vec<&serde_json::Value> = l.iter().map(|q| &q.0.params).collect();
    let outcome: Vec<&str> = l.iter().map(|q| q.0.outcome.as_str()).collect();
    let message: Vec<&str> = l.iter().map(|q| q.0.message.as_str()).collect();
    let conv_ord: Vec<Option<i64>> = l.iter().map(|q| q.2).collect();
    let is_copy: Vec<bool> = l.iter().map(|q| q.3).collect();

    // An unnamed statement, planned for each batch: a prepared one soon
    // runs on a generic plan made while `conversions` was small, which
    // joins it by a sequential scan; as the table grows every batch reads
    // all of it (4,300 postbacks/s in the benchmark, against 23,700 so).
    client
        .query(
            SETTLE.as_str(),
            &[
                &site_id,
                &session_id,
                &transaction_id,
                &event,
                &status,
                &amount,
                &currency,
                &amount_site,
                &is_lead,
                &received_at,
                &log_received_at,
                &log_site_id,
                &source,
                &method,
                &params,
                &outcome,
                &message,
                &conv_ord,
                &is_copy,
            ],
        )
        .await
}

/// Gives conversions that arrived before their click (a click spooled
/// during an outage, or spooled by another sidecar) that click's page,
/// keyword, link and day. `None`: every waiting conversion.
#[tracing::instrument(skip_all)]
pub async fn match_late_clicks(
    client: &impl GenericClient,
    session_ids: Option<&[&str]>,
) -> Result<u64, tokio_postgres::Error> {
    let statement = client
        .prepare_cached(
            "UPDATE conversions v SET link_id = c.link_id, page_url = c.page_url, \
             keyword = c.keyword, clicked_at = c.clicked_at, bot_click = c.is_bot, \
             fast_conversion = v.received_at - c.clicked_at < interval '1 second' \
             FROM clicks c \
             WHERE v.clicked_at IS NULL AND ($1::text[] IS NULL OR v.session_id = ANY($1)) \
             AND c.session_id = v.session_id AND c.site_id = v.site_id",
        )
        .await?;
    client.execute(&statement, &[&session_ids]).await
}

#[tracing::instrument(skip(client))]
pub async fn click_exists(
    client: &impl GenericClient,
    site_id: &str,
    session_id: &str,
) -> Result<bool, tokio_postgres::Error> {
    let row = client
        .query_opt(
            "SELECT 1 FROM clicks WHERE session_id = $1 AND site_id = $2",
            &[&session_id, &site_id],
        )
        .await?;
    Ok(row.is_some())
}

#[derive(Debug, serde::Serialize)]
pub struct LogRow {
    pub id: i64,
    pub received_at: DateTime<Utc>,
    pub source_addr: Option<String>,
    pub method: String,
    pub params: serde_json::Value,
    pub outcome: String,
    pub http_status: i16,
    pub message: String,
    pub conversion_id: Option<i64>,
}

#[tracing::instrument(skip(client))]
pub async fn recent_log(
    client: &impl GenericClient,
    site_id: &str,
    outcome: Option<&str>,
    limit: i64,
) -> Result<Vec<LogRow>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT id, received_at, source_addr, method, params, outcome, http_status, message, \
             conversion_id FROM postback_log \
             WHERE site_id = $1 AND ($2::text IS NULL OR outcome = $2) \
             ORDER BY id DESC LIMIT $3",
            &[&site_id, &outcome, &limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| LogRow {
            id: r.get(0),
            received_at: r.get(1),
            source_addr: r.get(2),
            method: r.get(3),
            params: r.get(4),
            outcome: r.get(5),
            http_status: r.get(6),
            message: r.get(7),
            conversion_id: r.get(8),
        })
        .collect())
}

/// Deletes log rows received before `before`, a bounded chunk at a time so
/// that pruning never holds long locks; returns how many went.
#[tracing::instrument(skip(client))]
pub async fn prune_log(
    client: &impl GenericClient,
    before: DateTime<Utc>,
) -> Result<u64, tokio_postgres::Error> {
    let mut total = 0;
    loop {
        let deleted = client
            .execute(
                "DELETE FROM postback_log WHERE id IN \
                 (SELECT id FROM postback_log WHERE received_at < $1 LIMIT 10000)",
                &[&before],
            )
            .await?;
        total += deleted;
        if deleted < 10_000 {
            return Ok(total);
        }
    }
}
