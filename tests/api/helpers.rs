//! `spawn_app()`: a fresh database, migrated, and the real server on port 0.

use affrank::config::Config;
use affrank::ids::{ApiKey, SiteId, mint_postback_secret};
use affrank::sites::{SiteSettings, sql as site_sql};
use affrank::startup::Application;
use secrecy::SecretString;
use serde_json::{Value, json};
use std::path::PathBuf;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const BROWSER_UA: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

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

pub struct TestApp {
    pub address: String,
    pub pool: deadpool_postgres::Pool,
    pub http: reqwest::Client,
    pub data_dir: tempfile::TempDir,
    db_name: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

pub struct TestSite {
    pub id: String,
    pub api_key: String,
    pub secret: String,
}

pub async fn spawn_app() -> TestApp {
    let name = create_database().await;
    let mut app = spawn_app_on(database_url(&name), tempfile::tempdir().unwrap(), |_| {}).await;
    app.db_name = Some(name);
    app
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let name = create_database().await;
    let mut app = spawn_app_on(database_url(&name), tempfile::tempdir().unwrap(), adjust).await;
    app.db_name = Some(name);
    app
}

/// Serves on `database_url` with `data_dir` (spool); the caller owns the database.
pub async fn spawn_app_on(
    database_url: String,
    data_dir: tempfile::TempDir,
    adjust: impl FnOnce(&mut Config),
) -> TestApp {
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        public_url: url::Url::parse("https://track.test").unwrap(),
        data_dir: data_dir.path().to_path_buf(),
        ..Config::default()
    };
    config.database.url = Some(SecretString::from(database_url.clone()));
    adjust(&mut config);
    let app = Application::build(config)
        .await
        .expect("the application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let (shutdown, stopped) = oneshot::channel::<()>();
    let handle = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    TestApp {
        address,
        pool: affrank::db::pool(&database_url, 4).unwrap(),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        data_dir,
        db_name: None,
        shutdown: Some(shutdown),
        handle: Some(handle),
    }
}

impl TestApp {
    pub async fn add_site(&self) -> TestSite {
        let settings = SiteSettings::new("Test blog", "https://blog.test", "USD").unwrap();
        let id = SiteId::mint();
        let key = ApiKey::mint();
        let secret = mint_postback_secret();
        let client = self.pool.get().await.unwrap();
        site_sql::insert_site(&client, &id, &key.hash(), &secret, &settings)
            .await
            .unwrap();
        TestSite {
            id: id.as_str().into(),
            api_key: key.expose().into(),
            secret,
        }
    }

    pub async fn rewrite(&self, site: &TestSite, html: &str) -> Value {
        let response = self
            .post_rewrite(
                Some(&site.api_key),
                &json!({"html": html, "page_url": "https://blog.test/best-shoes/", "post_id": 7,
                        "keyword": "best running shoes", "keyword_source": "post_meta"}),
            )
            .await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    pub async fn post_rewrite(&self, key: Option<&str>, body: &Value) -> reqwest::Response {
        let mut request = self
            .http
            .post(format!("{}/api/v1/rewrite", self.address))
            .json(body);
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        request.send().await.unwrap()
    }

    /// Registers one affiliate link and returns its `/go/` id.
    pub async fn register_link(&self, site: &TestSite, url: &str) -> String {
        let body = self
            .rewrite(site, &format!("<a href=\"{url}\">x</a>"))
            .await;
        body["links"][0]["id"]
            .as_str()
            .expect("a link was registered")
            .to_owned()
    }

    pub async fn click(&self, link_id: &str) -> reqwest::Response {
        self.http
            .get(format!("{}/go/{link_id}", self.address))
            .header("user-agent", BROWSER_UA)
            .send()
            .await
            .unwrap()
    }

    pub async fn count(&self, sql: &str) -> i64 {
        let client = self.pool.get().await.unwrap();
        client.query_one(sql, &[]).await.unwrap().get(0)
    }

    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle.await.unwrap();
        }
    }

    pub async fn metrics(&self) -> String {
        let url = format!("{}/metrics", self.address);
        self.http
            .get(url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub fn spool_dir(&self) -> PathBuf {
        self.data_dir.path().join("spool")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(name) = self.db_name.take() {
            self.pool.close();
            drop_database(name);
        }
    }
}

/// The session id a redirect carries.
pub fn session_of(location: &str) -> String {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "affrank_sid")
        .map(|(_, v)| v.into_owned())
        .expect("the redirect carries affrank_sid")
}

pub fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
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

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn affrank_bin() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_affrank"))
}

/// `affrank serve` as a child process.
pub struct Sidecar {
    pub child: std::process::Child,
    pub address: String,
}

impl Sidecar {
    pub async fn start(envs: &[(&str, &str)], remove_database_url: bool, extra: &[&str]) -> Self {
        let port = free_port();
        let mut command = affrank_bin();
        command
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--public-url",
                "https://track.test",
            ])
            .args(extra)
            .envs(envs.iter().copied())
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null());
        if remove_database_url {
            command.env_remove("DATABASE_URL");
        }
        let child = command.spawn().expect("affrank serve starts");
        let sidecar = Self {
            child,
            address: format!("http://127.0.0.1:{port}"),
        };
        sidecar.wait_healthy().await;
        sidecar
    }

    async fn wait_healthy(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
        while std::time::Instant::now() < deadline {
            if let Ok(r) = reqwest::get(format!("{}/healthz", self.address)).await
                && r.status() == 200
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("affrank serve did not become healthy");
    }

    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.child.id() as i32), signal).unwrap();
    }

    pub fn wait(&mut self) -> std::process::ExitStatus {
        self.child.wait().unwrap()
    }
}

impl Drop for Sidecar {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn wait_until(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

pub async fn query_count(url: &str, sql: &str) -> Option<i64> {
    let client = pg_connect(url).await.ok()?;
    client.query_one(sql, &[]).await.ok().map(|row| row.get(0))
}

/// A client that shows redirects instead of following them.
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// `affrank site add --json` with `envs` and `extra` arguments; the printed object.
pub fn cli_site_add(envs: &[(&str, &str)], extra: &[&str]) -> Value {
    let out = affrank_bin()
        .args([
            "site",
            "add",
            "--name",
            "Blog",
            "--url",
            "https://blog.test",
            "--json",
        ])
        .args(extra)
        .envs(envs.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

impl Sidecar {
    /// Registers one affiliate link through the rewrite endpoint; its `/go/` id.
    pub async fn register_link(&self, api_key: &str) -> String {
        let rewritten: Value = no_redirects()
            .post(format!("{}/api/v1/rewrite", self.address))
            .bearer_auth(api_key)
            .json(&json!({"html": "<a href=\"https://prf.hn/a\">x</a>", "page_url": "https://blog.test/p/"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        rewritten["links"][0]["id"].as_str().unwrap().to_owned()
    }
}

/// A postback's status code and JSON answer.
pub async fn send_postback(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

impl TestApp {
    pub fn postback_url(&self, site_id: &str) -> String {
        format!("{}/api/v1/postbacks/{site_id}", self.address)
    }

    /// `GET /api/v1/postbacks/{site}?{query}`.
    pub async fn postback(&self, site_id: &str, query: &str) -> (u16, Value) {
        send_postback(
            self.http
                .get(format!("{}?{query}", self.postback_url(site_id))),
        )
        .await
    }

    /// A click on a fresh link of `site`; its session id.
    pub async fn session(&self, site: &TestSite) -> String {
        let link = self
            .register_link(site, "https://prf.hn/click/camref:1")
            .await;
        session_of(&location(&self.click(&link).await))
    }
}

/// One value of the Prometheus text, by its full series name.
pub fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

/// Sends `request`, a whole HTTP/1.1 request with `Connection: close`,
/// over a bare connection, for what HTTP clients refuse to build; returns
/// the answer's status and body.
pub async fn raw_http(address: &str, request: &[u8]) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address.trim_start_matches("http://"))
        .await
        .unwrap();
    // The server may answer (413, 414) and close before reading it all.
    let _ = stream.write_all(request).await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let response = String::from_utf8_lossy(&response).to_string();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {response:?}"));
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default();
    (status, body)
}

/// A POST whose body is chunked (no Content-Length), as some HTTP clients
/// and proxies send it.
pub async fn post_chunked(
    address: &str,
    path: &str,
    headers: &[(&str, &str)],
    chunks: &[&[u8]],
) -> (u16, String) {
    let host = address.trim_start_matches("http://");
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n"
    )
    .into_bytes();
    for (name, value) in headers {
        request.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    request.extend_from_slice(b"\r\n");
    for chunk in chunks {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    raw_http(address, &request).await
}
