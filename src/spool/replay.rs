//! Writes spooled records to the database once it is reachable again,
//! oldest segment first, and deletes each segment after its rows commit.

use super::{Spool, SpoolRecord};
use crate::clicks::ClickRow;
use crate::clicks::sql::insert_clicks_of_existing_links;
use crate::db::Health;
use crate::telemetry::Metrics;
use deadpool_postgres::Pool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

const CHUNK: usize = 1000;
/// Few enough records to write while new clicks wait for the switch back.
const FINAL_DRAIN_MAX: u64 = 5_000;
const INTERVAL: Duration = Duration::from_millis(250);

pub fn start(
    pool: Pool,
    spool: Arc<Spool>,
    health: Arc<Health>,
    metrics: Arc<Metrics>,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if spool.pending() > 0 {
                // The bulk goes while writers keep spooling behind it; the
                // tail goes with writers held back, so they can switch to the
                // database without overtaking spooled clicks, even under a
                // steady stream that would otherwise keep the spool non-empty.
                let mut result = replay_once(&pool, &spool, &metrics).await;
                if result.is_ok() && spool.pending() > 0 && spool.pending() <= FINAL_DRAIN_MAX {
                    let _exclusive = spool.order.write().await;
                    result = replay_once(&pool, &spool, &metrics).await;
                }
                match result {
                    Ok(0) => {}
                    Ok(n) => {
                        health.report_success();
                        tracing::info!(records = n, "replayed spooled records");
                    }
                    Err(e) => tracing::debug!(error = %e, "spool replay waits for the database"),
                }
                metrics.spool_depth.set(spool.pending() as i64);
            }
            tokio::select! {
                _ = tokio::time::sleep(INTERVAL) => {}
                _ = shutdown.changed() => return,
            }
        }
    })
}

/// Replays every sealed segment; returns how many records were written.
pub async fn replay_once(
    pool: &Pool,
    spool: &Arc<Spool>,
    metrics: &Metrics,
) -> anyhow::Result<u64> {
    let client = pool.get().await?;
    let sealer = spool.clone();
    let segments = tokio::task::spawn_blocking(move || sealer.seal()).await??;
    let mut total = 0;
    for segment in segments {
        let reader = spool.clone();
        let path = segment.clone();
        let records = tokio::task::spawn_blocking(move || reader.read(&path)).await??;
        let clicks: Vec<&ClickRow> = records
            .iter()
            .map(|record| match record {
                SpoolRecord::Click(click) => click,
            })
            .collect();
        let mut written = 0;
        for chunk in clicks.chunks(CHUNK) {
            written += insert_clicks_of_existing_links(&client, chunk).await?;
        }
        let dropped = clicks.len() as u64 - written;
        if dropped > 0 {
            tracing::debug!(
                dropped,
                "spooled clicks already present or without their link"
            );
        }
        metrics.clicks_replayed.inc_by(written);
        let remover = spool.clone();
        tokio::task::spawn_blocking(move || remover.remove(&segment)).await??;
        total += records.len() as u64;
    }
    Ok(total)
}
