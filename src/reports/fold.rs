//! Folds the clicks pending for the rollups (migration 0005) into them
//! every second, so the pending table stays small and a report's own fold
//! has little left to do. Reports are exact without it; only their fold
//! would grow.

use super::sql;
use deadpool_postgres::Pool;
use std::time::Duration;

const INTERVAL: Duration = Duration::from_secs(1);
/// Folds between two VACUUMs of the pending table.
const VACUUM_EVERY: u32 = 30;

pub async fn run(pool: Pool) {
    let mut tick = tokio::time::interval(INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut folds = 0u32;
    loop {
        tick.tick().await;
        folds = folds.wrapping_add(1);
        let vacuum = folds.is_multiple_of(VACUUM_EVERY);
        let done = async {
            let client = pool.get().await?;
            let folded = sql::fold(&client, None).await?;
            if vacuum {
                sql::vacuum_pending(&client).await?;
            }
            anyhow::Ok(folded)
        };
        match done.await {
            Ok(n) => tracing::trace!(rows = n, "folded pending clicks into the rollups"),
            Err(e) => tracing::debug!(error = %e, "pending clicks not folded this second"),
        }
    }
}
