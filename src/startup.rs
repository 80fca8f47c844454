//! Builds the whole application from a `Config` and runs it until told to stop.

use crate::clicks::bots::BotDetector;
use crate::clicks::privacy::VisitorHasher;
use crate::clicks::writer::{ClickWriter, WriterTasks};
use crate::config::Config;
use crate::db::{
    self, Health,
    embedded::{Cluster, Ownership},
};
use crate::links::sql::recent_links;
use crate::spool::{Spool, replay};
use crate::state::{AppState, SharedState};
use crate::telemetry::Metrics;
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
    writers: WriterTasks,
    spool: Arc<Spool>,
    replay: JoinHandle<()>,
    stop_replay: watch::Sender<bool>,
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
        if let Some(url) = &config.database_url {
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
        let pool = db::pool(&database.url, config.db_pool_size)?;
        db::migrate(&pool).await?;

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
            config.click_writers,
            config.click_batch_max,
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
                .max_capacity(config.link_cache_capacity)
                .build(),
            rules: moka::sync::Cache::builder().max_capacity(10_000).build(),
            clicks,
            bots: Arc::new(BotDetector::new()),
            visitors: Arc::new(VisitorHasher::new()),
            metrics,
        });
        warm_link_cache(&state, config.link_cache_capacity);

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
            spool,
            replay,
            stop_replay,
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
        tracing::info!("shutting down: draining the click writers");
        self.writers.drain().await;
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
        self.state.pool.close();
        drop(self.database);
        tracing::info!("stopped");
    }
}

/// Redirects keep working through a database outage for links in the cache;
/// filling it from the most recently registered links covers a restart too.
fn warm_link_cache(state: &AppState, capacity: u64) {
    let state = state.clone();
    tokio::spawn(async move {
        let Ok(client) = state.pool.get().await else {
            return;
        };
        match recent_links(&client, capacity.min(100_000) as i64).await {
            Ok(links) => {
                let n = links.len();
                for link in links {
                    state
                        .links
                        .insert(link.id.as_str().to_owned(), Arc::new(link))
                        .await;
                }
                tracing::debug!(links = n, "link cache warmed");
            }
            Err(e) => tracing::warn!(error = %e, "could not warm the link cache"),
        }
    });
}
