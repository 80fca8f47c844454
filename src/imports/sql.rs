//! The import's SQL: a temporary staging table filled by COPY, the site's
//! ledger lock, the adoption of conversions of unknown network, the one
//! set-based merge, and the conversion log's summary row.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;

pub const STAGING: &str = "CREATE TEMP TABLE import_rows (
    ord bigint NOT NULL, row_number bigint NOT NULL, transaction_id text NOT NULL,
    session_id text COLLATE \"C\", amount numeric, currency text, amount_site numeric,
    status text NOT NULL, occurred_at timestamptz NOT NULL, network text NOT NULL,
    label text, product text) ON COMMIT DROP";

pub const COPY: &str = "COPY import_rows (ord, row_number, transaction_id, session_id, amount, \
    currency, amount_site, status, occurred_at, network, label, product) FROM STDIN";

/// Takes the site's ledger lock exclusively until the transaction ends:
/// postback batches for the site wait (migration 0014).
pub async fn lock_ledger(client: &impl GenericClient, site_id: &str) -> Result<(), tokio_postgres::Error> {
    client
        .execute(
            "SELECT pg_advisory_xact_lock(affrank_ledger_lock_key($1))",
            &[&site_id],
        )
        .await
        .map(|_| ())
}

/// A conversion of unknown network ('') that a row of network N has the
/// transaction id of becomes N's, unless N already has that id.
pub async fn adopt(client: &impl GenericClient, site_id: &str) -> Result<u64, tokio_postgres::Error> {
    client
        .execute(
            "UPDATE conversions v SET network = s.network \
             FROM (SELECT DISTINCT ON (transaction_id) transaction_id, network FROM import_rows \
                   WHERE network <> '' ORDER BY transaction_id, network) s \
             WHERE v.site_id = $1 AND v.network = '' AND v.transaction_id = s.transaction_id \
             AND NOT EXISTS (SELECT 1 FROM conversions x WHERE x.site_id = $1 \
                             AND x.transaction_id = s.transaction_id AND x.network = s.network)",
            &[&site_id],
        )
        .await
}

pub struct Merged {
    pub imported: i64,
    pub updated: i64,
    pub unattributed: i64,
}

pub async fn merge(
    client: &impl GenericClient,
    site_id: &str,
    now: DateTime<Utc>,
) -> Result<Merged, tokio_postgres::Error> {
    // Unnamed, planned with the staged rows' real count.
    let row = client
        .query_one(include_str!("merge.sql"), &[&site_id, &now])
        .await?;
    Ok(Merged {
        imported: row.get(0),
        updated: row.get(1),
        unattributed: row.get(2),
    })
}

/// One conversion-log row per import file (applied or refused; not dry runs).
pub async fn log_import(
    client: &impl GenericClient,
    site_id: &str,
    now: DateTime<Utc>,
    params: &serde_json::Value,
    outcome: &str,
    http_status: i16,
    message: &str,
) -> Result<(), tokio_postgres::Error> {
    client
        .execute(
            "INSERT INTO postback_log (received_at, site_id, source_addr, method, params, \
             outcome, http_status, message, conversion_id, source) \
             VALUES ($1, $2, NULL, 'IMPORT', $3, $4, $5, $6, NULL, 'import')",
            &[&now, &site_id, params, &outcome, &http_status, &message],
        )
        .await
        .map(|_| ())
}
