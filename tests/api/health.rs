//! `GET /api/v1/health`: the key is required, and every figure is read from
//! what really happened (clicks through `/go/`, postbacks through their
//! endpoint, records in the spool's quarantine), with history made old in
//! the database where the test cannot wait a week.

use crate::helpers::app::{TestApp, TestSite, spawn_app};
use crate::helpers::http::{location, session_of};
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

const AWIN: &str = "https://www.awin1.com/cread.php?awinmid=1001&awinaffid=12345";
const SHAREASALE: &str = "https://shareasale.com/r.cfm?b=1&u=2&m=3";

async fn health(app: &TestApp, site: &TestSite) -> Value {
    let response = app.api_get(&site.api_key, "/api/v1/health").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

fn network<'a>(body: &'a Value, id: &str) -> &'a Value {
    body["networks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["network"] == id)
        .unwrap_or_else(|| panic!("no {id} in {body}"))
}

fn codes(body: &Value) -> Vec<&str> {
    body["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect()
}

fn time(value: &Value) -> DateTime<Utc> {
    value.as_str().unwrap().parse().unwrap()
}

async fn clicks(app: &TestApp, link: &str, n: usize) -> Vec<String> {
    let mut sessions = Vec::new();
    for _ in 0..n {
        sessions.push(session_of(&location(&app.click(link).await)));
    }
    sessions
}

async fn postback(app: &TestApp, site: &TestSite, sid: &str, tx: &str) -> String {
    let (status, body) = app
        .postback(
            &site.id,
            &format!(
                "sessionId={sid}&amount=10.00&transaction_id={tx}&token={}",
                site.secret
            ),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["status"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn health_needs_the_sites_api_key() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let url = format!("{}/api/v1/health", app.address);
    let without = app.http.get(&url).send().await.unwrap();
    assert_eq!(without.status(), 401);
    let body: Value = without.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized");
    let wrong = app.api_get("afk_not-a-key", "/api/v1/health").await;
    assert_eq!(wrong.status(), 401);
    let body = health(&app, &site).await;
    assert!(body["last_click_at"].is_null() && body["last_click_day"].is_null());
    assert_eq!(body["networks"], serde_json::json!([]));
    assert_eq!(
        body["postbacks_24h"],
        serde_json::json!({"total": 0, "unmatched": 0, "unmatched_share": null})
    );
    assert_eq!(
        body["spool"],
        serde_json::json!({"pending": 0, "set_aside": 0})
    );
    assert_eq!(body["alerts"], serde_json::json!([]));
}

#[tokio::test]
async fn health_figures_and_alerts_follow_real_clicks_postbacks_and_the_spool() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let other = app.add_site().await;
    let awin = app.register_link(&site, AWIN).await;
    let shareasale = app.register_link(&site, SHAREASALE).await;
    let elsewhere = app.register_link(&other, AWIN).await;
    let awin_sessions = clicks(&app, &awin, 3).await;
    clicks(&app, &shareasale, 2).await;
    // The other site's clicks are the latest; they must not count here.
    clicks(&app, &elsewhere, 4).await;

    assert_eq!(
        postback(&app, &site, &awin_sessions[0], "T1").await,
        "matched"
    );
    assert_eq!(
        postback(&app, &site, &awin_sessions[1], "T2").await,
        "matched"
    );
    assert_eq!(
        postback(&app, &site, &awin_sessions[2], "T3").await,
        "matched"
    );
    assert_eq!(
        postback(&app, &site, "NoSuchClick000001", "T4").await,
        "unmatched"
    );
    // A repeat and a status change are not new conversions.
    assert_eq!(
        postback(&app, &site, &awin_sessions[0], "T1").await,
        "duplicate"
    );

    let body = health(&app, &site).await;
    let client = app.pool.get().await.unwrap();
    let last: DateTime<Utc> = client
        .query_one(
            "SELECT max(clicked_at) FROM clicks WHERE site_id = $1",
            &[&site.id],
        )
        .await
        .unwrap()
        .get(0);
    let shown = time(&body["last_click_at"]);
    assert!(
        (shown - last).num_microseconds().unwrap().abs() < 1,
        "{shown} is the site's last click {last}"
    );
    assert_eq!(
        body["last_click_day"],
        last.date_naive().to_string(),
        "UTC site"
    );
    let a = network(&body, "awin");
    assert_eq!(
        (a["clicks_7d"].as_i64(), a["conversions_7d"].as_i64()),
        (Some(3), Some(3))
    );
    assert_eq!(a["conversions_before"], 0);
    let s = network(&body, "shareasale");
    assert_eq!(
        (s["clicks_7d"].as_i64(), s["conversions_7d"].as_i64()),
        (Some(2), Some(0))
    );
    assert!(s["last_conversion_at"].is_null());
    assert_eq!(body["networks"].as_array().unwrap().len(), 2);
    assert_eq!(body["postbacks_24h"]["total"], 4);
    assert_eq!(body["postbacks_24h"]["unmatched"], 1);
    assert_eq!(body["postbacks_24h"]["unmatched_share"], 0.25);
    assert_eq!(
        codes(&body),
        ["unmatched_postbacks"],
        "1 of 4 is over a fifth"
    );

    // Awin's conversions go back ten days: it used to convert and went
    // quiet while its links still get clicks.
    let ten_days_ago = Utc::now() - Duration::days(10);
    let moved = client
        .execute(
            "UPDATE postback_log SET received_at = $2 \
             WHERE site_id = $1 AND outcome = 'matched'",
            &[&site.id, &ten_days_ago],
        )
        .await
        .unwrap();
    assert_eq!(moved, 3);
    let body = health(&app, &site).await;
    let a = network(&body, "awin");
    assert_eq!(
        (
            a["conversions_7d"].as_i64(),
            a["conversions_before"].as_i64()
        ),
        (Some(0), Some(3))
    );
    assert!(
        (time(&a["last_conversion_at"]) - ten_days_ago)
            .num_milliseconds()
            .abs()
            < 1
    );
    assert_eq!(body["postbacks_24h"]["total"], 1);
    assert_eq!(body["postbacks_24h"]["unmatched_share"], 1.0);
    assert_eq!(codes(&body), ["network_silent", "unmatched_postbacks"]);
    let silent = &body["alerts"][0];
    assert_eq!(silent["network"], "awin");
    assert_eq!(silent["severity"], "warning");
    assert!(
        silent["message"]
            .as_str()
            .unwrap()
            .starts_with("Awin has reported no conversion")
    );

    // The unmatched conversion finds its click (as late matching would
    // give it one): no longer unmatched, and ShareASale's first conversion.
    let found = clicks(&app, &shareasale, 1).await.remove(0);
    client
        .execute(
            "UPDATE conversions v SET clicked_at = c.clicked_at, link_id = c.link_id, \
             page_url = c.page_url FROM clicks c \
             WHERE c.session_id = $1 AND v.transaction_id = 'T4'",
            &[&found],
        )
        .await
        .unwrap();
    let body = health(&app, &site).await;
    assert_eq!(body["postbacks_24h"]["unmatched"], 0);
    let s = network(&body, "shareasale");
    assert_eq!(
        (s["clicks_7d"].as_i64(), s["conversions_7d"].as_i64()),
        (Some(3), Some(1))
    );
    assert_eq!(codes(&body), ["network_silent"]);

    // Records the database refused, as replay sets them aside.
    let quarantine = app.spool_dir().join("quarantine");
    std::fs::create_dir_all(&quarantine).unwrap();
    std::fs::write(
        quarantine.join("0000000000000007.refused"),
        "{\"kind\":\"click\"}\n{\"kind\":\"click\"}\n",
    )
    .unwrap();
    let body = health(&app, &site).await;
    assert_eq!(body["spool"]["set_aside"], 2);
    assert_eq!(codes(&body), ["network_silent", "records_set_aside"]);
    assert_eq!(body["alerts"][1]["severity"], "error");

    // The other site sees its own figures only.
    let theirs = health(&app, &other).await;
    assert_eq!(network(&theirs, "awin")["clicks_7d"], 4);
    assert_eq!(theirs["postbacks_24h"]["total"], 0);
}
