//! `affrank psql [-- ARGS]`: psql on the database affrank uses, the
//! embedded cluster's socket or `DATABASE_URL`, for the SQL surface of
//! docs/tables.md.
//!
//! The connection goes to psql as libpq's `PG*` environment variables, not
//! on its command line, where any user of the machine could read a
//! password in the process list.

use crate::config::Config;
use crate::db::embedded;
use crate::startup::Database;
use anyhow::Context;
use std::path::PathBuf;
use tokio_postgres::config::{Host, SslMode};

pub async fn run(config: &Config, args: &[String]) -> anyhow::Result<()> {
    let program = find_psql()?;
    // The embedded cluster is started if no serve runs it, and stopped
    // again when psql ends (when `database` is dropped).
    let database = Database::connect(config).await?;
    let mut command = tokio::process::Command::new(&program);
    command.args(args);
    for (name, value) in libpq_environment(&database.url)? {
        command.env(name, value);
    }
    // Ctrl-C at the prompt cancels psql's query; it must not end affrank,
    // which would leave a cluster it started running. A handler (unlike an
    // ignored signal) is not inherited by psql.
    let _interrupts = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    let status = command
        .status()
        .await
        .with_context(|| format!("cannot run {}", program.display()))?;
    drop(database);
    if !status.success() {
        anyhow::bail!("psql ended with {status}");
    }
    Ok(())
}

/// `psql` in PATH, else beside the server binaries the embedded cluster uses.
fn find_psql() -> anyhow::Result<PathBuf> {
    let in_path = std::env::var_os("PATH")
        .map(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("psql"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    in_path
        .into_iter()
        .chain(embedded::find_binaries().map(|dir| dir.join("psql")))
        .find(|candidate| candidate.is_file())
        .context(
            "psql not found in PATH or beside the PostgreSQL server binaries; install it \
             (Debian/Ubuntu: apt-get install postgresql-client)",
        )
}

/// A connection string (URL or `key=value`) as libpq's environment variables.
fn libpq_environment(url: &str) -> anyhow::Result<Vec<(&'static str, String)>> {
    let config: tokio_postgres::Config = url
        .parse()
        .context("DATABASE_URL is not a valid PostgreSQL connection string")?;
    let mut env = vec![("PGAPPNAME", "affrank psql".to_owned())];
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|host| match host {
            Host::Tcp(name) => name.clone(),
            Host::Unix(dir) => dir.display().to_string(),
        })
        .collect();
    if !hosts.is_empty() {
        env.push(("PGHOST", hosts.join(",")));
    }
    let addrs: Vec<String> = config
        .get_hostaddrs()
        .iter()
        .map(|a| a.to_string())
        .collect();
    if !addrs.is_empty() {
        env.push(("PGHOSTADDR", addrs.join(",")));
    }
    let ports: Vec<String> = config.get_ports().iter().map(u16::to_string).collect();
    if !ports.is_empty() {
        env.push(("PGPORT", ports.join(",")));
    }
    if let Some(user) = config.get_user() {
        env.push(("PGUSER", user.to_owned()));
    }
    if let Some(password) = config.get_password() {
        env.push(("PGPASSWORD", String::from_utf8_lossy(password).into_owned()));
    }
    if let Some(dbname) = config.get_dbname() {
        env.push(("PGDATABASE", dbname.to_owned()));
    }
    if let Some(options) = config.get_options() {
        env.push(("PGOPTIONS", options.to_owned()));
    }
    let sslmode = match config.get_ssl_mode() {
        SslMode::Disable => "disable",
        SslMode::Require => "require",
        _ => "prefer",
    };
    env.push(("PGSSLMODE", sslmode.to_owned()));
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(env: &'a [(&str, String)], name: &str) -> Option<&'a str> {
        env.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn a_url_becomes_libpq_variables_with_the_password_off_the_command_line() {
        let env = libpq_environment("postgres://ann:s%3Ecret@db.example:6432/shop?sslmode=require")
            .unwrap();
        assert_eq!(get(&env, "PGHOST"), Some("db.example"));
        assert_eq!(get(&env, "PGPORT"), Some("6432"));
        assert_eq!(get(&env, "PGUSER"), Some("ann"));
        assert_eq!(get(&env, "PGPASSWORD"), Some("s>cret"));
        assert_eq!(get(&env, "PGDATABASE"), Some("shop"));
        assert_eq!(get(&env, "PGSSLMODE"), Some("require"));
    }

    #[test]
    fn the_embedded_clusters_socket_becomes_pghost() {
        let env =
            libpq_environment("host='/srv/affrank data/postgres/run' user=affrank dbname=affrank")
                .unwrap();
        assert_eq!(get(&env, "PGHOST"), Some("/srv/affrank data/postgres/run"));
        assert_eq!(get(&env, "PGUSER"), Some("affrank"));
        assert_eq!(get(&env, "PGPASSWORD"), None);
        assert!(libpq_environment("postgres://[bad").is_err());
    }
}
