//! No acknowledged postback is lost or counted twice: under concurrency
//! across two processes, through a database outage, across `kill -9`.

use crate::helpers::app::{click_row, spawn_app_on};
use crate::helpers::db::{
    ThrowawayCluster, create_database, database_url, drop_database, pg_connect, query_count,
    reachable_tempdir,
};
use crate::helpers::http::{BROWSER_UA, metric, no_redirects, send_postback};
use crate::helpers::sidecar::{Sidecar, cli_site_add, serve_env};
use crate::helpers::wait_until;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

async fn transaction_ids(url: &str) -> HashMap<String, i64> {
    let client = pg_connect(url).await.unwrap();
    client
        .query(
            "SELECT transaction_id, count(*) FROM conversions GROUP BY transaction_id",
            &[],
        )
        .await
        .unwrap()
        .into_iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect()
}

#[tokio::test]
async fn five_hundred_identical_postbacks_over_two_processes_make_one_conversion() {
    let name = create_database().await;
    let url = database_url(&name);
    let (data_a, data_b) = (reachable_tempdir(), reachable_tempdir());
    let (env_a, env_b) = (serve_env(&url, &data_a), serve_env(&url, &data_b));
    let site = cli_site_add(&env_a, &[]);
    let (a, b) = tokio::join!(
        Sidecar::start(&env_a, false, &[]),
        Sidecar::start(&env_b, false, &[])
    );
    let query = format!(
        "sid=Concurrent1&amount=19.99&transaction_id=SAME&token={}",
        site["postback_secret"].as_str().unwrap()
    );
    let site_id = site["site_id"].as_str().unwrap().to_owned();
    let http = no_redirects();
    let requests = (0..500).map(|n| {
        let address = if n % 2 == 0 { &a.address } else { &b.address };
        let request = http.get(format!("{address}/api/v1/postbacks/{site_id}?{query}"));
        send_postback(request)
    });
    let answers: Vec<(u16, Value)> = futures_util::future::join_all(requests).await;
    let mut outcomes: HashMap<String, usize> = HashMap::new();
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
        *outcomes
            .entry(body["status"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert_eq!(outcomes.get("unmatched"), Some(&1), "{outcomes:?}");
    assert_eq!(outcomes.get("duplicate"), Some(&499), "{outcomes:?}");
    assert_eq!(
        transaction_ids(&url).await,
        HashMap::from([("SAME".into(), 1)])
    );
    assert_eq!(
        query_count(&url, "SELECT count(*) FROM postback_log").await,
        Some(500)
    );
    drop((a, b));
    drop_database(name);
}

#[tokio::test]
async fn postbacks_during_an_outage_are_queued_and_settled_exactly_once() {
    let pg = ThrowawayCluster::start().await;
    let app = spawn_app_on(pg.url(), tempfile::tempdir().unwrap(), |_| {}).await;
    let site = app.add_site().await;
    let sid = app.session(&site).await;
    let t = site.secret.clone();
    // Before: one committed, which the outage will repeat.
    let (_, body) = app
        .postback(&site.id, &format!("sid={sid}&amount=5&oid=T0&token={t}"))
        .await;
    assert_eq!(body["status"], "matched");

    // A steady stream while the database stops and starts again.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sender = {
        let (http, url, stop, t, sid) = (
            app.http.clone(),
            app.postback_url(&site.id),
            stop.clone(),
            t.clone(),
            sid.clone(),
        );
        tokio::spawn(async move {
            let mut acknowledged: Vec<(String, String)> = Vec::new();
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                // Every fifth repeats T0, every seventh repeats the one before.
                let oid = if n % 5 == 0 {
                    "T0".to_owned()
                } else if n % 7 == 0 {
                    format!("T{}", n - 1)
                } else {
                    format!("T{n}")
                };
                let (status, body) = send_postback(
                    http.get(format!("{url}?sid={sid}&amount=1.25&oid={oid}&token={t}")),
                )
                .await;
                if status == 200 {
                    acknowledged.push((oid, body["status"].as_str().unwrap().to_owned()));
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            acknowledged
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    pg.cluster.stop().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    pg.restart();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let spool_dir = app.spool_dir();
    wait_until("the spool to drain", async || {
        std::fs::read_dir(&spool_dir)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().is_file())
            .count()
            == 0
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let acknowledged = sender.await.unwrap();
    let queued = acknowledged.iter().filter(|(_, s)| s == "queued").count();
    assert!(queued > 0, "some postbacks were queued during the outage");
    let expected: HashSet<String> = acknowledged
        .iter()
        .map(|(oid, _)| oid.clone())
        .chain(["T0".to_owned()])
        .collect();
    let stored = transaction_ids(&pg.url()).await;
    assert_eq!(
        stored.keys().cloned().collect::<HashSet<_>>(),
        expected,
        "every acknowledged postback is there"
    );
    assert!(stored.values().all(|n| *n == 1), "and exactly once");
    let metrics = app.metrics().await;
    assert!(metric(&metrics, "affrank_postbacks_replayed_total") >= queued as f64);
    assert!(metric(&metrics, "affrank_postbacks_total{outcome=\"duplicate\"}") >= 1.0);
    app.stop().await;
}

#[tokio::test]
async fn acknowledged_postbacks_survive_kill_9() {
    let pg = ThrowawayCluster::start().await;
    let url = pg.url();
    let data = reachable_tempdir();
    let env = serve_env(&url, &data);
    let site = cli_site_add(&env, &[]);
    let site_id = site["site_id"].as_str().unwrap().to_owned();
    let t = site["postback_secret"].as_str().unwrap().to_owned();
    let mut sidecar = Sidecar::start(&env, false, &[]).await;
    let http = no_redirects();
    let send = async |address: &str, oid: &str| {
        send_postback(http.get(format!(
            "{address}/api/v1/postbacks/{site_id}?sid=Killed1&amount=2.50&oid={oid}&token={t}"
        )))
        .await
    };
    let mut acknowledged = HashSet::new();
    // Committed ones, then spooled ones (the database is away), then kill -9
    // right after the last answer.
    for n in 0..20 {
        let (status, _) = send(&sidecar.address, &format!("C{n}")).await;
        assert_eq!(status, 200);
        acknowledged.insert(format!("C{n}"));
    }
    pg.cluster.stop().unwrap();
    for n in 0..30 {
        let (status, body) = send(&sidecar.address, &format!("Q{n}")).await;
        assert_eq!(
            (status, body["status"].as_str()),
            (200, Some("queued")),
            "{body}"
        );
        acknowledged.insert(format!("Q{n}"));
    }
    sidecar.signal(nix::sys::signal::Signal::SIGKILL);
    sidecar.wait();

    pg.restart();
    let mut restarted = Sidecar::start(&env, false, &[]).await;
    wait_until("the spool to be replayed after the restart", async || {
        transaction_ids(&url).await.len() >= 50
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let stored = transaction_ids(&url).await;
    assert_eq!(stored.keys().cloned().collect::<HashSet<_>>(), acknowledged);
    assert!(stored.values().all(|n| *n == 1));
    // The outage's requests are in the log too, once each.
    assert_eq!(
        query_count(&url, "SELECT count(*) FROM postback_log").await,
        Some(50)
    );
    restarted.signal(nix::sys::signal::Signal::SIGTERM);
    assert!(restarted.wait().success());
}

#[tokio::test]
async fn a_conversion_is_matched_when_its_spooled_click_is_replayed() {
    use affrank::clicks::ClickRow;
    use affrank::spool::{Spool, SpoolRecord};
    let name = create_database().await;
    let url = database_url(&name);
    let app = spawn_app_on(url.clone(), tempfile::tempdir().unwrap(), |_| {}).await;
    let site = app.add_site().await;
    let link = app
        .register_link(&site, "https://prf.hn/click/camref:5")
        .await;
    let (_, body) = app
        .postback(
            &site.id,
            &format!(
                "sid=LateClick0000000001&amount=8&oid=L1&token={}",
                site.secret
            ),
        )
        .await;
    assert_eq!(body["status"], "unmatched");

    // Another sidecar spooled that click during an outage of its own.
    let other = tempfile::tempdir().unwrap();
    let spool = Spool::open(other.path().join("spool")).unwrap();
    spool
        .append(&[SpoolRecord::encode(
            "click",
            &ClickRow {
                clicked_at: chrono::Utc::now() - chrono::Duration::minutes(3),
                keyword: Some("late keyword".into()),
                keyword_source: Some("post_meta".into()),
                network: Some("partnerize".into()),
                ..click_row(&site.id, &link, "LateClick0000000001", BROWSER_UA)
            },
        )])
        .unwrap();
    drop(spool);
    let second = spawn_app_on(url, other, |_| {}).await;
    wait_until("the late click to match", async || {
        app.count("SELECT count(*) FROM conversions WHERE keyword = 'late keyword' AND link_id IS NOT NULL")
            .await
            == 1
    })
    .await;
    second.stop().await;
    drop(app);
    drop_database(name);
}
