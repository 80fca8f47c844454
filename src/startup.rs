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
use crate::links::cache::{LinkCache, PageTags, RulesCache};
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
    /// Dropped after the writers: stops the embedded cluster when this
    /// process owns it.
    database: Database,
    /// Dropped last, once the spool is flushed and the cluster stopped.
    serve_lock: ServeLock,
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
        // Both refusals come before anything is started, initialised or
        // migrated: a second serve on this data directory would share its
        // spool, and a port in use would fail only after all that work.
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                config.data_dir.display()
            )
        })?;
        let serve_lock = ServeLock::take(&config.data_dir)?;
        let listener = bind(config.listen).await?;
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
            page_tags: PageTags::new(),
            clicks,
            postbacks,
            spool: spool.clone(),
            postback_sites: Default::default(),
            postback_limits: Limits::new(
                config.postbacks.site_rate,
                config.postbacks.site_burst,
                config.postbacks.address_rate,
                config.postbacks.address_burst,
            ),
            postback_max_body_bytes: config.postbacks.max_body_bytes,
            import_max_body_bytes: config.imports.max_body_bytes,
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
            serve_lock,
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
        drop(self.serve_lock);
        tracing::info!("stopped");
    }
}

/// The listener, bound first thing so that an address in use is said
/// plainly, before the cluster is started or the database migrated.
async fn bind(address: std::net::SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(address).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            anyhow::anyhow!(
                "cannot listen on {address}: the address is already in use (by another affrank \
                 serve or another program); stop that, or choose another address with --listen \
                 or AFFRANK_LISTEN"
            )
        } else {
            anyhow::anyhow!("cannot listen on {address}: {e}")
        }
    })
}

/// One `serve` per data directory: an exclusive `flock` on
/// `DATA_DIR/serve.lock`, held for the process's life (the kernel lets go
/// of it when the process ends, however it ends). Two serves on one
/// directory would share its spool, its link snapshot and its embedded
/// cluster. Other commands (`site add`, `migrate`, ...) do not take it.
pub struct ServeLock {
    _lock: nix::fcntl::Flock<std::fs::File>,
}

impl ServeLock {
    pub fn take(data_dir: &std::path::Path) -> anyhow::Result<Self> {
        use std::io::{Read, Seek, Write};
        use std::os::unix::fs::OpenOptionsExt;
        let path = data_dir.join("serve.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            // Never write through a planted symlink (serve may run as root).
            .custom_flags(nix::libc::O_NOFOLLOW)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        match nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock) {
            Ok(mut lock) => {
                // The holder's pid, only for the refusal below to name it.
                lock.set_len(0)?;
                lock.rewind()?;
                writeln!(lock, "{}", std::process::id())?;
                Ok(Self { _lock: lock })
            }
            Err((mut file, nix::errno::Errno::EWOULDBLOCK)) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = match holder.trim() {
                    pid if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) => {
                        format!(" (pid {pid})")
                    }
                    _ => String::new(),
                };
                let dir = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_owned());
                anyhow::bail!(
                    "another affrank serve{holder} is already running on the data directory {}; \
                     stop it first, or give this one a data directory of its own with --data-dir \
                     or AFFRANK_DATA_DIR",
                    dir.display()
                )
            }
            Err((_, e)) => anyhow::bail!("cannot lock {}: {e}", path.display()),
        }
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
