//! `affrank site list`, `site rotate-key`, `site remove` and `psql`: the
//! real binary on a real database, beside a running server.

use crate::helpers::app::{TestApp, TestSite, spawn_app_on};
use crate::helpers::db::{create_database, database_url, drop_database, pg_connect};
use crate::helpers::http::{location, session_of};
use crate::helpers::sidecar::{affrank_bin, cli_site_add};
use crate::helpers::wait_until;
use crate::postback_params::last_logged_params;
use serde_json::Value;
use std::io::Write;
use std::process::{Output, Stdio};

fn cli(url: &str, args: &[&str]) -> Output {
    affrank_bin()
        .args(args)
        .env("DATABASE_URL", url)
        .output()
        .unwrap()
}

fn succeeded(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// `affrank site remove --site ID` with `typed` on its stdin.
fn remove_typing(url: &str, site: &str, typed: &str) -> Output {
    let mut child = affrank_bin()
        .args(["site", "remove", "--site", site])
        .env("DATABASE_URL", url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(typed.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn test_site(added: &Value) -> TestSite {
    TestSite {
        id: added["site_id"].as_str().unwrap().into(),
        api_key: added["api_key"].as_str().unwrap().into(),
        secret: added["postback_secret"].as_str().unwrap().into(),
    }
}

/// `site rotate-key --postback-secret` and `extra`; what it printed.
fn rotate_secret(url: &str, site: &str, extra: &[&str]) -> String {
    let mut args = vec!["site", "rotate-key", "--site", site, "--postback-secret"];
    args.extend_from_slice(extra);
    succeeded(&cli(url, &args))
}

/// A served database and two sites made by `site add`.
async fn served() -> (String, String, TestApp, TestSite, TestSite) {
    let name = create_database().await;
    let url = database_url(&name);
    let app = spawn_app_on(url.clone(), tempfile::tempdir().unwrap(), |_| {}).await;
    let envs = [("DATABASE_URL", url.as_str())];
    let a = test_site(&cli_site_add(&envs, &[]));
    let b = test_site(&cli_site_add(&envs, &[]));
    (name, url, app, a, b)
}

#[tokio::test]
async fn site_list_shows_every_site_with_its_clicks_and_conversions() {
    let (name, url, app, a, b) = served().await;
    let empty = succeeded(&cli(&url, &["site", "list", "--json"]));
    let listed: Value = serde_json::from_str(&empty).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(listed[0]["clicks"], 0);

    let mut sessions = Vec::new();
    for _ in 0..3 {
        sessions.push(app.session(&a).await);
    }
    let t = &a.secret;
    for (n, sid) in sessions.iter().take(2).enumerate() {
        let (status, _) = app
            .postback(&a.id, &format!("sid={sid}&amount=5&oid=T{n}&token={t}"))
            .await;
        assert_eq!(status, 200);
    }
    wait_until("the clicks are written", async || {
        app.count(&format!(
            "SELECT count(*) FROM clicks WHERE site_id = '{}'",
            a.id
        ))
        .await
            == 3
    })
    .await;

    let listed: Value =
        serde_json::from_str(&succeeded(&cli(&url, &["site", "list", "--json"]))).unwrap();
    let rows = listed.as_array().unwrap();
    let row_a = rows.iter().find(|r| r["site_id"] == a.id.as_str()).unwrap();
    let row_b = rows.iter().find(|r| r["site_id"] == b.id.as_str()).unwrap();
    let mut keys: Vec<_> = row_a.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "clicks",
            "conversions",
            "created_at",
            "currency",
            "name",
            "site_id",
            "url"
        ]
    );
    assert_eq!(
        (&row_a["clicks"], &row_a["conversions"]),
        (&Value::from(3), &Value::from(2))
    );
    assert_eq!(
        (&row_a["name"], &row_a["url"], &row_a["currency"]),
        (
            &Value::from("Blog"),
            &Value::from("https://blog.test/"),
            &Value::from("USD")
        )
    );
    assert_eq!(
        (&row_b["clicks"], &row_b["conversions"]),
        (&Value::from(0), &Value::from(0))
    );
    // Oldest first.
    assert!(rows[0]["created_at"].as_str() <= rows[1]["created_at"].as_str());

    let table = succeeded(&cli(&url, &["site", "list"]));
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    for column in [
        "SITE ID",
        "NAME",
        "URL",
        "CURRENCY",
        "CREATED",
        "CLICKS",
        "CONVERSIONS",
    ] {
        assert!(header.contains(column), "{table}");
    }
    let line_a = lines.find(|l| l.starts_with(&a.id)).unwrap();
    let figures: Vec<&str> = line_a.split_whitespace().rev().take(2).collect();
    assert_eq!(figures, ["2", "3"], "{table}");
    app.stop().await;
    drop_database(name);
}

#[tokio::test]
async fn a_rotated_api_key_is_shown_once_and_the_old_one_is_refused_at_once() {
    let (name, url, app, a, b) = served().await;
    assert_eq!(app.api_get(&a.api_key, "/api/v1/site").await.status(), 200);

    let out = succeeded(&cli(
        &url,
        &["site", "rotate-key", "--site", &a.id, "--json"],
    ));
    let rotated: Value = serde_json::from_str(&out).unwrap();
    let mut keys: Vec<_> = rotated.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["api_key", "site_id"]);
    let new_key = rotated["api_key"].as_str().unwrap();
    assert_ne!(new_key, a.api_key);

    assert_eq!(app.api_get(&a.api_key, "/api/v1/site").await.status(), 401);
    let fresh = app.api_get(new_key, "/api/v1/site").await;
    assert_eq!(fresh.status(), 200);
    assert_eq!(
        fresh.json::<Value>().await.unwrap()["site_id"],
        a.id.as_str()
    );
    assert_eq!(
        app.api_get(&b.api_key, "/api/v1/site").await.status(),
        200,
        "another site's key is untouched"
    );
    // The key alone changed: the postback secret still works.
    let (status, _) = app
        .postback(&a.id, &format!("sid=abc&test=1&token={}", a.secret))
        .await;
    assert_eq!(status, 200);
    let plain = app
        .count(&format!(
            "SELECT count(*) FROM sites WHERE position('{new_key}' in row(sites.*)::text) > 0"
        ))
        .await;
    assert_eq!(plain, 0, "only the new key's hash is stored");

    let text = succeeded(&cli(&url, &["site", "rotate-key", "--site", &a.id]));
    assert!(
        text.contains("shown once") && text.contains("old API key no longer works"),
        "{text}"
    );

    let unknown = cli(
        &url,
        &["site", "rotate-key", "--site", "AAAAAAAAAAAAAAAAAAAA"],
    );
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no site AAAAAAAAAAAAAAAAAAAA"));
    let malformed = cli(&url, &["site", "rotate-key", "--site", "nope"]);
    assert!(String::from_utf8_lossy(&malformed.stderr).contains("is not a site id"));
    app.stop().await;
    drop_database(name);
}

#[tokio::test]
async fn a_rotated_postback_secret_is_taken_through_its_grace_period_and_not_after() {
    let (name, url, app, a, _) = served().await;
    let old = a.secret.clone();
    let test_postback = async |token: &str| {
        app.postback(&a.id, &format!("sid=abc&test=1&token={token}"))
            .await
            .0
    };
    assert_eq!(test_postback(&old).await, 200);

    let out = rotate_secret(&url, &a.id, &["--json"]);
    let rotated: Value = serde_json::from_str(&out).unwrap();
    let new = rotated["postback_secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert!(
        rotated["postback_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("&token={new}")),
        "{rotated}"
    );
    let expires: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(rotated["previous_secret_expires_at"].clone()).unwrap();
    let grace = expires - chrono::Utc::now();
    assert!(
        grace > chrono::Duration::days(14) - chrono::Duration::minutes(5)
            && grace <= chrono::Duration::days(14),
        "{grace}"
    );

    // Only a digest of the old secret is kept.
    let stored = app
        .count(&format!(
            "SELECT count(*) FROM sites WHERE previous_postback_secret_hash = sha256('{old}'::bytea) \
             AND position('{old}' in row(sites.*)::text) = 0"
        ))
        .await;
    assert_eq!(stored, 1);

    // Within the grace period both work (the old one as soon as the serve
    // reads the site again, within five seconds; the new one likewise).
    wait_until("the new secret is taken", async || {
        test_postback(&new).await == 200
    })
    .await;
    assert_eq!(test_postback(&old).await, 200);
    let sid = app.session(&a).await;
    let (status, body) = app
        .postback(&a.id, &format!("sid={sid}&amount=7&oid=OLD&token={old}"))
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("matched")),
        "{body}"
    );
    let logged = last_logged_params(&app, &a.id).await;
    assert_eq!(logged["token"], "*** (previous secret)", "{logged}");
    // The plugin's Postback Setup shows the new URL.
    let view: Value = app
        .api_get(&a.api_key, "/api/v1/site")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        view["postback_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("&token={new}")),
        "{view}"
    );

    // After the grace period, the old one is refused, the new one taken.
    app.pool
        .get()
        .await
        .unwrap()
        .execute(
            "UPDATE sites SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1",
            &[&a.id],
        )
        .await
        .unwrap();
    wait_until("the old secret is refused", async || {
        test_postback(&old).await == 401
    })
    .await;
    assert_eq!(test_postback(&new).await, 200);

    // --grace-days 0: the secret it replaces stops at once (on the next read).
    let out = rotate_secret(&url, &a.id, &["--grace-days", "0"]);
    assert!(out.contains("The old secret no longer works"), "{out}");
    let newest = out
        .lines()
        .find_map(|l| l.strip_prefix("postback_secret:"))
        .unwrap()
        .trim()
        .to_owned();
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM sites WHERE id = '{}' AND previous_postback_secret_hash IS NULL \
             AND previous_secret_expires_at IS NULL",
            a.id
        ))
        .await,
        1
    );
    wait_until("the replaced secret is refused", async || {
        test_postback(&new).await == 401
    })
    .await;
    assert_eq!(test_postback(&newest).await, 200);

    let without = cli(
        &url,
        &["site", "rotate-key", "--site", &a.id, "--grace-days", "3"],
    );
    assert!(
        !without.status.success(),
        "--grace-days needs --postback-secret"
    );
    app.stop().await;
    drop_database(name);
}

/// Every table with a `site_id` column, from the catalog: a table a later
/// migration adds is held to the same rule without touching this test.
async fn tables_with_site_id(client: &tokio_postgres::Client) -> Vec<String> {
    client
        .query(
            "SELECT c.table_name::text FROM information_schema.columns c \
             JOIN information_schema.tables t USING (table_schema, table_name) \
             WHERE c.table_schema = current_schema() AND c.column_name = 'site_id' \
               AND t.table_type = 'BASE TABLE' ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Rows of `site` in each table (and `sites` itself, and the status
/// history of its conversions).
async fn rows_of(client: &tokio_postgres::Client, site: &str) -> Vec<(String, i64)> {
    let mut counts = Vec::new();
    for table in tables_with_site_id(client).await {
        let sql = format!("SELECT count(*) FROM {table} WHERE site_id = $1");
        counts.push((
            table,
            client.query_one(&sql, &[&site]).await.unwrap().get(0),
        ));
    }
    for (table, sql) in [
        ("sites", "SELECT count(*) FROM sites WHERE id = $1"),
        (
            "conversion_status_history",
            "SELECT count(*) FROM conversion_status_history h \
             JOIN conversions c ON c.id = h.conversion_id WHERE c.site_id = $1",
        ),
    ] {
        counts.push((
            table.to_owned(),
            client.query_one(sql, &[&site]).await.unwrap().get(0),
        ));
    }
    counts
}

#[tokio::test]
async fn site_remove_deletes_every_row_of_the_site_and_nothing_of_another() {
    let (name, url, app, a, b) = served().await;
    let mut links = Vec::new();
    for site in [&a, &b] {
        let demo = cli(
            &url,
            &[
                "demo-data",
                "--site",
                &site.id,
                "--clicks",
                "2000",
                "--days",
                "60",
            ],
        );
        succeeded(&demo);
        // Live traffic too: a click, a sale that is approved later, a refused postback.
        let link = app
            .register_link(site, "https://prf.hn/click/camref:1")
            .await;
        let sid = session_of(&location(&app.click(&link).await));
        let t = &site.secret;
        for status in ["pending", "approved"] {
            let q = format!("sid={sid}&amount=9&oid=LIVE&status={status}&token={t}");
            assert_eq!(app.postback(&site.id, &q).await.0, 200);
        }
        assert_eq!(
            app.postback(&site.id, &format!("sid=a-b&token={t}"))
                .await
                .0,
            400
        );
        links.push(link);
    }
    wait_until("the live clicks are written and folded", async || {
        app.count("SELECT count(*) FROM clicks WHERE referrer IS NULL")
            .await
            == 2
            && app.count("SELECT count(*) FROM report_click_pending").await == 0
    })
    .await;

    let client = pg_connect(&url).await.unwrap();
    let of_b = rows_of(&client, &b.id).await;
    let before_a = rows_of(&client, &a.id).await;
    for table in [
        "sites",
        "links",
        "clicks",
        "conversions",
        "conversion_status_history",
        "postback_log",
        "report_site_day",
        "report_day",
        "report_key",
        "report_checkpoint",
        "report_state",
    ] {
        let n = before_a.iter().find(|(t, _)| t == table).map(|(_, n)| *n);
        assert!(
            n.unwrap_or(0) > 0,
            "{table} has no rows of the site to remove: {before_a:?}"
        );
    }

    // Not confirmed: nothing deleted.
    let refused = remove_typing(&url, &a.id, "wrong\n");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("Type the site id to confirm"), "{stderr}");
    assert!(stderr.contains("nothing was deleted"), "{stderr}");
    assert_eq!(rows_of(&client, &a.id).await, before_a);
    let closed = remove_typing(&url, &a.id, "");
    assert!(!closed.status.success(), "no answer is no confirmation");

    let removed = remove_typing(&url, &a.id, &format!("{}\n", a.id));
    let said = succeeded(&removed);
    let clicks_before = before_a.iter().find(|(t, _)| t == "clicks").unwrap().1;
    assert!(
        said.contains(&format!("removed site {}", a.id))
            && said.contains(&format!("{clicks_before} clicks")),
        "{said}"
    );
    let after_a = rows_of(&client, &a.id).await;
    assert!(
        after_a.iter().all(|(_, n)| *n == 0),
        "rows left: {after_a:?}"
    );
    assert_eq!(
        rows_of(&client, &b.id).await,
        of_b,
        "the other site lost rows"
    );

    // The running serve forgets the removed site's links within seconds:
    // /go/ answers 404 instead of redirecting (and recording) for ever.
    wait_until("the removed site's link is forgotten", async || {
        app.click(&links[0]).await.status() == 404
    })
    .await;
    wait_until("clicks recorded meanwhile are deleted", async || {
        app.count(&format!(
            "SELECT count(*) FROM clicks WHERE site_id = '{}'",
            a.id
        ))
        .await
            == 0
    })
    .await;
    assert_eq!(
        app.click(&links[1]).await.status(),
        302,
        "the other site still redirects"
    );

    // --yes skips the question; an unknown site is an error.
    succeeded(&cli(&url, &["site", "remove", "--site", &b.id, "--yes"]));
    assert_eq!(app.count("SELECT count(*) FROM sites").await, 0);
    let unknown = cli(&url, &["site", "remove", "--site", &b.id, "--yes"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains(&format!("no site {}", b.id)));
    app.stop().await;
    drop_database(name);
}

#[tokio::test]
async fn psql_opens_on_the_database_affrank_uses() {
    let (name, url, app, _, _) = served().await;
    let out = succeeded(&cli(
        &url,
        &["psql", "--", "-tA", "-c", "SELECT count(*) FROM sites"],
    ));
    assert_eq!(out.trim(), "2");
    let failed = cli(&url, &["psql", "--", "-c", "SELECT * FROM no_such_table"]);
    assert!(!failed.status.success());
    assert!(String::from_utf8_lossy(&failed.stderr).contains("no_such_table"));
    app.stop().await;
    drop_database(name);
}
