//! Background chores, in one place, each with a handle that shutdown stops:
//! migrating once an unreachable database answers, sealing report weeks,
//! folding pending clicks, warming and saving the link cache, matching late
//! clicks, pruning the postback log, forgetting removed sites' links,
//! dropping old clicks' user agents and referrers. Each is idempotent and
//! safe to stop at any point (a stopped transaction rolls back).

use crate::clicks::retention;
use crate::db;
use crate::links::cache::LinkCache;
use crate::links::snapshot;
use crate::links::sql::recent_links;
use crate::postbacks::sql as postback_sql;
use crate::sites::admin as site_admin;
use crate::telemetry::Metrics;
use deadpool_postgres::Pool;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// The running chores.
#[derive(Default)]
pub struct Chores(Vec<(&'static str, JoinHandle<()>)>);

impl Chores {
    pub fn spawn(&mut self, name: &'static str, chore: impl Future<Output = ()> + Send + 'static) {
        self.0.push((name, tokio::spawn(chore)));
    }

    /// Stops every chore and waits until each has.
    pub async fn stop(self) {
        for (_, handle) in &self.0 {
            handle.abort();
        }
        for (name, handle) in self.0 {
            if let Err(e) = handle.await
                && e.is_panic()
            {
                tracing::error!(chore = name, "a background chore had panicked");
            }
        }
    }
}

/// Starts them all. `migrated`: whether start-up could migrate; if not,
/// this migrates once the database answers, and starts the chores that
/// need the current schema only then.
pub fn start(
    pool: Pool,
    metrics: Arc<Metrics>,
    links: Arc<LinkCache>,
    snapshot: PathBuf,
    migrated: bool,
    link_cache_capacity: u64,
    postback_log_retention_days: u32,
) -> Chores {
    let mut chores = Chores::default();
    chores.spawn("snapshot", keep_snapshot(links.clone(), snapshot));
    chores.spawn("database", {
        let pool = pool.clone();
        async move {
            if !migrated {
                migrate_when_back(&pool).await;
            }
            warm_link_cache(&pool, &links, link_cache_capacity).await;
            tokio::join!(
                forget_removed_sites(&pool, &links),
                crate::reports::sealer::run(pool.clone()),
                crate::reports::fold::run(pool.clone()),
                prune_postback_log(&pool, &metrics, postback_log_retention_days),
                match_late_clicks(&pool),
                clear_click_details(&pool),
            );
        }
    });
    chores
}

async fn migrate_when_back(pool: &Pool) {
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        match db::migrate(pool).await {
            Ok(_) => {
                tracing::info!("the database is back and migrated");
                return;
            }
            Err(e) => tracing::debug!(error = %e, "still waiting for the database"),
        }
    }
}

/// Fills the link cache from the most recently registered links.
async fn warm_link_cache(pool: &Pool, links: &LinkCache, capacity: u64) {
    let Ok(client) = pool.get().await else {
        return;
    };
    match recent_links(&client, capacity.min(100_000) as i64).await {
        Ok(recent) => {
            let n = recent.len();
            for link in recent {
                links.remember(Arc::new(link)).await;
            }
            tracing::debug!(links = n, "link cache warmed");
        }
        Err(e) => tracing::warn!(error = %e, "could not warm the link cache"),
    }
}

const SNAPSHOT_INTERVAL: Duration = Duration::from_secs(2);

/// Rewrites the link snapshot within two seconds of a change.
async fn keep_snapshot(links: Arc<LinkCache>, path: PathBuf) {
    let mut saved = 0;
    loop {
        tokio::time::sleep(SNAPSHOT_INTERVAL).await;
        let generation = links.generation();
        if generation == saved {
            continue;
        }
        match save_snapshot(&links, &path).await {
            Ok(()) => saved = generation,
            Err(e) => tracing::warn!(error = %e, "could not save the link snapshot"),
        }
    }
}

pub async fn save_snapshot(links: &LinkCache, path: &std::path::Path) -> std::io::Result<()> {
    let links = links.all();
    if links.is_empty() {
        return Ok(());
    }
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || snapshot::save(&path, &links))
        .await
        .map_err(std::io::Error::other)?
}

/// `affrank site remove` runs in another process. Within seconds, this
/// serve drops the removed site's links from its memory (and so from its
/// snapshot), so `/go/` answers 404 for them instead of redirecting for
/// ever, and deletes the clicks it recorded for them meanwhile. A site is
/// forgotten only when the database says it is gone, never for want of an
/// answer.
async fn forget_removed_sites(pool: &Pool, links: &LinkCache) {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        tick.tick().await;
        let cached = links.site_ids();
        if cached.is_empty() {
            continue;
        }
        let forgotten = async {
            let client = pool.get().await?;
            let gone = site_admin::removed_among(&client, &cached).await?;
            if gone.is_empty() {
                return anyhow::Ok(None);
            }
            let links = links.forget_sites(&gone).await;
            let clicks = site_admin::delete_clicks_of_removed(&client, &gone).await?;
            anyhow::Ok(Some((gone, links, clicks)))
        };
        match forgotten.await {
            Ok(None) => {}
            Ok(Some((sites, links, clicks))) => {
                tracing::info!(?sites, links, clicks, "forgot the links of removed sites")
            }
            Err(e) => tracing::debug!(error = %e, "removed sites not checked this time"),
        }
    }
}

/// Deletes postback log rows older than the retention, once an hour.
async fn prune_postback_log(pool: &Pool, metrics: &Metrics, retention_days: u32) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let before = chrono::Utc::now() - chrono::Duration::days(retention_days.into());
        let pruned = async {
            let client = pool.get().await?;
            anyhow::Ok(postback_sql::prune_log(&client, before).await?)
        };
        match pruned.await {
            Ok(0) => {}
            Ok(n) => {
                metrics.postback_log_pruned.inc_by(n);
                tracing::info!(rows = n, "pruned the postback log");
            }
            Err(e) => tracing::debug!(error = %e, "postback log not pruned this hour"),
        }
    }
}

/// Matches conversions whose click reached the database after them. Spool
/// replay does this for its own clicks at once; this catches the rest, such
/// as a click another sidecar process had spooled.
async fn match_late_clicks(pool: &Pool) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        let matched = async {
            let client = pool.get().await?;
            anyhow::Ok(postback_sql::match_late_clicks(&client, None).await?)
        };
        match matched.await {
            Ok(0) => {}
            Ok(n) => tracing::info!(conversions = n, "matched conversions to late clicks"),
            Err(e) => tracing::debug!(error = %e, "late clicks not matched this minute"),
        }
    }
}

/// Clicks read per transaction when dropping details: a few milliseconds of
/// work, so a click writer never waits long on one.
const CLEAR_BATCH: i64 = 1_000;
/// Between two batches, so a first pass over years of clicks does not keep
/// the database busy.
const CLEAR_PAUSE: Duration = Duration::from_millis(20);

/// The first pass waits this long after start: start-up has enough to do,
/// and a pass does not race whoever set up the data just now (the tests).
const FIRST_CLEAR_AFTER: Duration = Duration::from_secs(300);

/// Drops the user agent and referrer of clicks older than their site's
/// retention, five minutes after start and then once an hour.
async fn clear_click_details(pool: &Pool) {
    let mut tick = tokio::time::interval_at(
        tokio::time::Instant::now() + FIRST_CLEAR_AFTER,
        Duration::from_secs(3600),
    );
    loop {
        tick.tick().await;
        match clear_old_click_details(pool, chrono::Utc::now(), CLEAR_PAUSE).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                clicks = n,
                "dropped the user agent and referrer of old clicks"
            ),
            Err(e) => tracing::debug!(error = %e, "old click details not dropped this hour"),
        }
    }
}

/// One pass over every site: each site's clicks made more than its
/// `click_detail_retention_days` before `now` lose their user agent and
/// referrer, in batches (see `clicks::retention`). Returns how many did.
pub async fn clear_old_click_details(
    pool: &Pool,
    now: chrono::DateTime<chrono::Utc>,
    pause: Duration,
) -> anyhow::Result<u64> {
    let mut client = pool.get().await?;
    let mut cleared = 0;
    for site in retention::sites(&client).await? {
        let cutoff = now - chrono::Duration::days(site.days.into());
        loop {
            let batch =
                retention::clear_batch(&mut client, &site.site, cutoff, CLEAR_BATCH).await?;
            cleared += batch.cleared;
            if batch.done {
                break;
            }
            tokio::time::sleep(pause).await;
        }
    }
    Ok(cleared)
}
