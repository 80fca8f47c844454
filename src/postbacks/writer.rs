//! Group commit for postbacks (see `group_commit`): a batch is settled in
//! one transaction; when the database fails, the batch is spooled (fsync'd)
//! and answered `queued`, and the replayer settles it later through the
//! same `sql::settle`, so a spooled postback is deduplicated like any other.

use super::{Outcome, PostbackRecord, Settled, sql};
use crate::db::{Health, PinnedConnection};
use crate::group_commit::{Committer, GroupCommit, Writers};
use crate::spool::{Landed, Spool, SpoolRecord, commit_or_spool};
use crate::telemetry::Metrics;
use deadpool_postgres::Pool;
use std::sync::Arc;

/// Neither the database nor the spool took the postback: answer 503 so the
/// network tries again.
#[derive(Clone, Debug, thiserror::Error)]
#[error("the postback could be neither committed nor spooled")]
pub struct NotDurable;

#[derive(Clone)]
pub struct PostbackWriter {
    writers: GroupCommit<PostbackBatches>,
}

struct PostbackBatches {
    connection: PinnedConnection,
    spool: Arc<Spool>,
    health: Arc<Health>,
    metrics: Arc<Metrics>,
}

impl PostbackWriter {
    pub fn start(
        pool: Pool,
        spool: Arc<Spool>,
        health: Arc<Health>,
        metrics: Arc<Metrics>,
        writers: usize,
        batch_max: usize,
    ) -> (Self, Writers) {
        let committer = Arc::new(PostbackBatches {
            connection: PinnedConnection::new(pool),
            spool,
            health,
            metrics,
        });
        let (writers, tasks) = GroupCommit::start(committer, writers, batch_max);
        (Self { writers }, tasks)
    }

    /// Resolves once the record is settled in the database or spooled.
    pub async fn submit(&self, record: PostbackRecord) -> Result<Settled, NotDurable> {
        self.writers.submit(record).await.unwrap_or(Err(NotDurable))
    }
}

impl Committer for PostbackBatches {
    type Item = PostbackRecord;
    type Answer = Result<Settled, NotDurable>;

    async fn commit(&self, records: Vec<PostbackRecord>) -> Vec<Self::Answer> {
        self.metrics
            .postback_batch_size
            .observe(records.len() as f64);
        let settle = || async {
            // One statement, so no BEGIN/COMMIT round trips: it is atomic
            // on its own.
            let client = self.connection.get().await?;
            let refs: Vec<&PostbackRecord> = records.iter().collect();
            anyhow::Ok(sql::settle(&**client, &refs).await?)
        };
        let spooled = || {
            records
                .iter()
                .map(|r| SpoolRecord::encode(super::replay::KIND, r))
                .collect()
        };
        match commit_or_spool(&self.spool, &self.health, settle, spooled).await {
            Ok(Landed::Committed(settled)) => {
                for s in &settled {
                    self.metrics.count_postback(s.outcome.as_str());
                }
                settled.into_iter().map(Ok).collect()
            }
            Ok(Landed::Spooled) => {
                self.connection.reset();
                self.metrics.spool_depth.set(self.spool.pending() as i64);
                records
                    .iter()
                    .map(|r| {
                        let queued = r.conversion.is_some();
                        // A refusal (400/401/404) stays a refusal; only its
                        // log row waits in the spool.
                        let outcome = if queued { Outcome::Queued } else { r.outcome };
                        self.metrics.count_postback(outcome.as_str());
                        Ok(Settled {
                            outcome,
                            conversion_id: None,
                            message: if queued {
                                "the database is away: kept on disk, settled when it is back".into()
                            } else {
                                r.message.clone()
                            },
                        })
                    })
                    .collect()
            }
            Err(e) => {
                tracing::error!(error = %e, records = records.len(), "postbacks neither committed nor spooled");
                records.iter().map(|_| Err(NotDurable)).collect()
            }
        }
    }
}
