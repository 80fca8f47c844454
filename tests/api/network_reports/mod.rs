//! `GET /api/v1/reports/networks` and the `network=` filter of the other
//! reports, over clicks and conversions from every source.

use crate::helpers::app::{TestApp, TestSite, spawn_app};
use crate::reports::data::{Conversion, add_link, click, insert_clicks, upsert_conversion};
use crate::reports::{get, request};
use serde_json::{Value, json};

const PAGE_A: &str = "https://blog.test/best-blenders/";
const PAGE_B: &str = "https://blog.test/best-toasters/";

fn row<'a>(body: &'a Value, field: &str, key: &str) -> &'a Value {
    body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[field] == key)
        .unwrap_or_else(|| panic!("no {key} in {body}"))
}

fn q(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
}

/// Amazon: three clicks on a blender link, an imported sale on its ASIN
/// (4.00) and one on another product of the page (6.00). CJ: two clicks on
/// a toaster link, a postback on one of them (10.00), a sale typed in with
/// no click or page (2.00). Plus a link of no known network with a click.
async fn ledger(app: &TestApp, site: &TestSite) -> (String, String) {
    let client = app.pool.get().await.unwrap();
    let amazon = add_link(&client, &site.id, "https://www.amazon.com/dp/B000000001?tag=pa-20", PAGE_A, Some("blenders"), Some("amazon")).await;
    let cj = add_link(&client, &site.id, "https://www.anrdoezrs.net/click-1-2", PAGE_B, Some("toasters"), Some("cj")).await;
    let plain = add_link(&client, &site.id, "https://shop.test/x", PAGE_B, Some("toasters"), None).await;
    let now = chrono::Utc::now() - chrono::Duration::minutes(30);
    let mut rows = Vec::new();
    let mut sessions = Vec::new();
    for (link, n) in [(&amazon, 3), (&cj, 2), (&plain, 1)] {
        for _ in 0..n {
            let s = affrank::ids::SessionId::mint();
            rows.push(click(&site.id, link, s.as_str(), now, false));
            sessions.push(s);
        }
    }
    insert_clicks(&client, &rows).await;
    upsert_conversion(&client, &Conversion {
        site_id: &site.id,
        session_id: sessions[3].as_str(),
        transaction_id: Some("cj-1"),
        status: "approved",
        amount: Some("10.00".parse().unwrap()),
        converted: true,
        received_at: chrono::Utc::now(),
    })
    .await;
    client
        .execute(
            "INSERT INTO amazon_pages (site_id, page_url, tracking_id, assigned) VALUES ($1, $2, 'pa-20', 'manual')",
            &[&site.id, &PAGE_A],
        )
        .await
        .unwrap();
    for (tx, product, amount) in [("amz-1", "B000000001", "4.00"), ("amz-2", "B000000777", "6.00")] {
        let amount: rust_decimal::Decimal = amount.parse().unwrap();
        client
            .execute(
                "INSERT INTO conversions (site_id, session_id, transaction_id, status, amount, currency, \
                     amount_site, is_lead, received_at, updated_at, source, network, label, product) \
                 VALUES ($1, '', $2, 'approved', $3, 'USD', $3, false, now(), now(), 'import', 'amazon', 'pa-20', $4)",
                &[&site.id, &tx, &amount, &product],
            )
            .await
            .unwrap();
    }
    let response = app
        .http
        .post(format!("{}/api/v1/conversions", app.address))
        .bearer_auth(&site.api_key)
        .json(&json!({"network": "cj", "date": chrono::Utc::now().date_naive().to_string(), "amount": "2.00"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    (amazon.id, cj.id)
}

#[tokio::test]
async fn the_networks_report_splits_clicks_and_revenue_by_network_and_source() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    ledger(&app, &site).await;
    let key = &site.api_key;
    let body = get(&app, key, "networks", &[]).await;
    assert_eq!(body["total_rows"], 3, "{body}");
    assert_eq!(body["rows"][0]["network"], "cj", "by revenue first: {body}");
    let cj = row(&body, "network", "cj");
    assert_eq!((cj["clicks"].as_i64(), cj["conversions"].as_i64(), cj["revenue"].as_str()), (Some(2), Some(2), Some("12.00")));
    assert_eq!(cj["epc"], "6.00");
    assert_eq!(cj["sources"], json!({"postback": "10.00", "import": "0.00", "api": "0.00", "clickbank_ins": "0.00", "manual": "2.00"}));
    let amazon = row(&body, "network", "amazon");
    assert_eq!((amazon["clicks"].as_i64(), amazon["revenue"].as_str()), (Some(3), Some("10.00")));
    assert_eq!(amazon["sources"]["import"], "10.00");
    let unknown = row(&body, "network", "");
    assert_eq!((unknown["clicks"].as_i64(), unknown["revenue"].as_str()), (Some(1), Some("0.00")));

    let by_name = get(&app, key, "networks", &q(&[("sort", "network"), ("limit", "2")])).await;
    let names: Vec<&str> = by_name["rows"].as_array().unwrap().iter().map(|r| r["network"].as_str().unwrap()).collect();
    assert_eq!(names, ["", "amazon"]);
    assert_eq!(by_name["total_rows"], 3);
    let csv = request(&app, Some(key), "networks", &q(&[("format", "csv"), ("sort", "network")])).await;
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "network,clicks,conversions,revenue,epc,conversion_rate,revenue_postback,revenue_import,revenue_api,revenue_clickbank_ins,revenue_manual"
    );
    assert_eq!(lines.nth(1).unwrap(), "amazon,3,2,10.00,3.3333,0.6666666666666666,0.00,10.00,0.00,0.00,0.00");
    for (bad, field) in [(("sort", "keyword"), "sort"), (("network", "cj"), "network"), (("limit", "0"), "limit")] {
        let response = request(&app, Some(key), "networks", &q(&[bad])).await;
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["field"], field);
    }
}

#[tokio::test]
async fn every_report_filters_by_network() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let (amazon_link, cj_link) = ledger(&app, &site).await;
    let key = &site.api_key;

    let all = get(&app, key, "summary", &[]).await;
    assert_eq!((all["clicks"].as_i64(), all["revenue"].as_str()), (Some(6), Some("22.00")));
    assert_eq!(all["coverage"], json!({"click": "10.00", "page": "10.00", "none": "2.00"}));
    let cj = get(&app, key, "summary", &q(&[("network", "cj")])).await;
    assert_eq!((cj["clicks"].as_i64(), cj["revenue"].as_str(), cj["unattributed_revenue"].as_str()), (Some(2), Some("12.00"), Some("2.00")));
    assert_eq!(cj["coverage"], json!({"click": "10.00", "page": "0.00", "none": "2.00"}));
    assert_eq!(cj["network"], "cj");
    let amazon = get(&app, key, "summary", &q(&[("network", "amazon")])).await;
    assert_eq!((amazon["clicks"].as_i64(), amazon["conversions"].as_i64(), amazon["revenue"].as_str()), (Some(3), Some(2), Some("10.00")));
    assert_eq!(amazon["coverage"], json!({"click": "0.00", "page": "10.00", "none": "0.00"}));

    let keywords = get(&app, key, "keywords", &q(&[("network", "amazon")])).await;
    assert_eq!(keywords["total_rows"], 1, "{keywords}");
    assert_eq!((keywords["rows"][0]["keyword"].as_str(), keywords["rows"][0]["clicks"].as_i64(), keywords["rows"][0]["revenue"].as_str()), (Some("blenders"), Some(3), Some("10.00")));
    let pages = get(&app, key, "pages", &q(&[("network", "amazon")])).await;
    assert_eq!((pages["total_rows"].as_i64(), pages["rows"][0]["page_url"].as_str(), pages["rows"][0]["revenue"].as_str()), (Some(1), Some(PAGE_A), Some("10.00")));
    let pages = get(&app, key, "pages", &q(&[("network", "cj")])).await;
    assert_eq!((pages["total_rows"].as_i64(), pages["rows"][0]["clicks"].as_i64(), pages["rows"][0]["revenue"].as_str()), (Some(1), Some(2), Some("10.00")), "{pages}");
    let links = get(&app, key, "links", &q(&[("network", "amazon")])).await;
    assert_eq!((links["total_rows"].as_i64(), links["rows"][0]["link_id"].as_str(), links["rows"][0]["revenue"].as_str()), (Some(1), Some(amazon_link.as_str()), Some("4.00")));
    let links = get(&app, key, "links", &q(&[("network", "cj"), ("sort", "url")])).await;
    assert_eq!(links["rows"][0]["link_id"], cj_link.as_str());
    let days = get(&app, key, "timeseries", &q(&[("network", "cj")])).await;
    let today = days["rows"].as_array().unwrap().last().unwrap();
    assert_eq!((today["clicks"].as_i64(), today["revenue"].as_str()), (Some(2), Some("12.00")), "{today}");
    assert_eq!(days["rows"].as_array().unwrap().len(), 30);
    let none = get(&app, key, "summary", &q(&[("network", "shareasale")])).await;
    assert_eq!((none["clicks"].as_i64(), none["revenue"].as_str()), (Some(0), Some("0.00")));
    let csv = request(&app, Some(key), "keywords", &q(&[("network", "cj"), ("format", "csv")])).await;
    assert_eq!(csv.status(), 200);
}
