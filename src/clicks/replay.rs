//! Clicks the spool kept while the database was away, written back.

use super::ClickRow;
use super::sql::insert_clicks_of_existing_links;
use crate::spool::SpoolRecord;
use crate::spool::replay::Replay;
use crate::telemetry::Metrics;
use deadpool_postgres::Transaction;
use futures_util::future::BoxFuture;
use std::sync::Arc;

/// The spool's name for a click record.
pub const KIND: &str = "click";

/// What else happens in the transaction that writes replayed clicks:
/// conversions that came in while these clicks waited in the spool are
/// matched to them (handed in, so clicks do not reach into postbacks).
pub trait ClicksArrived: Send + Sync {
    fn clicks_arrived<'a>(
        &'a self,
        tx: &'a Transaction<'a>,
        session_ids: &'a [&'a str],
    ) -> BoxFuture<'a, anyhow::Result<()>>;
}

pub struct ClickReplay {
    pub metrics: Arc<Metrics>,
    pub arrived: Arc<dyn ClicksArrived>,
}

impl Replay for ClickReplay {
    fn write<'a>(
        &'a self,
        client: &'a mut deadpool_postgres::Client,
        chunk: &'a [&'a SpoolRecord],
    ) -> BoxFuture<'a, anyhow::Result<u64>> {
        Box::pin(async move {
            let rows: Vec<ClickRow> = SpoolRecord::decode_all(chunk)?;
            let refs: Vec<&ClickRow> = rows.iter().collect();
            let tx = client.transaction().await?;
            let written = insert_clicks_of_existing_links(&tx, &refs).await?;
            let sessions: Vec<&str> = rows.iter().map(|c| c.session_id.as_str()).collect();
            self.arrived.clicks_arrived(&tx, &sessions).await?;
            tx.commit().await?;
            Ok(written)
        })
    }

    fn replayed(&self, written: u64, of: usize) {
        self.metrics.clicks_replayed.inc_by(written);
        let skipped = of as u64 - written;
        if skipped > 0 {
            tracing::info!(
                skipped,
                "spooled clicks already present or whose link is gone"
            );
        }
    }
}
