//! `spawn_app()`: a fresh database, migrated, and the real server on port 0.

use super::db::{create_database, database_url, drop_database};
use super::http::{BROWSER_UA, location, send_postback, session_of};
use affrank::clicks::ClickRow;
use affrank::config::Config;
use affrank::ids::{ApiKey, LinkId, SessionId, SiteId, mint_postback_secret};
use affrank::sites::{SiteSettings, sql as site_sql};
use affrank::startup::Application;
use secrecy::SecretString;
use serde_json::{Value, json};
use std::path::PathBuf;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub struct TestApp {
    pub address: String,
    pub pool: deadpool_postgres::Pool,
    pub http: reqwest::Client,
    pub data_dir: tempfile::TempDir,
    db_name: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

/// A click made now on `link_id` of `site_id`, as the click writer and the
/// spool hold it: for tests that write one without a request.
pub fn click_row(site_id: &str, link_id: &str, session_id: &str, user_agent: &str) -> ClickRow {
    ClickRow {
        session_id: SessionId::parse(session_id).unwrap(),
        site_id: SiteId::parse(site_id).unwrap(),
        link_id: LinkId::parse(link_id).unwrap(),
        clicked_at: chrono::Utc::now(),
        page_url: "https://blog.test/best-shoes/".into(),
        keyword: None,
        keyword_source: None,
        network: None,
        referrer: None,
        user_agent: Some(user_agent.into()),
        visitor_hash: None,
        is_bot: false,
    }
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

    /// `GET {path}` with the site's API key.
    pub async fn api_get(&self, key: &str, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.address))
            .bearer_auth(key)
            .send()
            .await
            .unwrap()
    }

    /// `PUT /api/v1/site` with `body` as JSON, whatever the answer.
    pub async fn put_site(&self, key: &str, body: &Value) -> reqwest::Response {
        self.http
            .put(format!("{}/api/v1/site", self.address))
            .bearer_auth(key)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Changes `site`'s settings; the change must be accepted.
    pub async fn update_site(&self, site: &TestSite, body: Value) {
        let response = self.put_site(&site.api_key, &body).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
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
