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
