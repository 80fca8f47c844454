//! Writes spooled records to the database once it is reachable again,
//! oldest segment first, and deletes each segment after its rows commit.

use super::{Spool, SpoolRecord, is_poison};
use crate::clicks::ClickRow;
use crate::clicks::sql::insert_clicks_of_existing_links;
use crate::db::Health;
use crate::postbacks::{PostbackRecord, sql as postback_sql};
use crate::telemetry::Metrics;
use deadpool_postgres::Pool;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

const CHUNK: usize = 1000;
/// Few enough records to write while new clicks wait for the switch back.
const FINAL_DRAIN_MAX: u64 = 5_000;
const FINAL_DRAIN_TIMEOUT: Duration = Duration::from_secs(3);
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
            if spool.pending() > 0 || spool.has_segments() {
                // The bulk goes while writers keep spooling behind it; the
                // tail goes with writers held back, so they can switch to the
                // database without overtaking spooled clicks, even under a
                // steady stream that would otherwise keep the spool non-empty.
                let mut result = replay_once(&pool, &spool, &metrics).await;
                if result.is_ok() && spool.pending() > 0 && spool.pending() <= FINAL_DRAIN_MAX {
                    // Bounded: a database that stalls here must not hold
                    // every click waiting behind the lock.
                    let _exclusive = spool.order.write().await;
                    result = match tokio::time::timeout(
                        FINAL_DRAIN_TIMEOUT,
                        replay_once(&pool, &spool, &metrics),
                    )
                    .await
                    {
                        Ok(result) => result,
                        Err(_) => Err(anyhow::anyhow!(
                            "final drain took over {FINAL_DRAIN_TIMEOUT:?}"
                        )),
                    };
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
    let mut client = pool.get().await?;
    let sealer = spool.clone();
    let segments = tokio::task::spawn_blocking(move || sealer.seal()).await??;
    let mut total = 0;
    for path in segments {
        let reader = spool.clone();
        let at = path.clone();
        let segment = tokio::task::spawn_blocking(move || reader.read(&at)).await??;
        let refused = write_in_order(&mut client, &segment.records, metrics).await?;
        let count = segment.records.len() as u64;
        let keeper = spool.clone();
        if !refused.is_empty() {
            let (aside, at) = (keeper.clone(), path.clone());
            let n = refused.len();
            let kept =
                tokio::task::spawn_blocking(move || aside.set_aside(&at, &refused)).await??;
            metrics.spool_refused.inc_by(n as u64);
            tracing::error!(records = n, kept = %kept.display(), "the database refused spooled records; kept aside for an operator");
        }
        if segment.corrupt_lines > 0 {
            metrics.clicks_lost.inc_by(segment.corrupt_lines);
            let moved =
                tokio::task::spawn_blocking(move || keeper.quarantine(&path, count)).await??;
            tracing::error!(lines = segment.corrupt_lines, kept = %moved.display(), "spool segment had unreadable lines; moved aside");
        } else {
            tokio::task::spawn_blocking(move || keeper.remove(&path, count)).await??;
        }
        total += count;
    }
    Ok(total)
}

/// Writes a segment's records in their order: each run of clicks, then each
/// run of postbacks, so a postback spooled after its click finds it.
/// Returns the records the database refused (`write_or_refuse`).
async fn write_in_order(
    client: &mut deadpool_postgres::Client,
    records: &[SpoolRecord],
    metrics: &Metrics,
) -> anyhow::Result<Vec<SpoolRecord>> {
    let mut refused = Vec::new();
    let mut rest = records;
    while let Some(first) = rest.first() {
        let run = rest
            .iter()
            .take_while(|r| std::mem::discriminant(*r) == std::mem::discriminant(first))
            .count();
        let (this, next) = rest.split_at(run);
        rest = next;
        match first {
            SpoolRecord::Click(_) => {
                let clicks: Vec<&ClickRow> = this
                    .iter()
                    .filter_map(|r| match r {
                        SpoolRecord::Click(c) => Some(c),
                        SpoolRecord::Postback(_) => None,
                    })
                    .collect();
                refused.extend(replay_clicks(client, &clicks, metrics).await?);
            }
            SpoolRecord::Postback(_) => {
                let postbacks: Vec<&PostbackRecord> = this
                    .iter()
                    .filter_map(|r| match r {
                        SpoolRecord::Postback(p) => Some(p),
                        SpoolRecord::Click(_) => None,
                    })
                    .collect();
                refused.extend(replay_postbacks(client, &postbacks, metrics).await?);
            }
        }
    }
    Ok(refused)
}

async fn replay_clicks(
    client: &mut deadpool_postgres::Client,
    clicks: &[&ClickRow],
    metrics: &Metrics,
) -> anyhow::Result<Vec<SpoolRecord>> {
    let (written, refused) = write_or_refuse(client, clicks, metrics).await?;
    metrics.clicks_replayed.inc_by(written);
    let skipped = (clicks.len() - refused.len()) as u64 - written;
    if skipped > 0 {
        tracing::info!(
            skipped,
            "spooled clicks already present or whose link is gone"
        );
    }
    Ok(refused
        .into_iter()
        .cloned()
        .map(SpoolRecord::Click)
        .collect())
}

/// Settles spooled postbacks exactly as the live path would: through the
/// same dedupe, so one that was also committed before the outage (or is
/// replayed twice after a crash) counts once.
async fn replay_postbacks(
    client: &mut deadpool_postgres::Client,
    postbacks: &[&PostbackRecord],
    metrics: &Metrics,
) -> anyhow::Result<Vec<SpoolRecord>> {
    let (written, refused) = write_or_refuse(client, postbacks, metrics).await?;
    metrics.postbacks_replayed.inc_by(written);
    Ok(refused
        .into_iter()
        .cloned()
        .map(SpoolRecord::Postback)
        .collect())
}

/// A kind of spooled record, written a chunk per transaction.
trait Replayed: Sync + Sized {
    /// Returns how many records the chunk added.
    fn write<'a>(
        client: &'a mut deadpool_postgres::Client,
        chunk: &'a [&'a Self],
        metrics: &'a Metrics,
    ) -> impl Future<Output = anyhow::Result<u64>> + Send + 'a;
}

impl Replayed for ClickRow {
    async fn write(
        client: &mut deadpool_postgres::Client,
        chunk: &[&Self],
        _metrics: &Metrics,
    ) -> anyhow::Result<u64> {
        let tx = client.transaction().await?;
        let written = insert_clicks_of_existing_links(&tx, chunk).await?;
        // Conversions that came in while these clicks waited here.
        let sessions: Vec<&str> = chunk.iter().map(|c| c.session_id.as_str()).collect();
        postback_sql::match_late_clicks(&tx, Some(&sessions)).await?;
        tx.commit().await?;
        Ok(written)
    }
}

impl Replayed for PostbackRecord {
    async fn write(
        client: &mut deadpool_postgres::Client,
        chunk: &[&Self],
        metrics: &Metrics,
    ) -> anyhow::Result<u64> {
        let tx = client.transaction().await?;
        let settled = postback_sql::settle(&tx, chunk).await?;
        tx.commit().await?;
        for s in &settled {
            metrics.count_postback(s.outcome);
        }
        Ok(chunk.len() as u64)
    }
}

/// Writes `records` a chunk per transaction; returns how many were added
/// and the records the database refused. A chunk it refuses for what it
/// holds (`is_poison`) is written again one record at a time, and what it
/// still refuses is returned to be set aside: refused once, such a record
/// is refused on every try, and left in the spool it would hold up every
/// record behind it for good. Any other failure (the database away, a
/// deadlock) ends the replay, to be tried again.
async fn write_or_refuse<'r, T: Replayed>(
    client: &mut deadpool_postgres::Client,
    records: &[&'r T],
    metrics: &Metrics,
) -> anyhow::Result<(u64, Vec<&'r T>)> {
    let mut written = 0;
    let mut refused = Vec::new();
    for chunk in records.chunks(CHUNK) {
        match T::write(client, chunk, metrics).await {
            Ok(n) => {
                written += n;
                continue;
            }
            Err(e) if is_poison(&e) => {
                tracing::warn!(
                    error = format!("{e:#}"),
                    records = chunk.len(),
                    "a spooled chunk was refused; writing its records one by one"
                );
            }
            Err(e) => return Err(e),
        }
        for record in chunk {
            match T::write(client, std::slice::from_ref(record), metrics).await {
                Ok(n) => written += n,
                Err(e) if is_poison(&e) => {
                    tracing::error!(
                        error = format!("{e:#}"),
                        "the database refuses a spooled record; setting it aside"
                    );
                    refused.push(*record);
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok((written, refused))
}
