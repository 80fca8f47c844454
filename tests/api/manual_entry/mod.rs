//! Manual entry: `GET`/`POST /api/v1/conversions` and
//! `PUT /api/v1/conversions/{id}`, with the reports, the history and the
//! conversion log they must move, and every refusal naming its field.

use crate::helpers::app::{TestApp, TestSite, spawn_app};
use crate::reports::data::{add_link, click, insert_clicks};
use crate::reports::get;
use serde_json::{Value, json};

async fn post(app: &TestApp, site: &TestSite, body: Value) -> (u16, Value) {
    let response = app
        .http
        .post(format!("{}/api/v1/conversions", app.address))
        .bearer_auth(&site.api_key)
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn put(app: &TestApp, site: &TestSite, id: &str, body: Value) -> (u16, Value) {
    let response = app
        .http
        .put(format!("{}/api/v1/conversions/{id}", app.address))
        .bearer_auth(&site.api_key)
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn list(app: &TestApp, site: &TestSite, query: &str) -> (u16, Value) {
    let response = app
        .api_get(&site.api_key, &format!("/api/v1/conversions{query}"))
        .await;
    (response.status().as_u16(), response.json().await.unwrap())
}

fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

const PAGE: &str = "https://blog.test/best-blenders/";

#[tokio::test]
async fn a_conversion_typed_in_is_matched_credited_or_unattributed() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    app.update_site(&site, json!({"currency_rates": {"EUR": "1.10"}})).await;
    let client = app.pool.get().await.unwrap();
    let link = add_link(&client, &site.id, "https://shop.test/a", PAGE, Some("blenders"), Some("cj")).await;
    let session = affrank::ids::SessionId::mint();
    let clicked_at = chrono::Utc::now() - chrono::Duration::hours(1);
    insert_clicks(&client, &[click(&site.id, &link, session.as_str(), clicked_at, false)]).await;

    // By session id: matched to its click.
    let (status, by_click) = post(&app, &site, json!({"network": "cj", "date": today(), "amount": "10.00",
        "currency": "EUR", "session_id": session.as_str(), "transaction_id": "cj-1", "note": "from the CJ e-mail"})).await;
    assert_eq!(status, 201, "{by_click}");
    assert_eq!(by_click["source"], "manual");
    assert_eq!(by_click["attribution"], "click");
    assert_eq!(by_click["link_id"], link.id.as_str());
    assert_eq!((by_click["amount"].as_str(), by_click["amount_site"].as_str()), (Some("10.00"), Some("11.00")));
    assert_eq!(by_click["note"], "from the CJ e-mail");
    // By page: credited to the page and its keyword, on the day given.
    let (status, by_page) = post(&app, &site, json!({"network": "flexoffers", "date": today(), "amount": "5",
        "page_url": PAGE, "status": "pending"})).await;
    assert_eq!(status, 201, "{by_page}");
    assert_eq!((by_page["attribution"].as_str(), by_page["keyword"].as_str()), (Some("page"), Some("blenders")));
    assert!(by_page["transaction_id"].as_str().unwrap().starts_with("manual-"));
    assert_eq!(by_page["session_id"], Value::Null);
    // Neither: unattributed.
    let (status, none) = post(&app, &site, json!({"network": "cj", "date": today(), "amount": "2.50"})).await;
    assert_eq!((status, none["attribution"].as_str()), (201, Some("none")));

    let key = &site.api_key;
    let summary = get(&app, key, "summary", &[]).await;
    assert_eq!(summary["revenue"], "13.50");
    assert_eq!(summary["pending_revenue"], "5.00");
    assert_eq!(summary["coverage"], json!({"click": "11.00", "page": "0.00", "none": "2.50"}));
    let pages = get(&app, key, "pages", &[]).await;
    assert_eq!(pages["rows"][0]["conversions"], 2, "{pages}");

    // The pending one is approved: now the page earns.
    let id = by_page["id"].to_string();
    let (status, body) = put(&app, &site, &id, json!({"status": "approved"})).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("approved")), "{body}");
    let summary = get(&app, key, "summary", &[]).await;
    assert_eq!(summary["coverage"], json!({"click": "11.00", "page": "5.00", "none": "2.50"}));
    let coverage = &summary["coverage"];
    let sum: rust_decimal::Decimal = ["click", "page", "none"]
        .iter()
        .map(|k| coverage[k].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap())
        .sum();
    let revenue: rust_decimal::Decimal = summary["revenue"].as_str().unwrap().parse().unwrap();
    assert_eq!(sum, revenue, "the coverage adds up to the revenue");

    // Listed newest first, filtered.
    let (status, all) = list(&app, &site, "").await;
    assert_eq!(status, 200);
    assert_eq!(all["total_rows"], 3);
    assert_eq!(all["rows"][0]["id"], none["id"]);
    let (_, cj) = list(&app, &site, "?network=cj&limit=1").await;
    assert_eq!((cj["total_rows"].as_i64(), cj["rows"].as_array().unwrap().len()), (Some(2), 1));
    let (_, approved) = list(&app, &site, "?status=approved&source=manual").await;
    assert_eq!(approved["total_rows"], 3);
    let (_, postbacks) = list(&app, &site, "?source=postback").await;
    assert_eq!(postbacks["total_rows"], 0);

    // Each change is in the history and the log, as manual.
    assert_eq!(app.count("SELECT count(*) FROM conversion_status_history WHERE source = 'manual'").await, 4);
    assert_eq!(app.count("SELECT count(*) FROM postback_log WHERE source = 'manual'").await, 4);
}

#[tokio::test]
async fn edits_restate_amounts_and_reversals_take_revenue_out() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let (_, c) = post(&app, &site, json!({"network": "awin", "date": today(), "amount": "20.00", "page_url": PAGE})).await;
    let id = c["id"].to_string();
    let (status, body) = put(&app, &site, &id, json!({"amount": "25.50", "date": "2026-01-15"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["amount_site"], "25.50");
    let key = &site.api_key;
    let jan = |from: &str, to: &str| vec![("from", from.to_string()), ("to", to.to_string())];
    let summary = get(&app, key, "summary", &jan("2026-01-15", "2026-01-15")).await;
    assert_eq!(summary["revenue"], "25.50", "moved to its new day: {summary}");
    let (status, body) = put(&app, &site, &id, json!({"status": "reversed"})).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("reversed")));
    let summary = get(&app, key, "summary", &jan("2026-01-15", "2026-01-15")).await;
    assert_eq!((summary["revenue"].as_str(), summary["reversed_revenue"].as_str()), (Some("0.00"), Some("25.50")));
    // The page credit is taken off by hand.
    let (status, body) = put(&app, &site, &id, json!({"page_url": null})).await;
    assert_eq!((status, body["attribution"].as_str()), (200, Some("none")), "{body}");
    let history = app
        .count(&format!("SELECT count(*) FROM conversion_status_history WHERE conversion_id = {id}"))
        .await;
    assert_eq!(history, 3, "created, restated, reversed");
}

#[tokio::test]
async fn refusals_name_the_field_and_other_sites_ids_are_not_found() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let (status, body) = post(&app, &site, json!({"network": "cj", "date": today(), "amount": "1", "transaction_id": "T-1"})).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = post(&app, &site, json!({"network": "cj", "date": today(), "amount": "1", "transaction_id": "T-1"})).await;
    assert_eq!((status, body["field"].as_str()), (409, Some("transaction_id")), "{body}");
    for (bad, field) in [
        (json!({"network": "cj", "date": "yesterday", "amount": "1"}), "date"),
        (json!({"network": "cj", "date": today(), "amount": "1,50"}), "amount"),
        (json!({"network": "cj", "date": today(), "amount": "1", "currency": "XYZ"}), "currency"),
        (json!({"network": "cj", "date": today(), "amount": "1", "status": "maybe"}), "status"),
        (json!({"date": today(), "amount": "1"}), "network"),
    ] {
        let (status, body) = post(&app, &site, bad.clone()).await;
        assert_eq!((status, body["field"].as_str()), (400, Some(field)), "{bad}: {body}");
    }
    let id = body_id(&app, &site).await;
    let (status, body) = put(&app, &site, &id, json!({"amount": "x"})).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("amount")));
    let other = app.add_site().await;
    let (status, _) = put(&app, &other, &id, json!({"status": "reversed"})).await;
    assert_eq!(status, 404);
    let (status, _) = put(&app, &site, "999999999", json!({"status": "reversed"})).await;
    assert_eq!(status, 404);
    let (status, _) = put(&app, &site, "abc", json!({"status": "reversed"})).await;
    assert_eq!(status, 404);
    let (status, body) = list(&app, &site, "?limit=501").await;
    assert_eq!((status, body["field"].as_str()), (400, Some("limit")));
    let (status, body) = list(&app, &site, "?source=fax").await;
    assert_eq!((status, body["field"].as_str()), (400, Some("source")));

    // A postback's conversion: its status may change by hand, nothing else.
    let sid = app.session(&site).await;
    let (status, _) = app
        .postback(&site.id, &format!("sessionId={sid}&amount=3.00&transaction_id=PB-1&token={}", site.secret))
        .await;
    assert_eq!(status, 200);
    let client = app.pool.get().await.unwrap();
    let pb: i64 = client
        .query_one("SELECT id FROM conversions WHERE transaction_id = 'PB-1'", &[])
        .await
        .unwrap()
        .get(0);
    let (status, body) = put(&app, &site, &pb.to_string(), json!({"amount": "9.00"})).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("amount")), "{body}");
    let (status, body) = put(&app, &site, &pb.to_string(), json!({"status": "reversed"})).await;
    assert_eq!((status, body["status"].as_str(), body["source"].as_str()), (200, Some("reversed"), Some("postback")));
    let by = app
        .count(&format!("SELECT count(*) FROM conversion_status_history WHERE conversion_id = {pb} AND source = 'manual'"))
        .await;
    assert_eq!(by, 1);
    let (status, _) = list(&app, &other, "").await;
    assert_eq!(status, 200);
    let response = app.http.get(format!("{}/api/v1/conversions", app.address)).send().await.unwrap();
    assert_eq!(response.status(), 401);
}

async fn body_id(app: &TestApp, site: &TestSite) -> String {
    let (_, body) = list(app, site, "?limit=1").await;
    body["rows"][0]["id"].to_string()
}
