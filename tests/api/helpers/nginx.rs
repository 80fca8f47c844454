//! Debian's nginx as a child process, in front of several sidecars: its
//! configuration, pid, logs and temporary files in a directory of its own,
//! on a free port, so it needs neither root nor the system's nginx service
//! (which a machine's policy-rc.d may keep from starting).

use super::db::reachable_tempdir;
use super::sidecar::free_port;

const NGINX: &str = "/usr/sbin/nginx";

pub struct Nginx {
    child: std::process::Child,
    pub address: String,
    dir: tempfile::TempDir,
}

impl Nginx {
    /// nginx on a free port with an `upstream` of `upstreams` (host:port),
    /// proxying `/go/` and `/api/v1/postbacks/` as the README's deployment
    /// section does. Each answer names the upstreams that were tried in an
    /// `X-Upstream` header (`$upstream_addr`: "A, B" when A failed and B
    /// answered), which only the tests add.
    pub async fn start(upstreams: &[String]) -> Self {
        assert!(
            std::path::Path::new(NGINX).exists(),
            "{NGINX} is missing: run scripts/install-deps (as root), or apt-get install nginx-light"
        );
        // The workers run as `nobody` when we are root: they must reach it.
        let dir = reachable_tempdir();
        let port = free_port();
        let path = dir.path().display();
        let servers: String = upstreams
            .iter()
            .map(|u| format!("    server {u} max_fails=1 fail_timeout=2s;\n"))
            .collect();
        let proxy = "proxy_pass http://affrank;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;";
        let config = format!(
            "worker_processes 2;
daemon off;
pid {path}/nginx.pid;
error_log {path}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {path}/tmp; proxy_temp_path {path}/tmp; fastcgi_temp_path {path}/tmp;
  uwsgi_temp_path {path}/tmp; scgi_temp_path {path}/tmp;
  upstream affrank {{
{servers}    keepalive 32;
  }}
  server {{
    listen 127.0.0.1:{port};
    add_header X-Upstream $upstream_addr always;
    location /go/ {{
      {proxy}
      proxy_next_upstream error timeout;
    }}
    location /api/v1/postbacks/ {{
      {proxy}
      proxy_next_upstream error timeout non_idempotent;
    }}
    location = /api/v1/postbacks/log {{ return 404; }}
    location / {{ return 404; }}
  }}
}}
"
        );
        std::fs::create_dir(dir.path().join("tmp")).unwrap();
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, config).unwrap();
        let child = std::process::Command::new(NGINX)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("nginx starts");
        let nginx = Self {
            child,
            address: format!("http://127.0.0.1:{port}"),
            dir,
        };
        nginx.wait_listening(port).await;
        nginx
    }

    async fn wait_listening(&self, port: u16) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("nginx did not listen: {}", self.error_log());
    }

    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    /// SIGTERM to the master, which stops its workers; SIGKILL would leave
    /// them running.
    fn drop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let _ = self.child.wait();
    }
}

/// The upstream that answered, from `X-Upstream`: the last one tried.
pub fn answered_by(response: &reqwest::Response) -> String {
    tried(response).last().cloned().unwrap_or_default()
}

/// Every upstream nginx tried for this request, in order.
pub fn tried(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get("x-upstream")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(", ").map(str::to_owned).collect())
        .unwrap_or_default()
}
