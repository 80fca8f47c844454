//! Group commit for clicks (see `group_commit`): a batch is one INSERT; when
//! the database fails, the batch goes to the spool (fsync'd) instead and
//! stays there until the replayer has written it, in order, to the database.
//! While anything is spooled, new batches are spooled behind it, so clicks
//! reach the table in the order they were made.

use super::ClickRow;
use super::sql;
use crate::db::{Health, PinnedConnection};
use crate::group_commit::{Committer, GroupCommit, Writers};
use crate::spool::{Landed, Spool, SpoolRecord, commit_or_spool};
use crate::telemetry::Metrics;
use deadpool_postgres::Pool;
use std::sync::Arc;

/// Where an acknowledged click lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    Committed,
    Spooled,
}

#[derive(Clone, Debug, thiserror::Error)]
#[error("the click could be neither committed nor spooled")]
pub struct ClickLost;

#[derive(Clone)]
pub struct ClickWriter {
    writers: GroupCommit<ClickBatches>,
    metrics: Arc<Metrics>,
}

struct ClickBatches {
    connection: PinnedConnection,
    spool: Arc<Spool>,
    health: Arc<Health>,
    metrics: Arc<Metrics>,
}

impl ClickWriter {
    pub fn start(
        pool: Pool,
        spool: Arc<Spool>,
        health: Arc<Health>,
        metrics: Arc<Metrics>,
        writers: usize,
        batch_max: usize,
    ) -> (Self, Writers) {
        let committer = Arc::new(ClickBatches {
            connection: PinnedConnection::new(pool),
            spool,
            health,
            metrics: metrics.clone(),
        });
        let (writers, tasks) = GroupCommit::start(committer, writers, batch_max);
        (Self { writers, metrics }, tasks)
    }

    /// Resolves once the click is committed or spooled.
    pub async fn record(&self, row: ClickRow) -> Result<Durability, ClickLost> {
        self.writers.submit(row).await.unwrap_or_else(|_| {
            // The writers have stopped (shutdown): the click was never queued.
            self.metrics.clicks_lost.inc();
            Err(ClickLost)
        })
    }
}

impl Committer for ClickBatches {
    type Item = ClickRow;
    type Answer = Result<Durability, ClickLost>;

    async fn commit(&self, rows: Vec<ClickRow>) -> Vec<Self::Answer> {
        let answer = self.persist(&rows).await;
        vec![answer; rows.len()]
    }
}

impl ClickBatches {
    async fn persist(&self, rows: &[ClickRow]) -> Result<Durability, ClickLost> {
        self.metrics.click_batch_size.observe(rows.len() as f64);
        let insert = || async {
            let client = self.connection.get().await?;
            let refs: Vec<&ClickRow> = rows.iter().collect();
            sql::insert_new_clicks(&**client, &refs).await?;
            anyhow::Ok(())
        };
        let records = || {
            rows.iter()
                .map(|r| SpoolRecord::encode(super::replay::KIND, r))
                .collect()
        };
        match commit_or_spool(&self.spool, &self.health, insert, records).await {
            Ok(Landed::Committed(())) => {
                self.metrics.clicks_recorded.inc_by(rows.len() as u64);
                Ok(Durability::Committed)
            }
            Ok(Landed::Spooled) => {
                self.connection.reset();
                self.metrics.clicks_spooled.inc_by(rows.len() as u64);
                self.metrics.spool_depth.set(self.spool.pending() as i64);
                Ok(Durability::Spooled)
            }
            Err(e) => {
                tracing::error!(error = %e, rows = rows.len(), "clicks lost: neither database nor spool took them");
                self.metrics.clicks_lost.inc_by(rows.len() as u64);
                Err(ClickLost)
            }
        }
    }
}
