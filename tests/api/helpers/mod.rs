//! What the integration tests share, by job:
//!
//! - [`app`]: the server in-process, on a fresh database of its own
//!   (`spawn_app*`, `TestApp`, `TestSite`).
//! - [`db`]: test databases, plain clients and throwaway clusters.
//! - [`sidecar`]: the `affrank` binary as a child process (`Sidecar`,
//!   `cli_site_add`).
//! - [`http`]: what requests and answers need: redirects, postbacks,
//!   metrics, and bare sockets for what HTTP clients refuse to send.
//! - [`nginx`]: Debian's nginx in front of several sidecars (`Nginx`).

pub mod app;
pub mod db;
pub mod http;
pub mod nginx;
pub mod sidecar;

/// Polls `check` until it holds; fails the test after a minute, naming `what`.
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
