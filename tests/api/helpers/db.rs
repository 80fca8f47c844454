//! Test databases on the shared server, each made for one test and dropped
//! after it, and throwaway clusters a test may stop and start.

use affrank::ids::SiteId;

/// The server every test database lives on: `DATABASE_URL`, default the local one.
pub fn server_url() -> url::Url {
    let raw = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/".into());
    url::Url::parse(&raw).expect("DATABASE_URL is a postgres:// URL")
}

pub fn database_url(name: &str) -> String {
    let mut url = server_url();
    url.set_path(name);
    url.to_string()
}

/// A plain client on `url`, its connection driven by a task of its own.
pub async fn pg_connect(url: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

pub async fn admin_client() -> tokio_postgres::Client {
    pg_connect(&database_url("postgres"))
        .await
        .expect("the test PostgreSQL server is reachable")
}

pub async fn create_database() -> String {
    let name = format!("affrank_test_{}", SiteId::mint().as_str().to_lowercase());
    admin_client()
        .await
        .batch_execute(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create the test database");
    name
}

/// Dropped from a thread of its own, since `Drop` cannot await.
pub fn drop_database(name: String) {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let _ = admin_client()
                .await
                .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await;
        });
    })
    .join()
    .ok();
}

pub async fn query_count(url: &str, sql: &str) -> Option<i64> {
    let client = pg_connect(url).await.ok()?;
    client.query_one(sql, &[]).await.ok().map(|row| row.get(0))
}

/// A throwaway PostgreSQL cluster of the test's own, made with initdb and
/// run with pg_ctl, so the test can stop and start it at will.
pub struct ThrowawayCluster {
    pub cluster: affrank::db::embedded::Cluster,
    pub owner: affrank::db::embedded::Ownership,
    /// Kept so the directory outlives the cluster.
    _dir: tempfile::TempDir,
}

impl ThrowawayCluster {
    pub async fn start() -> Self {
        let dir = reachable_tempdir();
        let cluster = affrank::db::embedded::Cluster::new(dir.path()).unwrap();
        let owner = cluster.claim().unwrap().expect("a fresh cluster is ours");
        cluster.start(&owner).unwrap();
        cluster.ensure_database().await.unwrap();
        Self {
            cluster,
            owner,
            _dir: dir,
        }
    }

    pub fn restart(&self) {
        self.cluster.start(&self.owner).unwrap();
    }

    pub fn url(&self) -> String {
        self.cluster.url(&self.cluster.database)
    }
}

impl Drop for ThrowawayCluster {
    fn drop(&mut self) {
        if self.cluster.is_running() {
            let _ = self.cluster.stop();
        }
    }
}

/// A temporary directory the `postgres` user can reach when we are root.
pub fn reachable_tempdir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}
