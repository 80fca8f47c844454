//! Settling postbacks, a batch at a time, and the postback log.
//!
//! A batch is one transaction: per dedupe key kind, one `INSERT … ON
//! CONFLICT DO UPDATE` that inserts new conversions (matched to their click
//! in the same statement), changes the status of known ones, records every
//! change in the history, and says per row what happened; then one INSERT
//! of all the log rows. The unique constraint decides, so the dedupe holds
//! between concurrent batches and between processes sharing the database.

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
                c.session_id.clone(),
                c.event.to_lowercase(),
            ),
        }
    }
}

const UPSERT_HEAD: &str = "\
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                       $6::numeric[], $7::text[], $8::numeric[], $9::bool[], $10::timestamptz[])
    WITH ORDINALITY AS i(site_id, session_id, transaction_id, event, status,
                         amount, currency, amount_site, is_lead, received_at, ord)
), upserted AS (
  INSERT INTO conversions AS v (site_id, session_id, transaction_id, event, status, amount,
      currency, amount_site, unconverted, is_lead, received_at, updated_at,
      link_id, page_url, keyword, clicked_at, fast_conversion, bot_click)
  SELECT i.site_id, i.session_id, i.transaction_id, i.event, i.status, i.amount,
         i.currency, i.amount_site, i.amount_site IS NULL, i.is_lead, i.received_at, i.received_at,
         c.link_id, c.page_url, c.keyword, c.clicked_at,
         coalesce(i.received_at - c.clicked_at < interval '1 second', false),
         coalesce(c.is_bot, false)
  FROM input i LEFT JOIN clicks c ON c.session_id = i.session_id AND c.site_id = i.site_id
  ORDER BY i.ord
";

/// A repeat with another status changes it; a positive amount on the
/// repeat replaces the stored one (a network's adjusted commission), an
/// absent or zero one keeps it (a reversal often carries no amount). A
/// conversion still waiting for its click takes it if it is there now.
const UPSERT_UPDATE: &str = "\
  DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at,
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
            v.clicked_at IS NOT NULL AS matched, v.status, v.amount_site, v.updated_at
), history AS (
  INSERT INTO conversion_status_history (conversion_id, status, amount_site, changed_at)
  SELECT id, status, amount_site, updated_at FROM upserted
)
";

const WITH_TRANSACTION: &str = "\
  ON CONFLICT ON CONSTRAINT conversions_site_transaction_key
";
const SELECT_WITH_TRANSACTION: &str = "\
SELECT i.ord, coalesce(u.id, e.id), u.id IS NOT NULL, coalesce(u.inserted, false),
       coalesce(u.matched, e.clicked_at IS NOT NULL)
FROM input i
LEFT JOIN upserted u ON u.site_id = i.site_id AND u.transaction_id = i.transaction_id
LEFT JOIN conversions e ON e.site_id = i.site_id AND e.transaction_id = i.transaction_id
";

const WITHOUT_TRANSACTION: &str = "\
  ON CONFLICT (site_id, session_id, lower(event)) WHERE transaction_id IS NULL
";
const SELECT_WITHOUT_TRANSACTION: &str = "\
SELECT i.ord, coalesce(u.id, e.id), u.id IS NOT NULL, coalesce(u.inserted, false),
       coalesce(u.matched, e.clicked_at IS NOT NULL)
FROM input i
LEFT JOIN upserted u ON u.site_id = i.site_id AND u.session_id = i.session_id
                    AND lower(u.event) = lower(i.event) AND u.transaction_id IS NULL
LEFT JOIN conversions e ON e.site_id = i.site_id AND e.session_id = i.session_id
                       AND lower(e.event) = lower(i.event) AND e.transaction_id IS NULL
";

/// Settles a batch inside the caller's transaction; one answer per record.
#[tracing::instrument(skip_all, fields(records = records.len()))]
pub async fn settle(
    client: &impl GenericClient,
    records: &[&PostbackRecord],
) -> Result<Vec<Settled>, tokio_postgres::Error> {
    let mut settled: Vec<Option<Settled>> = vec![None; records.len()];
    // Within one batch a key may come more than once. A repeat of the same
    // status is a duplicate of the earlier one; another status waits for a
    // later round, so each statement sees a key at most once and the
    // changes apply in arrival order.
    let mut rounds: Vec<Vec<usize>> = Vec::new();
    let mut seen: HashMap<Key, (usize, usize)> = HashMap::new(); // key → (round, record)
    let mut copies: Vec<(usize, usize)> = Vec::new(); // (record, earlier record)
    for (n, record) in records.iter().enumerate() {
        let Some(conversion) = &record.conversion else {
            settled[n] = Some(Settled {
                outcome: record.outcome,
                conversion_id: None,
                message: record.message.clone(),
            });
            continue;
        };
        let key = Key::of(&record.site_id, conversion);
        let round = match seen.get(&key) {
            Some(&(_, earlier))
                if records[earlier].conversion.as_ref().map(|c| c.status)
                    == Some(conversion.status) =>
            {
                copies.push((n, earlier));
                continue;
            }
            Some(&(round, _)) => round + 1,
            None => 0,
        };
        seen.insert(key, (round, n));
        if rounds.len() <= round {
            rounds.resize_with(round + 1, Vec::new);
        }
        rounds[round].push(n);
    }
    for round in &rounds {
        let (with, without): (Vec<usize>, Vec<usize>) = round.iter().partition(|&&n| {
            records[n]
                .conversion
                .as_ref()
                .is_some_and(|c| c.transaction_id.is_some())
        });
        for (members, conflict, select) in [
            (with, WITH_TRANSACTION, SELECT_WITH_TRANSACTION),
            (without, WITHOUT_TRANSACTION, SELECT_WITHOUT_TRANSACTION),
        ] {
            if members.is_empty() {
                continue;
            }
            let rows = upsert(client, records, &members, conflict, select).await?;
            for row in rows {
                let ord: i64 = row.get(0);
                let n = members[(ord - 1) as usize];
                settled[n] = Some(settlement(records[n], &row));
            }
        }
    }
    for (n, earlier) in copies {
        let conversion_id = settled[earlier].as_ref().and_then(|s| s.conversion_id);
        settled[n] = Some(Settled {
            outcome: Outcome::Duplicate,
            conversion_id,
            message: "already recorded with this status: nothing counted twice".into(),
        });
    }
    let settled: Vec<Settled> = settled
        .into_iter()
        .map(|s| s.expect("every record is settled"))
        .collect();
    insert_log_rows(client, records, &settled).await?;
    Ok(settled)
}

async fn upsert(
    client: &impl GenericClient,
    records: &[&PostbackRecord],
    members: &[usize],
    conflict: &str,
    select: &str,
) -> Result<Vec<Row>, tokio_postgres::Error> {
    let sql = format!("{UPSERT_HEAD}{conflict}{UPSERT_UPDATE}{select}");
    let conversions: Vec<(&str, &NewConversion, DateTime<Utc>)> = members
        .iter()
        .map(|&n| {
            let r = records[n];
            (
                r.site_id.as_str(),
                r.conversion.as_ref().expect("members have conversions"),
                r.received_at,
            )
        })
        .collect();
    let site_id: Vec<&str> = conversions.iter().map(|c| c.0).collect();
    let session_id: Vec<&str> = conversions.iter().map(|c| c.1.session_id.as_str()).collect();
    let transaction_id: Vec<Option<&str>> = conversions
        .iter()
        .map(|c| c.1.transaction_id.as_deref())
        .collect();
    let event: Vec<&str> = conversions.iter().map(|c| c.1.event.as_str()).collect();
    let status: Vec<&str> = conversions.iter().map(|c| c.1.status.as_str()).collect();
    let amount: Vec<Option<Decimal>> = conversions.iter().map(|c| c.1.amount).collect();
    let currency: Vec<Option<&str>> = conversions.iter().map(|c| c.1.currency.as_deref()).collect();
    let amount_site: Vec<Option<Decimal>> = conversions.iter().map(|c| c.1.amount_site).collect();
    let is_lead: Vec<bool> = conversions.iter().map(|c| c.1.is_lead).collect();
    let received_at: Vec<DateTime<Utc>> = conversions.iter().map(|c| c.2).collect();
    let statement = client.prepare_cached(&sql).await?;
    client
        .query(
            &statement,
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
            ],
        )
        .await
}

fn settlement(record: &PostbackRecord, row: &Row) -> Settled {
    let conversion_id: Option<i64> = row.get(1);
    let changed: bool = row.get(2);
    let inserted: bool = row.get(3);
    let matched: bool = row.get(4);
    let status = record.conversion.as_ref().map(|c| c.status.as_str());
    let (outcome, message) = match (changed, inserted, matched) {
        (true, true, true) => (Outcome::Matched, "conversion recorded and matched to its click".to_owned()),
        (true, true, false) => (
            Outcome::Unmatched,
            "conversion recorded; no click has this session id (yet): counted as unattributed".to_owned(),
        ),
        (true, false, _) => (
            Outcome::Updated,
            format!("status changed to {}", status.unwrap_or_default()),
        ),
        (false, _, _) => (
            Outcome::Duplicate,
            "already recorded with this status: nothing counted twice".to_owned(),
        ),
    };
    Settled {
        outcome,
        conversion_id,
        message,
    }
}

#[tracing::instrument(skip_all, fields(rows = records.len()))]
async fn insert_log_rows(
    client: &impl GenericClient,
    records: &[&PostbackRecord],
    settled: &[Settled],
) -> Result<u64, tokio_postgres::Error> {
    let received_at: Vec<DateTime<Utc>> = records.iter().map(|r| r.received_at).collect();
    let site_id: Vec<&str> = records.iter().map(|r| r.site_id.as_str()).collect();
    let source: Vec<Option<&str>> = records.iter().map(|r| r.source_addr.as_deref()).collect();
    let method: Vec<&str> = records.iter().map(|r| r.method.as_str()).collect();
    let params: Vec<&serde_json::Value> = records.iter().map(|r| &r.params).collect();
    let outcome: Vec<&str> = settled.iter().map(|s| s.outcome.as_str()).collect();
    let status: Vec<i16> = settled
        .iter()
        .map(|s| s.outcome.http_status() as i16)
        .collect();
    let message: Vec<&str> = settled.iter().map(|s| s.message.as_str()).collect();
    let conversion_id: Vec<Option<i64>> = settled.iter().map(|s| s.conversion_id).collect();
    let statement = client
        .prepare_cached(
            "INSERT INTO postback_log (received_at, site_id, source_addr, method, params, outcome, \
             http_status, message, conversion_id) \
             SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], \
             $5::jsonb[], $6::text[], $7::int2[], $8::text[], $9::int8[])",
        )
        .await?;
    client
        .execute(
            &statement,
            &[
                &received_at,
                &site_id,
                &source,
                &method,
                &params,
                &outcome,
                &status,
                &message,
                &conversion_id,
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
