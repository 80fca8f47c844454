//! Background chores that keep the data tidy and correct over time.

use crate::postbacks::sql;
use crate::state::AppState;
use std::time::Duration;

/// Deletes postback log rows older than the retention, once an hour.
pub async fn prune_postback_log(state: AppState, retention_days: u32) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let before = chrono::Utc::now() - chrono::Duration::days(retention_days.into());
        let pruned = async {
            let client = state.pool.get().await?;
            anyhow::Ok(sql::prune_log(&client, before).await?)
        };
        match pruned.await {
            Ok(0) => {}
            Ok(n) => {
                state.metrics.postback_log_pruned.inc_by(n);
                tracing::info!(rows = n, "pruned the postback log");
            }
            Err(e) => tracing::debug!(error = %e, "postback log not pruned this hour"),
        }
    }
}

/// Matches conversions whose click reached the database after them. Spool
/// replay does this for its own clicks at once; this catches the rest, such
/// as a click another sidecar process had spooled.
pub async fn match_late_clicks(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        let matched = async {
            let client = state.pool.get().await?;
            anyhow::Ok(sql::match_late_clicks(&client, None).await?)
        };
        match matched.await {
            Ok(0) => {}
            Ok(n) => tracing::info!(conversions = n, "matched conversions to late clicks"),
            Err(e) => tracing::debug!(error = %e, "late clicks not matched this minute"),
        }
    }
}
