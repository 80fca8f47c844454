//! Keeps the checkpoints and recent windows the list reports read
//! (migrations 0003 and 0006): seals each site's weekly checkpoints up to
//! the Monday of its current week, and moves its recent windows to the
//! start of its current local day.
//!
//! Reports are exact without either, only slower, so this runs in the
//! background: shortly after start-up, then every minute, which moves the
//! windows within a minute of a site's midnight. Each week, and each
//! move, is its own short transaction, because both hold the site's report
//! lock and that site's folds and postbacks wait for it (its clicks do not:
//! they take the pending lock, migration 0006).

use super::sql;
use chrono::NaiveDate;
use deadpool_postgres::{GenericClient, Pool};
use std::time::Duration;

const FIRST_RUN: Duration = Duration::from_secs(5);
const INTERVAL: Duration = Duration::from_secs(60);

pub async fn run(pool: Pool) {
    tokio::time::sleep(FIRST_RUN).await;
    loop {
        match pool.get().await {
            Ok(client) => {
                if let Err(e) = seal_all(&client).await {
                    tracing::warn!(error = %e, "could not seal report checkpoints");
                }
            }
            Err(e) => tracing::debug!(error = %e, "no connection to seal report checkpoints"),
        }
        tokio::time::sleep(INTERVAL).await;
    }
}

/// Catches every site up; the number of weeks sealed. Pending clicks are
/// folded first, so a seal sees them.
pub async fn seal_all(client: &impl GenericClient) -> Result<u64, tokio_postgres::Error> {
    sql::fold(client, None).await?;
    let mut sealed = 0;
    for behind in sql::sites_behind(client).await? {
        sealed += catch_up(client, &behind.site_id, behind.today).await?;
    }
    if sealed > 0 {
        tracing::info!(weeks = sealed, "sealed report checkpoints");
    }
    Ok(sealed)
}

/// Seals one site's weeks up to the Monday of `today` (its local date),
/// one transaction each, then moves its recent windows to end at the start
/// of `today` unless they already do; the number of weeks sealed.
pub async fn catch_up(
    client: &impl GenericClient,
    site_id: &str,
    today: NaiveDate,
) -> Result<u64, tokio_postgres::Error> {
    let monday = super::plan::monday_of(today);
    let mut sealed = 0;
    while sql::seal_next(client, site_id, monday).await?.is_some() {
        sealed += 1;
    }
    if sql::recent_through(client, site_id).await? != Some(today)
        && sql::refresh_recent(client, site_id, today).await?
    {
        sql::vacuum_recent(client).await?;
    }
    Ok(sealed)
}
