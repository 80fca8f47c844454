//! With no DATABASE_URL, `affrank serve` runs on a cluster of its own.

use crate::helpers::*;
use serde_json::{Value, json};

#[tokio::test]
async fn serve_without_database_url_runs_its_own_cluster_and_stops_it_on_sigterm() {
    let data = reachable_tempdir();
    let data_dir = data.path().to_str().unwrap().to_owned();
    let mut sidecar = Sidecar::start(&[], true, &["--data-dir", &data_dir]).await;

    let out = affrank_bin()
        .args([
            "site",
            "add",
            "--name",
            "Blog",
            "--url",
            "https://blog.test",
            "--json",
            "--data-dir",
            &data_dir,
        ])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let site: Value = serde_json::from_slice(&out.stdout).unwrap();

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let rewritten: Value = http
        .post(format!("{}/api/v1/rewrite", sidecar.address))
        .bearer_auth(site["api_key"].as_str().unwrap())
        .json(&json!({"html": "<a href=\"https://prf.hn/a\">x</a>", "page_url": "https://blog.test/p/"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let link = rewritten["links"][0]["id"].as_str().unwrap();
    let response = http
        .get(format!("{}/go/{link}", sidecar.address))
        .header("user-agent", BROWSER_UA)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let sid = session_of(&location(&response));

    let cluster = affrank::db::embedded::Cluster::new(data.path()).unwrap();
    assert!(cluster.is_running());
    let stored = query_count(
        &cluster.url("affrank"),
        &format!("SELECT count(*) FROM clicks WHERE session_id = '{sid}'"),
    )
    .await;
    assert_eq!(stored, Some(1));
    assert!(data.path().join("postgres/data/PG_VERSION").exists());

    sidecar.signal(nix::sys::signal::Signal::SIGTERM);
    assert!(sidecar.wait().success());
    assert!(
        !cluster.is_running(),
        "SIGTERM stops the cluster serve started"
    );
}
