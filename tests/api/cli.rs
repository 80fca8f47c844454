use crate::helpers::db::{create_database, database_url, drop_database, query_count};
use crate::helpers::sidecar::{affrank_bin, run_ok};
use serde_json::Value;

#[tokio::test]
async fn site_add_prints_the_secrets_once_and_stores_only_the_key_hash() {
    let name = create_database().await;
    let url = database_url(&name);
    let migrate = run_ok(affrank_bin().arg("migrate").env("DATABASE_URL", &url));
    assert!(String::from_utf8_lossy(&migrate.stdout).contains("applied 0001_sites_links_clicks"));
    let again = affrank_bin()
        .arg("migrate")
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("up to date"));

    let out = run_ok(
        affrank_bin()
            .args([
                "site",
                "add",
                "--name",
                "My Blog",
                "--url",
                "https://blog.test",
                "--currency",
                "eur",
                "--json",
            ])
            .args(["--public-url", "https://go.blog.test"])
            .env("DATABASE_URL", &url),
    );
    let site: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut keys: Vec<_> = site.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        ["api_key", "postback_secret", "postback_url", "site_id"]
    );
    let id = site["site_id"].as_str().unwrap();
    assert!(affrank::ids::SiteId::parse(id).is_ok());
    assert_eq!(
        site["postback_url"],
        format!(
            "https://go.blog.test/api/v1/postbacks/{id}?sessionId={{SESSION_ID}}&amount={{COMMISSION}}&transaction_id={{TRANSACTION_ID}}&token={}",
            site["postback_secret"].as_str().unwrap()
        )
    );
    let key = site["api_key"].as_str().unwrap();
    let plain = query_count(
        &url,
        &format!("SELECT count(*) FROM sites WHERE position('{key}' in row(sites.*)::text) > 0"),
    )
    .await;
    assert_eq!(plain, Some(0), "the API key is not stored in plain text");
    let currency = query_count(&url, "SELECT count(*) FROM sites WHERE currency = 'EUR'").await;
    assert_eq!(currency, Some(1));

    let bad = affrank_bin()
        .args(["site", "add", "--name", "B", "--url", "not a url"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("url"));
    drop_database(name);
}

#[test]
fn config_prints_the_merged_settings_without_the_database_url() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("affrank.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:9000\"\n[clicks]\nwriters = 3\n",
    )
    .unwrap();
    let out = affrank_bin()
        .args(["--config", file.to_str().unwrap(), "config"])
        .env("DATABASE_URL", "postgres://u:hunter2@db/affrank")
        .env("AFFRANK_POSTBACK_BATCH_MAX", "64")
        .env("AFFRANK_CLICK_WRITERS", "4")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("hunter2"), "{text}");
    let printed: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(printed["listen"].as_str(), Some("127.0.0.1:9000"));
    assert_eq!(
        printed["clicks"]["writers"].as_integer(),
        Some(4),
        "env over file"
    );
    assert_eq!(printed["postbacks"]["batch_max"].as_integer(), Some(64));

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[postbacks]\nsite_rat = 1\n").unwrap();
    let out = affrank_bin()
        .args(["--config", bad.to_str().unwrap(), "config"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown field `site_rat`"), "{stderr}");
}

#[test]
fn config_prints_the_defaults_and_the_table_even_when_the_environment_is_wrong() {
    let run = |flag: &str| {
        let out = affrank_bin()
            .args(["config", flag])
            .env("AFFRANK_LISTEN", "not an address")
            .env("AFFRANK_CLICK_WRITERS", "9")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let defaults: toml::Table = toml::from_str(&run("--print-defaults")).unwrap();
    assert_eq!(defaults["listen"].as_str(), Some("127.0.0.1:8787"));
    assert_eq!(defaults["clicks"]["writers"].as_integer(), Some(2));
    assert_eq!(defaults["postbacks"]["batch_max"].as_integer(), Some(2048));
    let table = run("--markdown");
    assert!(
        table.contains("| `AFFRANK_CLICK_WRITERS` | `[clicks]` `writers` |  | `2` |"),
        "{table}"
    );
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(
        readme.contains(table.trim()),
        "README.md's configuration table differs from the settings in the code: \
         paste the output of `affrank config --markdown` into it"
    );
}
