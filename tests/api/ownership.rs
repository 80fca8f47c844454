//! One owner per data directory, and a port in use said before any work:
//! real `affrank serve` processes, side by side.

use crate::helpers::db::{
    create_database, database_url, drop_database, query_count, reachable_tempdir,
};
use crate::helpers::sidecar::{Sidecar, affrank_bin, cli_site_add_without_database_url, free_port};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `command` to its end, or kills it after `limit` and fails: a serve
/// that should have been refused must not hang the test.
fn run_briefly(command: &mut Command, limit: Duration) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("affrank starts");
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "still running after {limit:?}; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

fn serve(data_dir: &str, port: u16) -> Command {
    let mut command = affrank_bin();
    command
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--data-dir", data_dir])
        .env("RUST_LOG", "info");
    command
}

#[tokio::test]
async fn a_second_serve_on_one_data_directory_is_refused_and_the_cli_still_connects() {
    let data = reachable_tempdir();
    let data_dir = data.path().to_str().unwrap().to_owned();
    let mut first = Sidecar::start(&[], true, &["--data-dir", &data_dir]).await;

    let second = run_briefly(
        serve(&data_dir, free_port()).env_remove("DATABASE_URL"),
        Duration::from_secs(30),
    );
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "another affrank serve (pid {}) is already running on the data directory",
            first.child.id()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("--data-dir"), "{stderr}");
    assert!(
        !stderr.contains("cluster"),
        "refused before it touched the cluster: {stderr}"
    );

    // The same refusal with an external database: the spool is shared all the same.
    let name = create_database().await;
    let external = run_briefly(
        serve(&data_dir, free_port()).env("DATABASE_URL", database_url(&name)),
        Duration::from_secs(30),
    );
    assert!(!external.status.success());
    assert!(String::from_utf8_lossy(&external.stderr).contains("already running"));
    drop_database(name);

    // `site add` beside the serve only connects to its cluster, as before.
    let site = cli_site_add_without_database_url(&["--data-dir", &data_dir]);
    let link = first.register_link(site["api_key"].as_str().unwrap()).await;
    assert_eq!(link.len(), 11);
    // So does psql.
    let count_sites = || {
        affrank_bin()
            .args([
                "psql",
                "--data-dir",
                &data_dir,
                "--",
                "-tA",
                "-c",
                "SELECT count(*) FROM sites",
            ])
            .env_remove("DATABASE_URL")
            .output()
            .unwrap()
    };
    let beside = count_sites();
    assert_eq!(
        String::from_utf8_lossy(&beside.stdout).trim(),
        "1",
        "{beside:?}"
    );

    // Once the first has stopped, the directory is free again.
    first.signal(nix::sys::signal::Signal::SIGTERM);
    assert!(first.wait().success());
    let mut next = Sidecar::start(&[], true, &["--data-dir", &data_dir]).await;
    next.signal(nix::sys::signal::Signal::SIGTERM);
    assert!(next.wait().success());

    // With no serve, psql starts the cluster for its session and stops it after.
    let cluster = affrank::db::embedded::Cluster::new(data.path()).unwrap();
    assert!(!cluster.is_running());
    let alone = count_sites();
    assert_eq!(
        String::from_utf8_lossy(&alone.stdout).trim(),
        "1",
        "{alone:?}"
    );
    assert!(!cluster.is_running(), "psql stopped the cluster it started");
}

#[tokio::test]
async fn a_serve_killed_with_sigkill_leaves_the_data_directory_free() {
    let name = create_database().await;
    let url = database_url(&name);
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_str().unwrap().to_owned();
    let envs = [("DATABASE_URL", url.as_str())];
    let mut killed = Sidecar::start(&envs, false, &["--data-dir", &data_dir]).await;
    killed.signal(nix::sys::signal::Signal::SIGKILL);
    killed.wait();
    // The lock file stays, with the dead pid in it; the lock itself went with the process.
    assert!(data.path().join("serve.lock").exists());
    let mut next = Sidecar::start(&envs, false, &["--data-dir", &data_dir]).await;
    next.signal(nix::sys::signal::Signal::SIGTERM);
    assert!(next.wait().success());
    drop_database(name);
}

#[tokio::test]
async fn a_port_in_use_is_said_before_the_cluster_is_initialised() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let data = reachable_tempdir();
    let data_dir = data.path().to_str().unwrap().to_owned();

    let started = Instant::now();
    let out = run_briefly(
        serve(&data_dir, port).env_remove("DATABASE_URL"),
        Duration::from_secs(30),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "cannot listen on 127.0.0.1:{port}: the address is already in use"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("--listen"), "{stderr}");
    for alarming in ["WARN", "ERROR", "initialising", "migration"] {
        assert!(
            !stderr.contains(alarming),
            "{alarming:?} before the refusal: {stderr}"
        );
    }
    assert!(
        !data.path().join("postgres").exists(),
        "no cluster was initialised"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "refused at once, not after a start-up"
    );

    // With an external database: nothing migrated.
    let name = create_database().await;
    let url = database_url(&name);
    let out = run_briefly(
        serve(&data_dir, port).env("DATABASE_URL", &url),
        Duration::from_secs(30),
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already in use"));
    assert_eq!(
        query_count(
            &url,
            "SELECT count(*) FROM pg_tables WHERE tablename = 'schema_migrations'"
        )
        .await,
        Some(0),
        "the database was not migrated"
    );
    drop(taken);
    drop_database(name);
}
