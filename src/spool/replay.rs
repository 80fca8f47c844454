//! Writes spooled records to the database once it is reachable again,
//! oldest segment first, and deletes each segment after its rows commit.

use super::{Spool, SpoolRecord, is_poison};
use crate::db::Health;
use crate::telemetry::Metrics;
use deadpool_postgres::Pool;
use futures_util::future::BoxFuture;
use std::collections::HashMap;
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
    replayers: Replayers,
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
                let mut result = replay_once(&pool, &spool, &replayers, &metrics).await;
                if result.is_ok() && spool.pending() > 0 && spool.pending() <= FINAL_DRAIN_MAX {
                    // Bounded: a database that stalls here must not hold
                    // every click waiting behind the lock.
                    let _exclusive = spool.order.write().await;
                    result = match tokio::time::timeout(
                        FINAL_DRAIN_TIMEOUT,
                        replay_once(&pool, &spool, &replayers, &metrics),
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
    replayers: &Replayers,
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
        let refused = write_in_order(&mut client, &segment.records, replayers).await?;
        let count = segment.records.len() as u64;
        let keeper = spool.clone();
        if !refused.is_empty() {
            let (aside, at) = (keeper.clone(), path.clone());
            let n = refused.len();
            let kept = tokio::task::spawn_blocking(move || {
                let name = at.file_stem().unwrap_or_default().to_string_lossy();
                aside.set_aside(&name, &refused)
            })
            .await??;
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

/// Writes one kind of spooled record: one chunk per transaction. The click
/// and postback writers implement it; the spool knows only the kind.
pub trait Replay: Send + Sync {
    /// Writes `chunk` in one transaction; returns how many records it added.
    /// A record that does not decode is `super::Undecodable`.
    fn write<'a>(
        &'a self,
        client: &'a mut deadpool_postgres::Client,
        chunk: &'a [&'a SpoolRecord],
    ) -> BoxFuture<'a, anyhow::Result<u64>>;

    /// Called once per run with the records written and skipped, for the
    /// writer's own metrics and logs.
    fn replayed(&self, written: u64, of: usize) {
        let _ = (written, of);
    }
}

/// The replayer of each kind.
#[derive(Clone, Default)]
pub struct Replayers(HashMap<String, Arc<dyn Replay>>);

impl Replayers {
    pub fn with(mut self, kind: &str, replay: Arc<dyn Replay>) -> Self {
        self.0.insert(kind.to_owned(), replay);
        self
    }
}

/// Writes a segment's records in their order, a run of one kind at a time,
/// so a postback spooled after its click finds it. Returns the records the
/// database refused (`write_or_refuse`) and those of a kind nobody replays.
async fn write_in_order(
    client: &mut deadpool_postgres::Client,
    records: &[SpoolRecord],
    replayers: &Replayers,
) -> anyhow::Result<Vec<SpoolRecord>> {
    let mut refused = Vec::new();
    let mut rest = records;
    while let Some(first) = rest.first() {
        let run = rest.iter().take_while(|r| r.kind == first.kind).count();
        let (this, next) = rest.split_at(run);
        rest = next;
        let Some(replay) = replayers.0.get(&first.kind) else {
            tracing::error!(
                kind = first.kind,
                records = run,
                "no replayer for this kind of spooled record; setting it aside"
            );
            refused.extend(this.iter().cloned());
            continue;
        };
        let run: Vec<&SpoolRecord> = this.iter().collect();
        let (written, rejected) = write_or_refuse(client, &run, replay.as_ref()).await?;
        replay.replayed(written, run.len() - rejected.len());
        refused.extend(rejected.into_iter().cloned());
    }
    Ok(refused)
}

/// Writes `records` a chunk per transaction; returns how many were added
/// and the records the database refused. A chunk it refuses for what it
/// holds (`is_poison`) is written again one record at a time, and what it
/// still refuses is returned to be set aside: refused once, such a record
/// is refused on every try, and left in the spool it would hold up every
/// record behind it for good. Any other failure (the database away, a
/// deadlock) ends the replay, to be tried again.
async fn write_or_refuse<'r>(
    client: &mut deadpool_postgres::Client,
    records: &[&'r SpoolRecord],
    replay: &dyn Replay,
) -> anyhow::Result<(u64, Vec<&'r SpoolRecord>)> {
    let mut written = 0;
    let mut refused = Vec::new();
    for chunk in records.chunks(CHUNK) {
        match replay.write(client, chunk).await {
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
            match replay.write(client, std::slice::from_ref(record)).await {
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
