//! Finds the migrations instead of listing them by hand: every
//! `migrations/NNNN_name.sql`, in order, becomes one `(version, sql)` entry of
//! `$OUT_DIR/migrations.rs`, which `src/db/mod.rs` includes. The version is
//! the file name without `.sql`, as `schema_migrations` has always recorded it.
//! A gap or a repeated number fails the build: the runner applies migrations
//! in list order, so a missing or doubled step must not go unnoticed.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=build.rs");
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&root).join("migrations");
    let migrations = match find(&dir) {
        Ok(found) => found,
        Err(problem) => {
            // Cargo shows a failed build script's stderr.
            eprintln!("migrations/: {problem}");
            std::process::exit(1);
        }
    };
    let mut out = String::from("&[\n");
    for (version, path) in &migrations {
        let path = path.to_str().expect("the migrations' path is UTF-8");
        writeln!(out, "    ({version:?}, include_str!({path:?})),").unwrap();
    }
    out.push_str("]\n");
    let target = Path::new(&std::env::var("OUT_DIR").unwrap()).join("migrations.rs");
    std::fs::write(&target, out).expect("write $OUT_DIR/migrations.rs");
}

/// The migrations in order, as (version, path); numbered 0001, 0002, ... with
/// no gap and no number twice.
fn find(dir: &Path) -> Result<Vec<(String, std::path::PathBuf)>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read it: {e}"))?;
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read it: {e}"))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue; // editor swap files and the like
        }
        let number = parse(&name).ok_or_else(|| {
            format!(
                "`{name}` is not a migration: the folder holds only files named \
                 NNNN_name.sql (four digits, then lowercase letters, digits and _)"
            )
        })?;
        let version = name.trim_end_matches(".sql").to_owned();
        found.push((number, version, entry.path()));
    }
    if found.is_empty() {
        return Err("no migrations found (expected 0001_name.sql, ...)".to_owned());
    }
    found.sort();
    for (position, (number, version, _)) in found.iter().enumerate() {
        let expected = position as u32 + 1;
        if *number == expected {
            continue;
        }
        return Err(if position == 0 {
            format!("numbers start at 0001, but the first migration is `{version}.sql`")
        } else if *number < expected {
            let before = &found[position - 1].1;
            format!("number {number:04} is used twice: `{before}.sql` and `{version}.sql`")
        } else {
            let before = &found[position - 1].1;
            format!(
                "number {expected:04} is missing: `{before}.sql` is followed by `{version}.sql` \
                 (migrations are numbered 0001, 0002, ... with no gap)"
            )
        });
    }
    Ok(found.into_iter().map(|(_, v, p)| (v, p)).collect())
}

/// The number of `NNNN_name.sql`, or `None` for any other name.
fn parse(name: &str) -> Option<u32> {
    let stem = name.strip_suffix(".sql")?;
    let (digits, rest) = stem.split_at_checked(4)?;
    let label = rest.strip_prefix('_')?;
    let well_formed = digits.bytes().all(|b| b.is_ascii_digit())
        && !label.is_empty()
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    well_formed.then(|| digits.parse().unwrap())
}
