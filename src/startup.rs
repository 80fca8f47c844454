//! Builds the whole application from a `Config` and runs it until told to stop.

use crate::chores::{self, Chores};
use crate::clicks::bots::BotDetector;
use crate::clicks::privacy::VisitorHasher;
use crate::clicks::replay::{ClickReplay, ClicksArrived};
use crate::clicks::writer::ClickWriter;
use crate::config::Config;
use crate::db::{
    self, Health,
    embedded::{Cluster, Ownership},
};
use crate::group_commit::Writers;
use crate::http::state::{AppState, SharedState};
use crate::links::cache::{LinkCache, RulesCache};
use crate::links::snapshot;
use crate::postbacks::limits::Limits;
use crate::postbacks::replay::PostbackReplay;
use crate::postbacks::writer::PostbackWriter;
use crate::postbacks::{Outcome, sql as postback_sql};
use crate::spool::Spool;
use crate::spool::replay::{self, Replayers};
use crate::telemetry::Metrics;
use anyhow::Context;
use deadpool_postgres::Transaction;
use futures_util::future::BoxFuture;
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
    replayers: Replayers,
    replay: JoinHandle<()>,
    stop_replay: watch::Sender<bool>,
    chores: Chores,
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
        let metrics =
            Arc::new(Metrics::new().with_postback_outcomes(Outcome::ALL.map(Outcome::as_str)));
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
        let replayers = spool_replayers(metrics.clone());
        let (stop_replay, replay_stop_rx) = watch::channel(false);
        let replay = replay::start(
            pool.clone(),
            spool.clone(),
            replayers.clone(),
            health,
            metrics.clone(),
            replay_stop_rx,
        );
        let links = Arc::new(LinkCache::new(config.clicks.link_cache_capacity));

        let state = AppState::new(SharedState {
            pool,
            public_base: config.public_base().into(),
            max_body_bytes: config.max_body_bytes,
            trusted_proxies: config.trusted_proxies.clone().into(),
            links: links.clone(),
            rules: RulesCache::new(),
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
            links.remember(Arc::new(link)).await;
        }
        let chores = chores::start(
            state.pool.clone(),
            state.metrics.clone(),
            links,
            snapshot.clone(),
            migrated,
            config.clicks.link_cache_capacity,
            config.postbacks.log_retention_days,
        );

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
            replayers,
            replay,
            stop_replay,
            chores,
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
        let routes = crate::http::routes(self.state.clone());
        warp::serve(routes)
            .incoming(self.listener)
            .graceful(shutdown)
            .run()
            .await;
        tracing::info!("shutting down: draining the click and postback writers");
        tokio::join!(
            self.writers.drain(),
            self.postback_writers.drain(),
            self.chores.stop()
        );
        let _ = self.stop_replay.send(true);
        let _ = self.replay.await;
        if self.spool.pending() > 0 {
            let last = replay::replay_once(
                &self.state.pool,
                &self.spool,
                &self.replayers,
                &self.state.metrics,
            );
            match tokio::time::timeout(Duration::from_secs(10), last).await {
                Ok(Ok(n)) => tracing::info!(records = n, "replayed the spool before exiting"),
                _ => tracing::warn!(
                    pending = self.spool.pending(),
                    "spooled records wait for the next start"
                ),
            }
        }
        if let Err(e) = chores::save_snapshot(&self.state.links, &self.snapshot).await {
            tracing::warn!(error = %e, "could not save the link snapshot");
        }
        self.state.pool.close();
        drop(self.database);
        tracing::info!("stopped");
    }
}

/// The spool's replayer of each kind of record: the click and postback
/// writers', with replayed clicks matched to the conversions that waited.
pub fn spool_replayers(metrics: Arc<Metrics>) -> Replayers {
    Replayers::default()
        .with(
            crate::clicks::replay::KIND,
            Arc::new(ClickReplay {
                metrics: metrics.clone(),
                arrived: Arc::new(MatchLateConversions),
            }),
        )
        .with(
            crate::postbacks::replay::KIND,
            Arc::new(PostbackReplay { metrics }),
        )
}

/// Replayed clicks take the conversions that came in while they waited in
/// the spool, in the transaction that writes them.
struct MatchLateConversions;

impl ClicksArrived for MatchLateConversions {
    fn clicks_arrived<'a>(
        &'a self,
        tx: &'a Transaction<'a>,
        session_ids: &'a [&'a str],
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            postback_sql::match_late_clicks(tx, Some(session_ids)).await?;
            Ok(())
        })
    }
}
