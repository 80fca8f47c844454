//! Clicks made while PostgreSQL is down are redirected, spooled, and written
//! exactly once when it is back: in-process, and across a `kill -9`.

use crate::helpers::app::{click_row, spawn_app, spawn_app_on};
use crate::helpers::db::{
    ThrowawayCluster, create_database, database_url, drop_database, pg_connect, reachable_tempdir,
};
use crate::helpers::http::{BROWSER_UA, location, metric, no_redirects, session_of};
use crate::helpers::sidecar::{Sidecar, cli_site_add, serve_env};
use crate::helpers::wait_until;
use std::collections::HashSet;

async fn clicks_in(url: &str) -> HashSet<String> {
    let client = pg_connect(url).await.unwrap();
    client
        .query("SELECT session_id FROM clicks", &[])
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.get(0))
        .collect()
}

#[tokio::test]
async fn clicks_during_an_outage_are_spooled_and_replayed_exactly_once() {
    let pg = ThrowawayCluster::start().await;
    let app = spawn_app_on(pg.url(), tempfile::tempdir().unwrap(), |_| {}).await;
    let site = app.add_site().await;
    let link = app
        .register_link(&site, "https://prf.hn/click/camref:1")
        .await;
    let before = session_of(&location(&app.click(&link).await));

    pg.cluster.stop().unwrap();
    let mut acknowledged = HashSet::from([before]);
    for _ in 0..40 {
        let response = app.click(&link).await;
        assert_eq!(
            response.status(),
            302,
            "the visitor is redirected during the outage"
        );
        acknowledged.insert(session_of(&location(&response)));
    }
    let spooled: usize = std::fs::read_dir(app.spool_dir()).unwrap().count();
    assert!(spooled > 0, "the outage's clicks are in the spool");

    // Visitors keep clicking while the database comes back: the spool must
    // still drain, and new clicks must go straight to the database again.
    pg.restart();
    let url = pg.url();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clicker = {
        let (http, address, stop) = (app.http.clone(), app.address.clone(), stop.clone());
        let link = link.clone();
        tokio::spawn(async move {
            let mut sessions = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let response = http
                    .get(format!("{address}/go/{link}"))
                    .header("user-agent", BROWSER_UA)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 302);
                sessions.push(session_of(&location(&response)));
            }
            sessions
        })
    };
    let spool_dir = app.spool_dir();
    wait_until("the spool to drain under load", async || {
        std::fs::read_dir(&spool_dir).unwrap().count() == 0
    })
    .await;
    let recorded_before = metric(&app.metrics().await, "affrank_clicks_recorded_total");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let during_recovery = clicker.await.unwrap();
    assert!(!during_recovery.is_empty());
    acknowledged.extend(during_recovery);
    let metrics = app.metrics().await;
    assert!(
        metric(&metrics, "affrank_clicks_recorded_total") > recorded_before,
        "after the drain, clicks are committed directly: {metrics}"
    );
    assert_eq!(metric(&metrics, "affrank_clicks_lost_total"), 0.0);
    assert_eq!(metric(&metrics, "affrank_spool_depth"), 0.0);

    // Give a second replay the chance to double-count, were it able to.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(clicks_in(&url).await, acknowledged);
    app.stop().await;
}

#[tokio::test]
async fn acknowledged_clicks_survive_kill_9_and_a_restart_during_an_outage() {
    let pg = ThrowawayCluster::start().await;
    let url = pg.url();
    let data = reachable_tempdir();
    let env = serve_env(&url, &data);

    let site = cli_site_add(&env, &[]);
    let mut sidecar = Sidecar::start(&env, false, &[]).await;
    let http = no_redirects();
    let link = sidecar
        .register_link(site["api_key"].as_str().unwrap())
        .await;
    // The link reaches the on-disk snapshot within two seconds.
    tokio::time::sleep(std::time::Duration::from_millis(2600)).await;

    let click = async |address: &str| {
        let response = http
            .get(format!("{address}/go/{link}"))
            .header("user-agent", BROWSER_UA)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 302);
        session_of(&location(&response))
    };
    pg.cluster.stop().unwrap();
    let mut acknowledged = HashSet::new();
    for _ in 0..30 {
        acknowledged.insert(click(&sidecar.address).await);
    }
    sidecar.signal(nix::sys::signal::Signal::SIGKILL);
    sidecar.wait();

    // Restarted while the database is still down: links still redirect.
    let mut restarted = Sidecar::start(&env, false, &[]).await;
    for _ in 0..10 {
        acknowledged.insert(click(&restarted.address).await);
    }
    pg.restart();
    wait_until("the spool to be replayed after the restart", async || {
        clicks_in(&url).await.len() >= 40
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(clicks_in(&url).await, acknowledged);
    restarted.signal(nix::sys::signal::Signal::SIGTERM);
    assert!(restarted.wait().success());
}

#[tokio::test]
async fn sigterm_drains_the_writer_so_no_acknowledged_click_is_lost() {
    let name = create_database().await;
    let url = database_url(&name);
    let data = reachable_tempdir();
    let env = serve_env(&url, &data);
    let site = cli_site_add(&env, &[]);
    let mut sidecar = Sidecar::start(&env, false, &[]).await;
    let http = no_redirects();
    let link = sidecar
        .register_link(site["api_key"].as_str().unwrap())
        .await;

    // Eight visitors clicking as fast as they can; SIGTERM lands mid-stream.
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let http = http.clone();
            let url = format!("{}/go/{link}", sidecar.address);
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                while let Ok(response) =
                    http.get(&url).header("user-agent", BROWSER_UA).send().await
                {
                    if response.status() != 302 {
                        break;
                    }
                    acknowledged.push(session_of(&location(&response)));
                }
                acknowledged
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    sidecar.signal(nix::sys::signal::Signal::SIGTERM);
    let mut acknowledged = HashSet::new();
    for worker in workers {
        acknowledged.extend(worker.await.unwrap());
    }
    assert!(sidecar.wait().success());
    assert!(!acknowledged.is_empty());
    let stored = clicks_in(&url).await;
    assert!(
        acknowledged.is_subset(&stored),
        "{} acknowledged, {} stored",
        acknowledged.len(),
        stored.len()
    );
    drop_database(name);
}

/// A spooled record the database refuses for what it holds (here a NUL
/// byte, which PostgreSQL cannot store in text) is set aside; the records
/// around it are written, and the spool empties instead of holding up every
/// record behind it for good.
#[tokio::test]
async fn a_record_the_database_refuses_is_set_aside_and_the_rest_replayed() {
    use affrank::spool::{Spool, SpoolRecord, replay::replay_once};
    use affrank::telemetry::Metrics;

    let app = spawn_app().await;
    let site = app.add_site().await;
    let link = app
        .register_link(&site, "https://prf.hn/click/camref:1")
        .await;
    let click = |session: &str, user_agent: &str| {
        SpoolRecord::encode("click", &click_row(&site.id, &link, session, user_agent))
    };
    let dir = tempfile::tempdir().unwrap();
    let spool = std::sync::Arc::new(Spool::open(dir.path()).unwrap());
    spool
        .append(&[
            click("SpooledBefore0000000001", BROWSER_UA),
            click("SpooledRefused000000001", "Mozilla/5.0 \0"),
            click("SpooledAfter00000000001", BROWSER_UA),
        ])
        .unwrap();
    let metrics = Metrics::new();

    let metrics = std::sync::Arc::new(metrics);
    let replayers = affrank::startup::spool_replayers(metrics.clone());
    let replayed = replay_once(&app.pool, &spool, &replayers, &metrics)
        .await
        .unwrap();
    assert_eq!(replayed, 3, "the whole segment is done with");
    assert_eq!(spool.pending(), 0);
    assert!(!spool.has_segments());
    assert_eq!(
        app.count("SELECT count(*) FROM clicks WHERE session_id IN ('SpooledBefore0000000001', 'SpooledAfter00000000001')")
            .await,
        2
    );
    assert_eq!(app.count("SELECT count(*) FROM clicks").await, 2);
    assert_eq!(metrics.spool_refused.get(), 1);
    assert_eq!(metrics.clicks_replayed.get(), 2);

    let aside: Vec<_> = std::fs::read_dir(dir.path().join("quarantine"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(aside.len(), 1);
    let kept = std::fs::read_to_string(&aside[0]).unwrap();
    assert_eq!(kept.lines().count(), 1);
    assert!(kept.contains("SpooledRefused000000001"), "{kept}");
    app.stop().await;
}
