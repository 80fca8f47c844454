//! The connection pool, migrations, and what we know of the database's health.

pub mod embedded;

use anyhow::Context;
use deadpool_postgres::{
    Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod, Runtime, Timeouts,
};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

pub fn pool(database_url: &str, size: usize) -> anyhow::Result<Pool> {
    let mut config: tokio_postgres::Config = database_url
        .parse()
        .context("DATABASE_URL is not a valid PostgreSQL connection string")?;
    config.connect_timeout(Duration::from_secs(3));
    config.application_name("affrank");
    let manager = Manager::from_config(
        config,
        tokio_postgres::NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .runtime(Runtime::Tokio1)
        .timeouts(Timeouts {
            wait: Some(Duration::from_secs(5)),
            create: Some(Duration::from_secs(3)),
            recycle: Some(Duration::from_secs(3)),
        })
        .build()
        .context("cannot build the connection pool")
}

/// Migrations are embedded at build time and applied in order, each in its
/// own transaction, under an advisory lock so that several sidecars starting
/// together apply each one once. The list is `migrations/*.sql` as `build.rs`
/// finds it: `("0001_sites_links_clicks", <that file's text>)`, ... in order,
/// the version being the file name without `.sql`.
const MIGRATIONS: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

const MIGRATION_LOCK: i64 = 0x0041_4646_5241_4e4b; // "AFFRANK"

pub async fn migrate(pool: &Pool) -> anyhow::Result<Vec<&'static str>> {
    let mut client = pool.get().await.context("cannot connect to PostgreSQL")?;
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version    text        PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now()
             )",
        )
        .await
        .or_else(ignore_concurrent_create)?;
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let applied = apply_pending(&mut client).await;
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await?;
    applied
}

async fn apply_pending(
    client: &mut deadpool_postgres::Client,
) -> anyhow::Result<Vec<&'static str>> {
    let mut applied = Vec::new();
    for (version, sql) in MIGRATIONS {
        let done = client
            .query_opt(
                "SELECT 1 FROM schema_migrations WHERE version = $1",
                &[version],
            )
            .await?
            .is_some();
        if done {
            continue;
        }
        let tx = client.transaction().await?;
        tx.batch_execute(sql)
            .await
            .with_context(|| format!("migration {version} failed"))?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[version],
        )
        .await?;
        tx.commit().await?;
        tracing::info!(version, "applied migration");
        applied.push(*version);
    }
    Ok(applied)
}

/// Two processes racing on `CREATE TABLE IF NOT EXISTS` can still collide
/// on the catalog's unique index; the loser's table exists all the same.
fn ignore_concurrent_create(e: tokio_postgres::Error) -> Result<(), tokio_postgres::Error> {
    match e.code() {
        Some(code) if *code == tokio_postgres::error::SqlState::UNIQUE_VIOLATION => Ok(()),
        _ => Err(e),
    }
}

/// Answers `/readyz`: a round trip within a second.
pub async fn is_ready(pool: &Pool) -> bool {
    let check = async {
        let client = pool.get().await.ok()?;
        client.simple_query("SELECT 1").await.ok()
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(1), check).await,
        Ok(Some(_))
    )
}

/// One connection of the pool kept by a writer, so that its batches follow
/// one another down the same connection: PostgreSQL reads the next batch as
/// soon as it has answered the one before, instead of sleeping until the
/// sidecar's next query wakes another backend. A closed connection is given
/// back and the next batch takes another, and so is one that a failed batch
/// may have left busy (`reset`).
pub struct PinnedConnection {
    pool: Pool,
    current: Mutex<Option<Arc<Pinned>>>,
}

impl PinnedConnection {
    pub fn new(pool: Pool) -> Self {
        Self {
            pool,
            current: Mutex::new(None),
        }
    }

    pub async fn get(&self) -> Result<Arc<Pinned>, PoolError> {
        if let Some(pinned) = self.slot().as_ref().filter(|p| !p.is_closed()) {
            return Ok(pinned.clone());
        }
        let pinned = Arc::new(Pinned {
            object: Some(self.pool.get().await?),
            retired: AtomicBool::new(false),
        });
        *self.slot() = Some(pinned.clone());
        Ok(pinned)
    }

    /// The next batch takes a new connection. Batches still on this one
    /// finish on it; then it is closed, not given back: it may be running a
    /// statement that timed out, which would hold up whoever took it next.
    pub fn reset(&self) {
        if let Some(pinned) = self.slot().take() {
            pinned.retired.store(true, Ordering::Relaxed);
        }
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Arc<Pinned>>> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The pinned connection as a batch holds it.
pub struct Pinned {
    /// Taken only when dropped.
    object: Option<Object>,
    retired: AtomicBool,
}

impl std::ops::Deref for Pinned {
    type Target = Object;

    fn deref(&self) -> &Object {
        self.object.as_ref().expect("present until dropped")
    }
}

impl Drop for Pinned {
    fn drop(&mut self) {
        if let Some(object) = self.object.take()
            && self.retired.load(Ordering::Relaxed)
        {
            drop(Object::take(object));
        }
    }
}

/// After a failure, writers skip the database for a short while instead of
/// making every click wait for a connection attempt; the replayer probes.
pub struct Health {
    started: Instant,
    down_until_ms: AtomicU64,
}

impl Health {
    const BACKOFF: Duration = Duration::from_millis(1000);

    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            down_until_ms: AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    pub fn is_up(&self) -> bool {
        self.now_ms() >= self.down_until_ms.load(Ordering::Relaxed)
    }

    pub fn report_failure(&self) {
        let until = self.now_ms() + Self::BACKOFF.as_millis() as u64;
        self.down_until_ms.store(until, Ordering::Relaxed);
    }

    pub fn report_success(&self) {
        self.down_until_ms.store(0, Ordering::Relaxed);
    }
}

impl Default for Health {
    fn default() -> Self {
        Self::new()
    }
}
