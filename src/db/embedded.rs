//! The default for a new user: a PostgreSQL cluster of our own under the
//! data directory, made with the system's `initdb` and run with `pg_ctl`,
//! reachable only through a Unix socket in that directory.

use anyhow::{Context, bail};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Cluster {
    bin: PathBuf,
    /// Holds the data, socket and log directories; owned by the cluster's user.
    root: PathBuf,
    data: PathBuf,
    socket_dir: PathBuf,
    log: PathBuf,
    /// Set when we are root: PostgreSQL refuses to run as root, so the
    /// cluster belongs to the system's `postgres` user.
    run_as: Option<(u32, u32)>,
    pub database: String,
}

const SUPERUSER: &str = "affrank";

const NO_BINARIES: &str = "no PostgreSQL server binaries found (initdb, pg_ctl in PATH or \
     /usr/lib/postgresql/*/bin). Install them (Debian/Ubuntu: apt-get install postgresql) or set \
     DATABASE_URL to a running server.";

impl Cluster {
    /// Finds the server binaries and lays out the paths; touches nothing yet.
    pub fn new(data_dir: &Path) -> anyhow::Result<Self> {
        let bin = find_binaries().context(NO_BINARIES)?;
        let data_dir =
            std::path::absolute(data_dir).context("cannot resolve the data directory")?;
        let run_as = if nix::unistd::geteuid().is_root() {
            let user = nix::unistd::User::from_name("postgres")
                .ok()
                .flatten()
                .context("running as root, and there is no `postgres` user to run the embedded cluster as; run affrank as another user or set DATABASE_URL")?;
            Some((user.uid.as_raw(), user.gid.as_raw()))
        } else {
            None
        };
        let root = data_dir.join("postgres");
        Ok(Self {
            bin,
            data: root.join("data"),
            socket_dir: root.join("run"),
            log: root.join("postgres.log"),
            root,
            run_as,
            database: "affrank".into(),
        })
    }

    /// Whoever holds this lock owns the cluster: starts it and stops it on
    /// the way out. `None`: another affrank process owns it right now.
    pub fn claim(&self) -> anyhow::Result<Option<Ownership>> {
        self.make_dir(&self.root)?;
        let path = self.root.join("owner.lock");
        refuse_symlink(&path)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        match nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock) {
            Ok(lock) => Ok(Some(Ownership { _lock: lock })),
            Err((_, nix::errno::Errno::EWOULDBLOCK)) => Ok(None),
            Err((_, e)) => Err(anyhow::anyhow!("cannot lock {}: {e}", path.display())),
        }
    }

    /// Waits for a cluster another process owns to accept connections.
    pub async fn wait_until_running(&self) -> anyhow::Result<()> {
        for _ in 0..600 {
            if self.is_running()
                && tokio_postgres::connect(&self.url("postgres"), tokio_postgres::NoTls)
                    .await
                    .is_ok()
            {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        bail!("the embedded cluster owned by another affrank process did not come up")
    }

    fn make_dir(&self, dir: &Path) -> anyhow::Result<()> {
        // Running as root, following a planted symlink here would hand an
        // arbitrary path to the postgres user.
        refuse_symlink(dir)?;
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        refuse_symlink(dir)?;
        // initdb insists the data directory is private to its owner.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        self.chown(dir)
    }

    /// Initialises the cluster on first use, then starts it unless it runs
    /// already. Call with the ownership `claim` gave.
    pub fn start(&self, _owner: &Ownership) -> anyhow::Result<()> {
        for dir in [&self.root, &self.data, &self.socket_dir] {
            self.make_dir(dir)?;
        }
        self.check_reachable()?;
        if !self.data.join("PG_VERSION").exists() {
            tracing::info!(dir = %self.data.display(), "initialising the embedded PostgreSQL cluster");
            self.run(
                Command::new(self.bin.join("initdb"))
                    .arg("-D")
                    .arg(&self.data)
                    .args([
                        "-U",
                        SUPERUSER,
                        "--auth-local=trust",
                        "--auth-host=reject",
                        "--encoding=UTF8",
                        "--locale=C",
                    ]),
            )?;
            let settings = format!(
                "\n# Set by affrank: reachable only through the socket in its data directory.\n\
                 listen_addresses = ''\nunix_socket_directories = '{}'\n",
                self.socket_dir.display().to_string().replace('\'', "''")
            );
            let conf = self.data.join("postgresql.conf");
            let mut text = std::fs::read_to_string(&conf).context("cannot read postgresql.conf")?;
            text.push_str(&settings);
            std::fs::write(&conf, text).context("cannot write postgresql.conf")?;
        }
        if self.is_running() {
            tracing::info!("the embedded PostgreSQL cluster is already running; adopting it");
            return Ok(());
        }
        tracing::info!("starting the embedded PostgreSQL cluster");
        self.run(
            Command::new(self.bin.join("pg_ctl"))
                .arg("-D")
                .arg(&self.data)
                .arg("-l")
                .arg(&self.log)
                .args(["-w", "-t", "60", "start"]),
        )
    }

    pub fn is_running(&self) -> bool {
        let mut command = Command::new(self.bin.join("pg_ctl"));
        command.arg("-D").arg(&self.data).arg("status");
        self.prepare(&mut command);
        command
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    }

    pub fn stop(&self) -> anyhow::Result<()> {
        tracing::info!("stopping the embedded PostgreSQL cluster");
        self.run(
            Command::new(self.bin.join("pg_ctl"))
                .arg("-D")
                .arg(&self.data)
                .args(["-m", "fast", "-w", "-t", "60", "stop"]),
        )
    }

    /// Connection string for `database` on this cluster's socket.
    pub fn url(&self, database: &str) -> String {
        format!(
            "host={} user={SUPERUSER} dbname={database}",
            quote(&self.socket_dir.display().to_string())
        )
    }

    /// Creates `self.database` unless it exists.
    pub async fn ensure_database(&self) -> anyhow::Result<()> {
        let (client, connection) =
            tokio_postgres::connect(&self.url("postgres"), tokio_postgres::NoTls)
                .await
                .context("cannot connect to the embedded cluster")?;
        let driver = tokio::spawn(connection);
        let exists = client
            .query_opt(
                "SELECT 1 FROM pg_database WHERE datname = $1",
                &[&self.database],
            )
            .await?
            .is_some();
        if !exists {
            client
                .batch_execute(&format!(
                    "CREATE DATABASE \"{}\"",
                    self.database.replace('"', "\"\"")
                ))
                .await?;
        }
        drop(client);
        let _ = driver.await;
        Ok(())
    }

    fn prepare(&self, command: &mut Command) {
        command.current_dir(&self.root);
        if let Some((uid, gid)) = self.run_as {
            command.uid(uid).gid(gid);
        }
    }

    fn run(&self, command: &mut Command) -> anyhow::Result<()> {
        self.prepare(command);
        let output = command
            .output()
            .with_context(|| format!("cannot run {command:?}"))?;
        if !output.status.success() {
            bail!(
                "{:?} failed ({}): {}{}",
                command.get_program(),
                output.status,
                String::from_utf8_lossy(&output.stderr),
                String::from_utf8_lossy(&output.stdout)
            );
        }
        Ok(())
    }

    /// As root we hand the cluster to `postgres`, who must be able to walk
    /// down to it; say so plainly rather than let initdb fail obscurely.
    fn check_reachable(&self) -> anyhow::Result<()> {
        if self.run_as.is_none() {
            return Ok(());
        }
        let mut probe = Command::new("test");
        probe.arg("-w").arg(&self.root);
        self.prepare(&mut probe);
        match probe.status() {
            Ok(status) if status.success() => Ok(()),
            _ => bail!(
                "the postgres user cannot reach {}: make its parent directories traversable \
                 (chmod o+x) or choose another data directory with --data-dir or AFFRANK_DATA_DIR",
                self.root.display()
            ),
        }
    }

    fn chown(&self, path: &Path) -> anyhow::Result<()> {
        if let Some((uid, gid)) = self.run_as {
            nix::unistd::chown(path, Some(uid.into()), Some(gid.into()))
                .with_context(|| format!("cannot hand {} to the postgres user", path.display()))?;
        }
        Ok(())
    }
}

fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// `initdb` and `pg_ctl` from PATH, else the newest `/usr/lib/postgresql/N/bin`.
pub fn find_binaries() -> Option<PathBuf> {
    find_binaries_in(
        std::env::var_os("PATH").as_deref(),
        Path::new("/usr/lib/postgresql"),
    )
}

fn find_binaries_in(path: Option<&std::ffi::OsStr>, versions_dir: &Path) -> Option<PathBuf> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(path) = path {
        for dir in std::env::split_paths(path) {
            if has_both(&dir) {
                // Debian links these into PATH; resolve to the real bin dir
                // so the matching `postgres` binary is found beside them.
                let real = std::fs::canonicalize(dir.join("initdb")).ok()?;
                return real.parent().map(Path::to_path_buf);
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(versions_dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            has_both(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// Holding it makes this process the cluster's owner.
pub struct Ownership {
    _lock: nix::fcntl::Flock<std::fs::File>,
}

fn refuse_symlink(path: &Path) -> anyhow::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            bail!(
                "{} is a symbolic link; refusing to use it for the embedded cluster",
                path.display()
            )
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn install(dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        for name in ["initdb", "pg_ctl"] {
            std::fs::write(dir.join(name), "").unwrap();
        }
    }

    #[test]
    fn binaries_are_found_in_path_first_then_the_newest_debian_version() {
        let root = tempfile::tempdir().unwrap();
        let versions = root.path().join("lib");
        install(&versions.join("9").join("bin"));
        install(&versions.join("15").join("bin"));
        std::fs::create_dir_all(versions.join("16").join("bin")).unwrap(); // no binaries
        let empty = root.path().join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        let path = OsString::from(empty.as_os_str());
        assert_eq!(
            find_binaries_in(Some(&path), &versions),
            Some(versions.join("15").join("bin"))
        );

        let custom = root.path().join("opt").join("bin");
        install(&custom);
        let path = std::env::join_paths([&empty, &custom]).unwrap();
        let found = find_binaries_in(Some(&path), &versions).unwrap();
        assert_eq!(found, std::fs::canonicalize(&custom).unwrap());
    }

    #[test]
    fn without_binaries_the_error_says_what_to_install_or_set() {
        let root = tempfile::tempdir().unwrap();
        let path = OsString::from(root.path().as_os_str());
        assert_eq!(
            find_binaries_in(Some(&path), &root.path().join("none")),
            None
        );
        assert_eq!(find_binaries_in(None, root.path()), None);
        assert!(NO_BINARIES.contains("apt-get install postgresql"));
        assert!(NO_BINARIES.contains("DATABASE_URL"));
    }
}
