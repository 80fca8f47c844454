//! Seals the weekly checkpoints the list reports read (migration 0003).
//!
//! Reports are exact without them, only slower, so sealing runs in the
//! background: shortly after start-up, then every few minutes. Each week is
//! its own short transaction, because a seal holds the site's report lock
//! and that site's click writes wait for it.

use super::sql;
use chrono::NaiveDate;
use deadpool_postgres::{GenericClient, Pool};
use std::time::Duration;

const FIRST_RUN: Duration = Duration::from_secs(5);
const INTERVAL: Duration = Duration::from_secs(600);

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

/// Seals every site up to the Monday of its current week; the number of
/// weeks sealed. Pending clicks are folded first, so a seal sees them.
pub async fn seal_all(client: &impl GenericClient) -> Result<u64, tokio_postgres::Error> {
    sql::fold(client, None).await?;
    let mut sealed = 0;
    for (site, monday) in sql::sites_to_seal(client).await? {
        sealed += seal_site(client, &site, monday).await?;
    }
    if sealed > 0 {
        tracing::info!(weeks = sealed, "sealed report checkpoints");
    }
    Ok(sealed)
}

/// Seals one site's weeks up to `through`, one transaction each.
pub async fn seal_site(
    client: &impl GenericClient,
    site_id: &str,
    through: NaiveDate,
) -> Result<u64, tokio_postgres::Error> {
    let mut sealed = 0;
    while sql::seal_next(client, site_id, through).await?.is_some() {
        sealed += 1;
    }
    Ok(sealed)
}
