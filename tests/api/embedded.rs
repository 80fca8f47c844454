//! With no DATABASE_URL, `affrank serve` runs on a cluster of its own.

use crate::helpers::db::{query_count, reachable_tempdir};
use crate::helpers::http::{BROWSER_UA, location, no_redirects, session_of};
use crate::helpers::sidecar::{Sidecar, cli_site_add_without_database_url};

#[tokio::test]
async fn serve_without_database_url_runs_its_own_cluster_and_stops_it_on_sigterm() {
    let data = reachable_tempdir();
    let data_dir = data.path().to_str().unwrap().to_owned();
    let mut sidecar = Sidecar::start(&[], true, &["--data-dir", &data_dir]).await;

    // DATABASE_URL is removed from the child's environment by an empty override.
    let site = cli_site_add_without_database_url(&["--data-dir", &data_dir]);
    let link = sidecar
        .register_link(site["api_key"].as_str().unwrap())
        .await;
    let response = no_redirects()
        .get(format!("{}/go/{link}", sidecar.address))
        .header("user-agent", BROWSER_UA)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let sid = session_of(&location(&response));

    let cluster = affrank::db::embedded::Cluster::new(data.path()).unwrap();
    assert!(cluster.is_running());
    let sql = format!("SELECT count(*) FROM clicks WHERE session_id = '{sid}'");
    assert_eq!(query_count(&cluster.url("affrank"), &sql).await, Some(1));
    assert!(data.path().join("postgres/data/PG_VERSION").exists());

    sidecar.signal(nix::sys::signal::Signal::SIGTERM);
    assert!(sidecar.wait().success());
    assert!(
        !cluster.is_running(),
        "SIGTERM stops the cluster serve started"
    );

    // After a kill -9 the cluster outlives serve; the next serve adopts it,
    // still has the data, and stops it on SIGTERM.
    let mut crashed = Sidecar::start(&[], true, &["--data-dir", &data_dir]).await;
    crashed.signal(nix::sys::signal::Signal::SIGKILL);
    crashed.wait();
    assert!(cluster.is_running());
    let mut adopter = Sidecar::start(&[], true, &["--data-dir", &data_dir]).await;
    assert_eq!(query_count(&cluster.url("affrank"), &sql).await, Some(1));
    adopter.signal(nix::sys::signal::Signal::SIGTERM);
    assert!(adopter.wait().success());
    assert!(!cluster.is_running(), "the adopted cluster is stopped too");
}
