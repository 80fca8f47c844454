//! `docs/schema.sql` is the schema every migration adds up to, for readers:
//! migrations are never edited, so no one of them shows a table or a function
//! as it is now. This test migrates a fresh database with the sidecar's own
//! runner, renders it, and fails when the committed file differs.
//! `scripts/schema` runs it with `AFFRANK_WRITE_SCHEMA=1` to rewrite the file.

use crate::helpers::db::{create_database, database_url, drop_database};
use std::path::{Path, PathBuf};
use std::process::Command;

/// pg_dump's rendering is stable within a major version; another major
/// (of the server or of pg_dump) words some things differently.
const PG_MAJOR: u32 = 15;

const HEADER: &str = "\
-- GENERATED: do not edit. The schema of a database after every migration in
-- migrations/, as `pg_dump --schema-only --no-owner --no-privileges` of
-- PostgreSQL 15 prints it, less what only sets up a restore
-- (version lines, \\restrict key, SET lines).
-- For reading, not for restoring: databases are made by the migrations.
-- Regenerate with scripts/schema; `cargo test --test api schema` fails when
-- this file is stale.
";

#[tokio::test]
async fn docs_schema_sql_is_the_migrated_schema() {
    let scratch = Scratch::migrated().await;
    let rendered = render(&pg_dump(&scratch.url())).unwrap_or_else(|e| panic!("{e}"));
    let committed_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schema.sql");
    if std::env::var_os("AFFRANK_WRITE_SCHEMA").is_some() {
        std::fs::write(&committed_path, &rendered).expect("write docs/schema.sql");
        println!("wrote {}", committed_path.display());
        return;
    }
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    if committed != rendered {
        let fresh = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("schema.sql");
        std::fs::write(&fresh, &rendered).expect("write the fresh rendering");
        panic!(
            "docs/schema.sql is stale: run scripts/schema\n{}\n(the migrated schema is in {}: \
             diff it with docs/schema.sql)",
            first_difference(&committed, &rendered),
            fresh.display()
        );
    }
}

/// The runner records each migration under its file name without `.sql`, as
/// it always has: a database migrated by an older binary must be up to date.
#[tokio::test]
async fn migrations_are_recorded_under_their_file_names() {
    let scratch = Scratch::new().await;
    let pool = affrank::db::pool(&scratch.url(), 2).unwrap();
    let applied = affrank::db::migrate(&pool).await.unwrap();

    let mut files: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .filter_map(|name| name.strip_suffix(".sql").map(str::to_owned))
            .collect();
    files.sort();
    assert_eq!(applied, files, "applied in file-name order");
    let client = pool.get().await.unwrap();
    let recorded: Vec<String> = client
        .query(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(recorded, files);
    assert!(affrank::db::migrate(&pool).await.unwrap().is_empty());
}

/// A database of its own, dropped when the test ends, passed or not.
struct Scratch(String);

impl Scratch {
    async fn new() -> Self {
        Self(create_database().await)
    }

    async fn migrated() -> Self {
        let scratch = Self::new().await;
        let pool = affrank::db::pool(&scratch.url(), 2).unwrap();
        affrank::db::migrate(&pool)
            .await
            .expect("the migrations apply");
        let client = pool.get().await.unwrap();
        let version: String = client
            .query_one("SHOW server_version_num", &[])
            .await
            .unwrap()
            .get(0);
        let major = version.parse::<u32>().unwrap() / 10000;
        assert_eq!(
            major, PG_MAJOR,
            "docs/schema.sql is PostgreSQL {PG_MAJOR}'s rendering, but DATABASE_URL's server \
             is PostgreSQL {major}: point DATABASE_URL at a PostgreSQL {PG_MAJOR} server"
        );
        scratch
    }

    fn url(&self) -> String {
        database_url(&self.0)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        drop_database(std::mem::take(&mut self.0));
    }
}

fn pg_dump(url: &str) -> String {
    let version = Command::new("pg_dump")
        .arg("--version")
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run pg_dump ({e}): scripts/install-deps installs it (postgresql-client)")
        });
    // "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"
    let version = String::from_utf8_lossy(&version.stdout).into_owned();
    let major = version
        .split_whitespace()
        .nth(2)
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse::<u32>().ok());
    assert_eq!(
        major,
        Some(PG_MAJOR),
        "docs/schema.sql is pg_dump {PG_MAJOR}'s rendering, but pg_dump is {}",
        version.trim()
    );
    let out = Command::new("pg_dump")
        .args([
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            "--dbname",
            url,
        ])
        .output()
        .expect("run pg_dump");
    assert!(
        out.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("pg_dump prints UTF-8")
}

/// pg_dump's objects, in its order (by kind, then name, dependencies first),
/// without what changes from one minor version or one run to the next and
/// only sets up a restore: the preamble ("Dumped from/by" lines, the
/// `\restrict` key, random on every run since 15.14, the SET lines), the
/// trailer, and the two SET lines pg_dump puts before the first table.
fn render(dump: &str) -> Result<String, String> {
    let lines: Vec<&str> = dump.lines().collect();
    // The first object's comment box opens with "--" right above "-- Name:";
    // the trailer's box, likewise, right above its one line of text.
    let first = lines
        .iter()
        .position(|line| line.starts_with("-- Name: "))
        .ok_or("pg_dump printed no object")?;
    let end = lines
        .iter()
        .rposition(|line| *line == "-- PostgreSQL database dump complete")
        .ok_or("pg_dump's output has no end line: was it cut short?")?;
    let mut out = String::from(HEADER);
    out.push('\n');
    for line in &lines[first - 1..end - 1] {
        if line.starts_with("SET default_tablespace = ")
            || line.starts_with("SET default_table_access_method = ")
        {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    // One blank line at the end, however many the cut left.
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('\n');
    Ok(out)
}

fn first_difference(committed: &str, rendered: &str) -> String {
    let mut committed_lines = committed.lines();
    let mut rendered_lines = rendered.lines();
    for number in 1.. {
        match (committed_lines.next(), rendered_lines.next()) {
            (Some(a), Some(b)) if a == b => continue,
            (None, None) => break,
            (a, b) => {
                return format!(
                    "first difference at line {number}:\n  docs/schema.sql: {}\n  migrated:        {}",
                    a.unwrap_or("(end of file)"),
                    b.unwrap_or("(end of file)")
                );
            }
        }
    }
    "the files differ only in line endings".to_owned()
}
