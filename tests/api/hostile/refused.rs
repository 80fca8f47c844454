//! A record the database refuses for what it holds, smuggled past the edge
//! straight into a writer, in one batch with good records: the good ones
//! commit, the refused one alone is set aside (in spool/quarantine/,
//! counted), nothing is spooled, the database is not taken for away, and
//! the next postback is `matched`, not `queued`.

use crate::helpers::app::{TestApp, TestSite, click_row, spawn_app};
use crate::helpers::http::{BROWSER_UA, metric};
use affrank::clicks::ClickRow;
use affrank::clicks::writer::{ClickWriter, Durability};
use affrank::db::Health;
use affrank::ids::SessionId;
use affrank::postbacks::params::Status;
use affrank::postbacks::writer::PostbackWriter;
use affrank::postbacks::{NewConversion, Outcome, PostbackRecord};
use affrank::spool::Spool;
use affrank::telemetry::Metrics;
use serde_json::json;
use std::sync::Arc;

/// A server with a site and a link on it, and beside it what a writer of
/// the test's own needs: a spool, the health it reports to, its metrics.
struct Writers {
    app: TestApp,
    site: TestSite,
    link: String,
    spool: Arc<Spool>,
    health: Arc<Health>,
    metrics: Arc<Metrics>,
    dir: tempfile::TempDir,
}

/// `PostbackWriter::start` and `ClickWriter::start`.
type Start<W> = fn(
    deadpool_postgres::Pool,
    Arc<Spool>,
    Arc<Health>,
    Arc<Metrics>,
    usize,
    usize,
) -> (W, affrank::group_commit::Writers);

impl Writers {
    async fn new() -> Self {
        let app = spawn_app().await;
        let site = app.add_site().await;
        let link = app
            .register_link(&site, "https://prf.hn/click/camref:1")
            .await;
        let dir = tempfile::tempdir().unwrap();
        Self {
            app,
            site,
            link,
            spool: Arc::new(Spool::open(dir.path()).unwrap()),
            health: Arc::new(Health::new()),
            metrics: Arc::new(Metrics::new()),
            dir,
        }
    }

    /// One writer task taking batches of up to 64.
    fn start<W>(&self, start: Start<W>) -> (W, affrank::group_commit::Writers) {
        let pool = self.app.pool.clone();
        start(
            pool,
            self.spool.clone(),
            self.health.clone(),
            self.metrics.clone(),
            1,
            64,
        )
    }

    /// The records set aside, one JSON line each.
    fn set_aside(&self) -> Vec<String> {
        let Ok(files) = std::fs::read_dir(self.dir.path().join("quarantine")) else {
            return Vec::new();
        };
        files
            .flat_map(|f| {
                let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
                text.lines().map(str::to_owned).collect::<Vec<_>>()
            })
            .collect()
    }

    fn assert_normal_mode(&self) {
        assert!(self.health.is_up(), "the database is not taken for away");
        assert_eq!(self.spool.pending(), 0, "nothing was spooled");
        assert!(!self.spool.has_segments());
    }

    fn refused(&self, kind: &str) -> f64 {
        let text = self.metrics.render();
        metric(
            &text,
            &format!("affrank_writes_refused_total{{kind=\"{kind}\"}}"),
        )
    }

    /// How many batches the writers committed and how many items they held.
    fn batches(&self, name: &str) -> (f64, f64) {
        let text = self.metrics.render();
        (
            metric(&text, &format!("affrank_{name}_count")),
            metric(&text, &format!("affrank_{name}_sum")),
        )
    }
}

fn postback(site: &TestSite, session: &str, txid: &str) -> PostbackRecord {
    PostbackRecord {
        received_at: chrono::Utc::now(),
        site_id: site.id.clone(),
        source_addr: Some("192.0.2.1".into()),
        method: "GET".into(),
        params: json!({"sid": session, "txid": txid, "token": "***"}),
        conversion: Some(NewConversion {
            session_id: SessionId::parse(session).unwrap(),
            transaction_id: Some(txid.into()),
            event: String::new(),
            status: Status::Approved,
            amount: Some("2.50".parse().unwrap()),
            currency: None,
            amount_site: Some("2.50".parse().unwrap()),
            is_lead: false,
        }),
        outcome: Outcome::Invalid,
        message: String::new(),
    }
}

#[tokio::test]
async fn a_postback_the_database_refuses_is_set_aside_and_its_batch_commits() {
    let w = Writers::new().await;
    let (app, site) = (&w.app, &w.site);
    let session = app.session(site).await;
    let (writer, _tasks) = w.start(PostbackWriter::start);
    let mut nul_in_log = postback(site, &session, "refused-log");
    nul_in_log.params["event"] = json!("sale\0");
    let mut nul_in_conversion = postback(site, &session, "refused-conversion");
    nul_in_conversion.conversion.as_mut().unwrap().event = "sale\0".into();
    // A refusal with nothing to settle: only its log row, refused too.
    let mut nul_in_refusal = postback(site, &session, "refused-401");
    nul_in_refusal.conversion = None;
    nul_in_refusal.outcome = Outcome::Unauthorized;
    nul_in_refusal.message = "token missing or wrong\0".into();
    let records = vec![
        postback(site, &session, "good-1"),
        nul_in_log,
        postback(site, &session, "good-2"),
        nul_in_conversion,
        postback(site, &session, "good-3"),
        nul_in_refusal,
        postback(site, &session, "good-4"),
    ];
    // Submitted together on this one thread: all are queued before the
    // writer runs, so they make one batch.
    let answers =
        futures_util::future::join_all(records.into_iter().map(|r| writer.submit(r))).await;
    assert_eq!(
        w.batches("postback_batch_size"),
        (1.0, 7.0),
        "one batch of seven"
    );
    let outcomes: Vec<Outcome> = answers
        .iter()
        .map(|a| a.as_ref().unwrap().outcome)
        .collect();
    use Outcome::*;
    assert_eq!(
        outcomes,
        [
            Matched,
            Invalid,
            Matched,
            Invalid,
            Matched,
            Unauthorized,
            Matched
        ]
    );
    assert!(answers[1].as_ref().unwrap().message.contains("refused"));
    assert_eq!(
        app.count("SELECT count(*) FROM conversions WHERE transaction_id LIKE 'good-%'")
            .await,
        4,
        "the good records committed"
    );
    assert_eq!(app.count("SELECT count(*) FROM conversions").await, 4);
    assert_eq!(app.count("SELECT count(*) FROM postback_log").await, 4);
    w.assert_normal_mode();
    let aside = w.set_aside();
    assert_eq!(aside.len(), 3, "{aside:?}");
    for (line, txid) in aside
        .iter()
        .zip(["refused-log", "refused-conversion", "refused-401"])
    {
        assert!(
            line.contains(txid) && line.contains("\"kind\":\"postback\""),
            "{line}"
        );
    }
    assert_eq!(w.refused("postback"), 3.0);

    let next = writer
        .submit(postback(site, &session, "next"))
        .await
        .unwrap();
    assert_eq!(next.outcome, Matched, "{next:?}");
    w.assert_normal_mode();
}

#[tokio::test]
async fn a_click_the_database_refuses_is_set_aside_and_its_batch_commits() {
    let w = Writers::new().await;
    let (writer, _tasks) = w.start(ClickWriter::start);
    let click =
        |user_agent: &str| click_row(&w.site.id, &w.link, SessionId::mint().as_str(), user_agent);
    let rows: Vec<ClickRow> = (0..10)
        .map(|i| click(if i == 6 { "Mozilla/5.0 \0" } else { BROWSER_UA }))
        .collect();
    let refused_session = rows[6].session_id.as_str().to_owned();
    let answers = futures_util::future::join_all(rows.into_iter().map(|r| writer.record(r))).await;
    assert_eq!(
        w.batches("click_batch_size"),
        (1.0, 10.0),
        "one batch of ten"
    );
    let durable: Vec<Durability> = answers.into_iter().map(Result::unwrap).collect();
    let mut expected = vec![Durability::Committed; 10];
    expected[6] = Durability::SetAside;
    assert_eq!(durable, expected);
    assert_eq!(w.app.count("SELECT count(*) FROM clicks").await, 9);
    w.assert_normal_mode();
    let aside = w.set_aside();
    assert_eq!(aside.len(), 1);
    assert!(aside[0].contains(&refused_session), "{}", aside[0]);
    assert_eq!(w.refused("click"), 1.0);

    assert_eq!(
        writer.record(click(BROWSER_UA)).await.unwrap(),
        Durability::Committed
    );
    assert_eq!(w.app.count("SELECT count(*) FROM clicks").await, 10);
    w.assert_normal_mode();
}
