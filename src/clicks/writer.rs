//! Group commit for clicks (see `group_commit`): a batch is one INSERT; when
//! the database fails, the batch goes to the spool (fsync'd) instead and
//! stays there until the replayer has written it, in order, to the database.
//! While anything is spooled, new batches are spooled behind it, so clicks
//! reach the table in the order they were made. A click the database
//! refuses for what it holds is set aside alone; the rest of its batch
//! commits.

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
    /// Refused by the database for what it holds (see `spool::commit_or_spool`):
    /// kept in the spool's quarantine, not in `clicks`.
    SetAside,
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
        self.metrics.click_batch_size.observe(rows.len() as f64);
        let insert = |part: Vec<_>| async move {
            let client = self.connection.get().await?;
            sql::insert_new_clicks(&**client, &part).await?;
            anyhow::Ok(vec![(); part.len()])
        };
        let encode = |row: &ClickRow| SpoolRecord::encode(super::replay::KIND, row);
        let landed = commit_or_spool(&self.spool, &self.health, &rows, insert, encode).await;
        let (mut committed, mut spooled, mut set_aside, mut lost) = (0, 0, 0, 0);
        let answers = landed
            .into_iter()
            .map(|landed| match landed {
                Landed::Committed(()) => {
                    committed += 1;
                    Ok(Durability::Committed)
                }
                Landed::Spooled => {
                    spooled += 1;
                    Ok(Durability::Spooled)
                }
                Landed::SetAside => {
                    set_aside += 1;
                    Ok(Durability::SetAside)
                }
                Landed::Lost => {
                    lost += 1;
                    Err(ClickLost)
                }
            })
            .collect();
        self.metrics.clicks_recorded.inc_by(committed);
        self.metrics
            .writes_refused
            .with_label_values(&[super::replay::KIND])
            .inc_by(set_aside);
        if spooled + lost > 0 {
            self.connection.reset();
            self.metrics.clicks_spooled.inc_by(spooled);
            self.metrics.clicks_lost.inc_by(lost);
            self.metrics.spool_depth.set(self.spool.pending() as i64);
        }
        answers
    }
}
