//! Privacy retention: a click's user agent and referrer are dropped once the
//! click is older than its site's `click_detail_retention_days`.
//!
//! Old clicks are found without a scan. `clicks` has only its primary key,
//! the session id, whose first seven characters are its minting time
//! (`SessionId::time_prefix`), so the clicks made before a moment are one
//! range of that key. Each site keeps how far it has been cleared
//! (`click_detail_clearing`), and a pass reads the key from there to the
//! site's cutoff, a bounded batch per transaction. Ids of the earlier
//! format carry no time this code reads and sort before every minted one:
//! for them `clicked_at` decides, and a pass stops at the site's first
//! click that is still too young, to come back to it later.
//!
//! A click written to the database later than its retention after it was
//! made (a spool replayed after an outage that long) sorts behind the
//! cleared mark and keeps its details.

use crate::ids::{SessionId, SiteId};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;

pub struct SiteRetention {
    pub site: SiteId,
    pub days: u32,
}

/// Every site and its retention.
pub async fn sites(
    client: &impl GenericClient,
) -> Result<Vec<SiteRetention>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT id, click_detail_retention_days FROM sites ORDER BY id",
            &[],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| SiteRetention {
            site: SiteId::from_trusted(row.get(0)),
            days: row.get::<_, i32>(1).unsigned_abs(),
        })
        .collect())
}

/// What one batch did.
#[derive(Debug, PartialEq, Eq)]
pub struct Batch {
    /// Clicks whose details were dropped.
    pub cleared: u64,
    /// Nothing more to clear for this site before the cutoff now.
    pub done: bool,
}

/// Reads up to `limit` clicks (of any site) from the site's cleared mark
/// towards `cutoff`, drops the details of the site's clicks among them made
/// before `cutoff`, and moves the mark past them, in one transaction.
pub async fn clear_batch(
    client: &mut deadpool_postgres::Client,
    site: &SiteId,
    cutoff: DateTime<Utc>,
    limit: i64,
) -> Result<Batch, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    tx.execute(
        "INSERT INTO click_detail_clearing (site_id, cleared_through) VALUES ($1, '') \
         ON CONFLICT (site_id) DO NOTHING",
        &[site],
    )
    .await?;
    // Locked: two sidecar processes clearing one site take turns.
    let mark: String = tx
        .query_one(
            "SELECT cleared_through FROM click_detail_clearing WHERE site_id = $1 FOR UPDATE",
            &[site],
        )
        .await?
        .get(0);
    // Changes no figure: the report trigger stands aside (migration 0012).
    tx.execute(
        "SELECT set_config('affrank.click_details_only', 'on', true)",
        &[],
    )
    .await?;
    let row = tx
        .query_one(
            "WITH batch AS ( \
                 SELECT session_id, site_id, clicked_at, \
                        user_agent IS NOT NULL OR referrer IS NOT NULL AS has_details \
                 FROM clicks WHERE session_id > $2 AND session_id < $3 \
                 ORDER BY session_id LIMIT $5 \
             ), young AS ( \
                 SELECT min(session_id) AS first FROM batch WHERE site_id = $1 AND clicked_at >= $4 \
             ), passed AS ( \
                 SELECT b.* FROM batch b, young y WHERE y.first IS NULL OR b.session_id < y.first \
             ), cleared AS ( \
                 UPDATE clicks c SET user_agent = NULL, referrer = NULL FROM passed p \
                 WHERE c.session_id = p.session_id AND p.site_id = $1 AND p.has_details \
                 RETURNING 1 \
             ) \
             SELECT (SELECT count(*) FROM cleared), (SELECT max(session_id) FROM passed), \
                    (SELECT count(*) FROM batch), (SELECT first IS NOT NULL FROM young)",
            &[site, &mark, &SessionId::time_prefix(cutoff), &cutoff, &limit],
        )
        .await?;
    tx.execute(
        "SELECT set_config('affrank.click_details_only', 'off', true)",
        &[],
    )
    .await?;
    let cleared: i64 = row.get(0);
    let passed: Option<String> = row.get(1);
    let read: i64 = row.get(2);
    let stopped_at_young: bool = row.get(3);
    if let Some(passed) = passed {
        tx.execute(
            "UPDATE click_detail_clearing SET cleared_through = $2 WHERE site_id = $1",
            &[site, &passed],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Batch {
        cleared: cleared.unsigned_abs(),
        done: stopped_at_young || read < limit,
    })
}
