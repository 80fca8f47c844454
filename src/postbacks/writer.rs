//! Group commit for postbacks (see `group_commit`): a batch is settled in
//! one transaction; when the database fails, the batch is spooled (fsync'd)
//! and answered `queued`, and the replayer settles it later through the
//! same `sql::settle`, so a spooled postback is deduplicated like any other.
//! A record the database refuses for what it holds is set aside alone and
//! answered `invalid`; the rest of its batch is settled.

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
        let settle = |part: Vec<_>| async move {
            // One statement, so no BEGIN/COMMIT round trips: it is atomic
            // on its own.
            let client = self.connection.get().await?;
            anyhow::Ok(sql::settle(&**client, &part).await?)
        };
        let encode = |record: &PostbackRecord| SpoolRecord::encode(super::replay::KIND, record);
        let landed = commit_or_spool(&self.spool, &self.health, &records, settle, encode).await;
        if landed
            .iter()
            .any(|l| matches!(l, Landed::Spooled | Landed::Lost))
        {
            self.connection.reset();
            self.metrics.spool_depth.set(self.spool.pending() as i64);
        }
        records
            .iter()
            .zip(landed)
            .map(|(record, landed)| self.answer(record, landed))
            .collect()
    }
}

impl PostbackBatches {
    fn answer(
        &self,
        record: &PostbackRecord,
        landed: Landed<Settled>,
    ) -> Result<Settled, NotDurable> {
        if matches!(landed, Landed::SetAside) {
            self.metrics
                .writes_refused
                .with_label_values(&[super::replay::KIND])
                .inc();
        }
        let settled = match (landed, &record.conversion) {
            (Landed::Committed(settled), _) => settled,
            (Landed::Lost, _) => return Err(NotDurable),
            // A refusal (400/401/404) stays a refusal; only its log row
            // waits in the spool, or was set aside.
            (Landed::Spooled | Landed::SetAside, None) => Settled {
                outcome: record.outcome,
                conversion_id: None,
                message: record.message.clone(),
            },
            (Landed::Spooled, Some(_)) => Settled {
                outcome: Outcome::Queued,
                conversion_id: None,
                message: "the database is away: kept on disk, settled when it is back".into(),
            },
            (Landed::SetAside, Some(_)) => Settled {
                outcome: Outcome::Invalid,
                conversion_id: None,
                message: "the database refused a value of this postback: nothing was counted; \
                          it is kept aside for the operator"
                    .into(),
            },
        };
        self.metrics.count_postback(settled.outcome.as_str());
        Ok(settled)
    }
}
