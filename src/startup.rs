//! Builds the whole application from a `Config` and runs it until told to stop.

use crate::clicks::bots::BotDetector;
use crate::clicks::privacy::VisitorHasher;
use crate::clicks::writer::ClickWriter;
use crate::config::Config;
use crate::db::{
    self, Health,
    embedded::{Cluster, Ownership},
};
use crate::group_commit::Writers;
use crate::links::snapshot;
use crate::links::sql::recent_links;
use crate::postbacks::limits::Limits;
use crate::postbacks::writer::PostbackWriter;
use crate::spool::{Spool, replay};
use crate::state::{AppState, SharedState};
use crate::telemetry::Metrics;
use crate::upkeep;
use anyhow::Context;
use secrecy::ExposeSecret;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct Application {
    listener: TcpListener,
    port: u16,
    state: AppState,
    writers: Writers,
    postback_writers: Writers,
    spool: Arc<Spool>,
    replay: JoinHandle<()>,
    stop_replay: watch::Sender<bool>,
    snapshot: std::path::PathBuf,
    /// Dropped last: stops the embedded cluster when this process owns it.
    database: Database,
}

/// A PostgreSQL to talk to: the configured one, or the embedded cluster.
pub struct Database {
    pub url: String,
    /// Set when this process owns the embedded cluster, which then stops
    /// when this is dropped: on shutdown, and on a failed start-up too.
    owned: Option<(Cluster, Ownership)>,
}

impl Database {
    pub async fn connect(config: &Config) -> anyhow::Result<Self> {
        if let Some(url) = &config.database.url {
            return Ok(Self {
                url: url.expose_secret().to_owned(),
                owned: None,
            });
        }
        let cluster = Cluster::new(&config.data_dir)?;
        let owned = match cluster.claim()? {
            Some(ownership) => {
                cluster.start(&ownership)?;
                Some(ownership)
            }
            None => {
                tracing::info!("the embedded cluster belongs to another affrank process; using it");
                cluster.wait_until_running().await?;
                None
            }
        };
        let url = cluster.url(&cluster.database);
        let database = Self {
            url,
            owned: owned.map(|o| (cluster, o)),
        };
        if let Some((cluster, _)) = &database.owned {
            cluster.ensure_database().await?;
        } else {
            Cluster::new(&config.data_dir)?.ensure_database().await?;
        }
        Ok(database)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some((cluster, _ownership)) = self.owned.take()
            && let Err(e) = cluster.stop()
        {
            tracing::error!(error = %e, "could not stop the embedded PostgreSQL cluster");
        }
    }
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let database = Database::connect(&config).await?;
        let pool = db::pool(&database.url, config.database.pool_size)?;
        let migrated = match db::migrate(&pool).await {
            Ok(_) => true,
            // An external database that is down must not keep the blog's
            // links dead: serve from the link snapshot, spool the clicks,
            // and migrate once it answers.
            Err(e) if config.database.url.is_some() && !db::is_ready(&pool).await => {
                tracing::warn!(error = %e, "the database is unreachable; serving from the link snapshot until it is back");
                false
            }
            Err(e) => return Err(e),
        };

        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                config.data_dir.display()
            )
        })?;
        let spool =
            Arc::new(Spool::open(config.data_dir.join("spool")).context("cannot open the spool")?);
        let metrics = Arc::new(Metrics::new());
        let health = Arc::new(Health::new());
        let (clicks, writers) = ClickWriter::start(
            pool.clone(),
            spool.clone(),
            health.clone(),
            metrics.clone(),
            config.clicks.writers,
            config.clicks.batch_max,
        );
        let (postbacks, postback_writers) = PostbackWriter::start(
            pool.clone(),
            spool.clone(),
            health.clone(),
            metrics.clone(),
            config.postbacks.writers,
            config.postbacks.batch_max,
        );
        let (stop_replay, replay_stop_rx) = watch::channel(false);
        let replay = replay::start(
            pool.clone(),
            spool.clone(),
            health,
            metrics.clone(),
            replay_stop_rx,
        );

        let state = AppState::new(SharedState {
            pool,
            public_base: config.public_base().into(),
            max_body_bytes: config.max_body_bytes,
            trusted_proxies: config.trusted_proxies.clone().into(),
            links: moka::future::Cache::builder()
                .max_capacity(config.clicks.link_cache_capacity)
                .build(),
            links_generation: Default::default(),
            rules: moka::sync::Cache::builder().max_capacity(10_000).build(),
            clicks,
            postbacks,
            postback_sites: Default::default(),
            postback_limits: Limits::new(
                config.postbacks.site_rate,
                config.postbacks.site_burst,
                config.postbacks.address_rate,
                config.postbacks.address_burst,
            ),
            postback_max_body_bytes: config.postbacks.max_body_bytes,
            bots: Arc::new(BotDetector::new()),
            visitors: Arc::new(VisitorHasher::new()),
            metrics,
        });
        let snapshot = snapshot::path_in(&config.data_dir);
        let saved = tokio::task::spawn_blocking({
            let path = snapshot.clone();
            move || snapshot::load(&path)
        })
        .await??;
        for link in saved {
            state.remember_link(Arc::new(link)).await;
        }
        tokio::spawn(after_database_is_up(
            state.clone(),
            migrated,
            config.clicks.link_cache_capacity,
        ));
        tokio::spawn(keep_snapshot(state.clone(), snapshot.clone()));
        tokio::spawn(upkeep::prune_postback_log(
            state.clone(),
            config.postbacks.log_retention_days,
        ));
        tokio::spawn(upkeep::match_late_clicks(state.clone()));

        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let port = listener.local_addr()?.port();
        tracing::info!(address = %listener.local_addr()?, "affrank is listening");
        Ok(Self {
            listener,
            port,
            state,
            writers,
            postback_writers,
            spool,
            replay,
            stop_replay,
            snapshot,
            database,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests,
    /// makes every accepted click durable, and stops its own cluster.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) {
        let routes = crate::routes::routes(self.state.clone());
        warp::serve(routes)
            .incoming(self.listener)
            .graceful(shutdown)
            .run()
            .await;
        tracing::info!("shutting down: draining the click and postback writers");
        tokio::join!(self.writers.drain(), self.postback_writers.drain());
        let _ = self.stop_replay.send(true);
        let _ = self.replay.await;
        if self.spool.pending() > 0 {
            let last = replay::replay_once(&self.state.pool, &self.spool, &self.state.metrics);
            match tokio::time::timeout(Duration::from_secs(10), last).await {
                Ok(Ok(n)) => tracing::info!(records = n, "replayed the spool before exiting"),
                _ => tracing::warn!(
                    pending = self.spool.pending(),
                    "spooled records wait for the next start"
                ),
            }
        }
        if let Err(e) = save_snapshot(&self.state, &self.snapshot).await {
            tracing::warn!(error = %e, "could not save the link snapshot");
        }
        self.state.pool.close();
        drop(self.database);
        tracing::info!("stopped");
    }
}

/// Migrates (when start-up could not), then fills the link cache from the
/// most recently registered links.
async fn after_database_is_up(state: AppState, migrated: bool, capacity: u64) {
    if !migrated {
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            match db::migrate(&state.pool).await {
                Ok(_) => {
                    tracing::info!("the database is back and migrated");
                    break;
                }
                Err(e) => tracing::debug!(error = %e, "still waiting for the database"),
            }
        }
    }
    tokio::spawn(crate::reports::sealer::run(state.pool.clone()));
    tokio::spawn(crate::reports::folder::run(state.pool.clone()));
    let Ok(client) = state.pool.get().await else {
        return;
    };
    match recent_links(&client, capacity.min(100_000) as i64).await {
        Ok(links) => {
            let n = links.len();
            for link in links {
                state.remember_link(Arc::new(link)).await;
            }
            tracing::debug!(links = n, "link cache warmed");
        }
        Err(e) => tracing::warn!(error = %e, "could not warm the link cache"),
    }
}

const SNAPSHOT_INTERVAL: Duration = Duration::from_secs(2);

async fn keep_snapshot(state: AppState, path: std::path::PathBuf) {
    let mut saved = 0;
    loop {
        tokio::time::sleep(SNAPSHOT_INTERVAL).await;
        let generation = state
            .links_generation
            .load(std::sync::atomic::Ordering::Relaxed);
        if generation == saved {
            continue;
        }
        match save_snapshot(&state, &path).await {
            Ok(()) => saved = generation,
            Err(e) => tracing::warn!(error = %e, "could not save the link snapshot"),
        }
    }
}

async fn save_snapshot(state: &AppState, path: &std::path::Path) -> std::io::Result<()> {
    let links: Vec<_> = state.links.iter().map(|(_, link)| link).collect();
    if links.is_empty() {
        return Ok(());
    }
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || snapshot::save(&path, &links))
        .await
        .map_err(std::io::Error::other)?
}
