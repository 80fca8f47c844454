//! `affrank` as a child process: `serve` as a sidecar, and the CLI.

use super::http::no_redirects;
use serde_json::{Value, json};

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
        Self::start_on(free_port(), envs, remove_database_url, extra).await
    }

    /// The same on `port`: a restart where the last one listened.
    pub async fn start_on(
        port: u16,
        envs: &[(&str, &str)],
        remove_database_url: bool,
        extra: &[&str],
    ) -> Self {
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

/// The environment `affrank` runs with: the database at `database_url`, and
/// `data` for its spool and snapshots.
pub fn serve_env<'a>(
    database_url: &'a str,
    data: &'a tempfile::TempDir,
) -> [(&'static str, &'a str); 2] {
    [
        ("DATABASE_URL", database_url),
        ("AFFRANK_DATA_DIR", data.path().to_str().unwrap()),
    ]
}

/// Runs `command` to its end, which must be a success (else its stderr
/// fails the test); its output.
pub fn run_ok(command: &mut std::process::Command) -> std::process::Output {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `affrank site add --json` with `envs` and `extra` arguments; the printed object.
pub fn cli_site_add(envs: &[(&str, &str)], extra: &[&str]) -> Value {
    site_add(affrank_bin().envs(envs.iter().copied()), extra)
}

/// `affrank site add --json` with no DATABASE_URL at all, so that it uses
/// the cluster of its data directory.
pub fn cli_site_add_without_database_url(extra: &[&str]) -> Value {
    site_add(affrank_bin().env_remove("DATABASE_URL"), extra)
}

fn site_add(command: &mut std::process::Command, extra: &[&str]) -> Value {
    let out = run_ok(
        command
            .args([
                "site",
                "add",
                "--name",
                "Blog",
                "--url",
                "https://blog.test",
                "--json",
            ])
            .args(extra),
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
