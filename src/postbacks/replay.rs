//! Postbacks the spool kept while the database was away, settled exactly as
//! the live path would: through the same dedupe, so one that was also
//! committed before the outage (or is replayed twice after a crash) counts
//! once.

use super::{PostbackRecord, sql};
use crate::spool::SpoolRecord;
use crate::spool::replay::Replay;
use crate::telemetry::Metrics;
use futures_util::future::BoxFuture;
use std::sync::Arc;

/// The spool's name for a postback record.
pub const KIND: &str = "postback";

pub struct PostbackReplay {
    pub metrics: Arc<Metrics>,
}

impl Replay for PostbackReplay {
    fn write<'a>(
        &'a self,
        client: &'a mut deadpool_postgres::Client,
        chunk: &'a [&'a SpoolRecord],
    ) -> BoxFuture<'a, anyhow::Result<u64>> {
        Box::pin(async move {
            let records: Vec<PostbackRecord> = SpoolRecord::decode_all(chunk)?;
            let refs: Vec<&PostbackRecord> = records.iter().collect();
            let tx = client.transaction().await?;
            let settled = sql::settle(&tx, &refs).await?;
            tx.commit().await?;
            for s in &settled {
                self.metrics.count_postback(s.outcome.as_str());
            }
            Ok(chunk.len() as u64)
        })
    }

    fn replayed(&self, written: u64, _of: usize) {
        self.metrics.postbacks_replayed.inc_by(written);
    }
}
