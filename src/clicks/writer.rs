//! Group commit for clicks.
//!
//! Requests hand their row to a queue and wait. Each writer task takes
//! whatever is queued (at least one row, at most `batch_max`), inserts it in
//! one statement and answers every waiter once it has committed. With two
//! writers, one gathers the next batch while the other commits, so the batch
//! size adapts to the load with no timer.
//!
//! When the database fails, the batch goes to the spool (fsync'd) instead,
//! and stays there until the replayer has written it, in order, to the
//! database. While anything is spooled, new batches are spooled behind it, so
//! clicks reach the table in the order they were made.

use super::ClickRow;
use super::sql;
use crate::db::Health;
use crate::spool::{Spool, SpoolRecord};
use crate::telemetry::Metrics;
use deadpool_postgres::Pool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, mpsc, oneshot, watch};
use tokio::task::JoinHandle;

/// Where an acknowledged click lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    Committed,
    Spooled,
}

#[derive(Clone, Debug, thiserror::Error)]
#[error("the click could be neither committed nor spooled")]
pub struct ClickLost;

struct Pending {
    row: ClickRow,
    done: oneshot::Sender<Result<Durability, ClickLost>>,
}

#[derive(Clone)]
pub struct ClickWriter {
    queue: mpsc::Sender<Pending>,
    metrics: Arc<Metrics>,
}

pub struct WriterTasks {
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

struct Shared {
    pool: Pool,
    spool: Arc<Spool>,
    health: Arc<Health>,
    metrics: Arc<Metrics>,
    batch_max: usize,
}

const QUEUE_CAPACITY: usize = 65_536;
const INSERT_TIMEOUT: Duration = Duration::from_secs(5);

impl ClickWriter {
    pub fn start(
        pool: Pool,
        spool: Arc<Spool>,
        health: Arc<Health>,
        metrics: Arc<Metrics>,
        writers: usize,
        batch_max: usize,
    ) -> (Self, WriterTasks) {
        let (queue, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let receiver = Arc::new(Mutex::new(receiver));
        let (shutdown, watcher) = watch::channel(false);
        let shared = Arc::new(Shared {
            pool,
            spool,
            health,
            metrics: metrics.clone(),
            batch_max,
        });
        let tasks = (0..writers)
            .map(|_| {
                tokio::spawn(write_loop(
                    shared.clone(),
                    receiver.clone(),
                    watcher.clone(),
                ))
            })
            .collect();
        (Self { queue, metrics }, WriterTasks { shutdown, tasks })
    }

    /// Resolves once the click is committed or spooled.
    pub async fn record(&self, row: ClickRow) -> Result<Durability, ClickLost> {
        let (done, answer) = oneshot::channel();
        let refused = || {
            // The writers have stopped (shutdown): the click was never queued.
            self.metrics.clicks_lost.inc();
            ClickLost
        };
        self.queue
            .send(Pending { row, done })
            .await
            .map_err(|_| refused())?;
        answer.await.map_err(|_| refused())?
    }
}

impl WriterTasks {
    /// Stops taking clicks and waits until every queued one is durable.
    pub async fn drain(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

async fn write_loop(
    shared: Arc<Shared>,
    receiver: Arc<Mutex<mpsc::Receiver<Pending>>>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let batch = {
            let mut rx = receiver.lock().await;
            let first = tokio::select! {
                biased;
                next = rx.recv() => next,
                _ = shutdown.changed() => {
                    // Refuse new clicks; what is queued is still written.
                    rx.close();
                    rx.recv().await
                }
            };
            let Some(first) = first else { return };
            let mut batch = Vec::with_capacity(64);
            batch.push(first);
            while batch.len() < shared.batch_max {
                match rx.try_recv() {
                    Ok(pending) => batch.push(pending),
                    Err(_) => break,
                }
            }
            batch
        };
        let rows: Vec<&ClickRow> = batch.iter().map(|p| &p.row).collect();
        let outcome = persist(&shared, &rows).await;
        for pending in batch {
            let _ = pending.done.send(outcome.clone());
        }
    }
}

async fn persist(shared: &Shared, rows: &[&ClickRow]) -> Result<Durability, ClickLost> {
    shared.metrics.click_batch_size.observe(rows.len() as f64);
    let _order = shared.spool.order.read().await;
    if shared.spool.pending() == 0 && shared.health.is_up() {
        match insert(shared, rows).await {
            Ok(()) => {
                shared.metrics.clicks_recorded.inc_by(rows.len() as u64);
                return Ok(Durability::Committed);
            }
            Err(e) => {
                tracing::warn!(error = %e, rows = rows.len(), "click batch not committed; spooling it");
                shared.health.report_failure();
            }
        }
    }
    let records: Vec<SpoolRecord> = rows
        .iter()
        .map(|r| SpoolRecord::Click((*r).clone()))
        .collect();
    let spool = shared.spool.clone();
    let appended = tokio::task::spawn_blocking(move || spool.append(&records))
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))
        .and_then(|r| r);
    match appended {
        Ok(()) => {
            shared.metrics.clicks_spooled.inc_by(rows.len() as u64);
            shared
                .metrics
                .spool_depth
                .set(shared.spool.pending() as i64);
            Ok(Durability::Spooled)
        }
        Err(e) => {
            tracing::error!(error = %e, rows = rows.len(), "clicks lost: neither database nor spool took them");
            shared.metrics.clicks_lost.inc_by(rows.len() as u64);
            Err(ClickLost)
        }
    }
}

async fn insert(shared: &Shared, rows: &[&ClickRow]) -> anyhow::Result<()> {
    let work = async {
        let client = shared.pool.get().await?;
        sql::insert_clicks(&client, rows).await?;
        anyhow::Ok(())
    };
    tokio::time::timeout(INSERT_TIMEOUT, work)
        .await
        .map_err(|_| anyhow::anyhow!("insert timed out after {INSERT_TIMEOUT:?}"))?
}
