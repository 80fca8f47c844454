//! The reports: behaviour a blogger sees, validation, auth, CSV; the
//! equivalence with the raw tables is in `equivalence`.

pub mod data;
mod equivalence;

use crate::helpers::app::{TestApp, spawn_app};
use chrono::{DateTime, Utc};
use data::{Conversion, add_link, click, insert_clicks, late_match, upsert_conversion};
use rust_decimal::Decimal;
use serde_json::{Value, json};

pub async fn request(
    app: &TestApp,
    key: Option<&str>,
    report: &str,
    query: &[(&str, String)],
) -> reqwest::Response {
    let url = url::Url::parse_with_params(
        &format!("{}/api/v1/reports/{report}", app.address),
        query.iter().map(|(k, v)| (*k, v.as_str())),
    )
    .unwrap();
    let mut request = app.http.get(url);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    request.send().await.unwrap()
}

/// A report that must answer 200; its JSON.
pub async fn get(app: &TestApp, key: &str, report: &str, query: &[(&str, String)]) -> Value {
    let response = request(app, Some(key), report, query).await;
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, 200, "{report} {query:?}: {body}");
    serde_json::from_str(&body).unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn range(from: &str, to: &str) -> Vec<(&'static str, String)> {
    vec![("from", from.to_string()), ("to", to.to_string())]
}

fn dec(s: &str) -> Option<Decimal> {
    Some(s.parse().unwrap())
}

#[tokio::test]
async fn a_sale_counts_on_its_clicks_day_and_a_reversal_takes_it_out() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let client = app.pool.get().await.unwrap();
    let link = add_link(
        &client,
        &site.id,
        "https://shop.test/a",
        "https://blog.test/p/",
        Some("shoes"),
        None,
    )
    .await;
    insert_clicks(
        &client,
        &[
            click(&site.id, &link, "S1", at("2024-02-28T10:00:00Z"), false),
            click(&site.id, &link, "S2", at("2024-02-28T11:00:00Z"), false),
            click(&site.id, &link, "BOT", at("2024-02-28T12:00:00Z"), true),
        ],
    )
    .await;
    let sale = |status: &'static str| Conversion {
        site_id: &site.id,
        session_id: "S1",
        transaction_id: Some("T1"),
        status,
        amount: dec("12.50"),
        converted: true,
        received_at: at("2024-03-02T09:00:00Z"),
    };
    upsert_conversion(&client, &sale("approved")).await;
    // A postback nobody's click matches: revenue, but no keyword's.
    upsert_conversion(
        &client,
        &Conversion {
            site_id: &site.id,
            session_id: "NOBODY",
            transaction_id: Some("T2"),
            status: "approved",
            amount: dec("5"),
            converted: true,
            received_at: at("2024-03-02T10:00:00Z"),
        },
    )
    .await;

    let march = range("2024-02-01", "2024-03-31");
    let summary = get(&app, &site.api_key, "summary", &march).await;
    assert_eq!(summary["revenue"], "17.50");
    assert_eq!(summary["unattributed_revenue"], "5.00");
    assert_eq!(
        (summary["clicks"].as_i64(), summary["bot_clicks"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        (summary["conversions"].as_i64(), summary["sales"].as_i64()),
        (Some(2), Some(2))
    );
    assert_eq!(summary["epc"], "8.75");
    let keywords = get(&app, &site.api_key, "keywords", &march).await;
    assert_eq!(
        keywords["rows"],
        json!([{"keyword": "shoes", "clicks": 2, "conversions": 1, "revenue": "12.50", "epc": "6.25", "conversion_rate": 0.5}])
    );
    let series = get(
        &app,
        &site.api_key,
        "timeseries",
        &range("2024-02-28", "2024-03-02"),
    )
    .await;
    let revenue: Vec<&str> = series["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["revenue"].as_str().unwrap())
        .collect();
    assert_eq!(
        revenue,
        ["12.50", "0.00", "0.00", "5.00"],
        "the sale on the click's day, 28 February"
    );
    assert_eq!(series["rows"][1]["day"], "2024-02-29");
    assert_eq!(series["rows"][1]["clicks"], 0);

    upsert_conversion(&client, &sale("reversed")).await;
    let summary = get(&app, &site.api_key, "summary", &march).await;
    assert_eq!(summary["revenue"], "5.00", "the reversal took 12.50 out");
    assert_eq!(summary["reversed_revenue"], "12.50");
    assert_eq!(summary["conversions"], 1);
    let keywords = get(&app, &site.api_key, "keywords", &march).await;
    assert_eq!(keywords["rows"][0]["revenue"], "0.00");
    assert_eq!(keywords["rows"][0]["conversions"], 0);

    // Days are the site's: 23:30 UTC on 28 February is 29 February in Berlin.
    insert_clicks(
        &client,
        &[click(
            &site.id,
            &link,
            "LATE",
            at("2024-02-28T23:30:00Z"),
            false,
        )],
    )
    .await;
    let day = |d: &str| range(d, d);
    assert_eq!(
        get(&app, &site.api_key, "summary", &day("2024-02-28")).await["clicks"],
        3
    );
    app.update_site(&site, json!({"time_zone": "Europe/Berlin"}))
        .await;
    assert_eq!(
        get(&app, &site.api_key, "summary", &day("2024-02-28")).await["clicks"],
        2
    );
    assert_eq!(
        get(&app, &site.api_key, "summary", &day("2024-02-29")).await["clicks"],
        1
    );
}

#[tokio::test]
async fn a_late_click_moves_its_conversion_from_unattributed_to_its_keyword() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let client = app.pool.get().await.unwrap();
    let link = add_link(
        &client,
        &site.id,
        "https://shop.test/a",
        "https://blog.test/p/",
        None,
        None,
    )
    .await;
    upsert_conversion(
        &client,
        &Conversion {
            site_id: &site.id,
            session_id: "SPOOLED",
            transaction_id: None,
            status: "pending",
            amount: dec("40"),
            converted: true,
            received_at: at("2024-05-03T08:00:00Z"),
        },
    )
    .await;
    let may = range("2024-05-01", "2024-05-31");
    let summary = get(&app, &site.api_key, "summary", &may).await;
    assert_eq!(
        (
            summary["pending_revenue"].as_str(),
            summary["conversions"].as_i64()
        ),
        (Some("40.00"), Some(1))
    );
    assert_eq!(
        get(&app, &site.api_key, "keywords", &may).await["total_rows"],
        0
    );

    insert_clicks(
        &client,
        &[click(
            &site.id,
            &link,
            "SPOOLED",
            at("2024-05-01T20:00:00Z"),
            false,
        )],
    )
    .await;
    assert_eq!(late_match(&client, &site.id).await, 1);
    let keywords = get(&app, &site.api_key, "keywords", &may).await;
    assert_eq!(keywords["rows"][0]["keyword"], "(none)");
    assert_eq!(keywords["rows"][0]["conversions"], 1);
    let series = get(&app, &site.api_key, "timeseries", &may).await;
    assert_eq!(
        series["rows"][0]["conversions"], 1,
        "on the click's day, 1 May"
    );
    assert_eq!(series["rows"][2]["conversions"], 0);
}

#[tokio::test]
async fn every_report_needs_the_sites_key() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    for report in ["summary", "keywords", "pages", "links", "timeseries"] {
        for key in [None, Some("afk_wrong"), Some("")] {
            let response = request(&app, key, report, &[]).await;
            assert_eq!(response.status(), 401, "{report} with {key:?}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"], "unauthorized");
        }
        assert_eq!(
            request(&app, Some(&site.api_key), report, &[])
                .await
                .status(),
            200
        );
    }
}

/// A report, its query, and the parameter the 400 must name.
type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

#[tokio::test]
async fn bad_parameters_are_refused_by_name() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let cases: &[Case] = &[
        ("summary", &[("from", "yesterday")], "from"),
        (
            "keywords",
            &[("from", "2024-03-02"), ("to", "2024-03-01")],
            "from",
        ),
        (
            "pages",
            &[("from", "2020-01-01"), ("to", "2024-01-01")],
            "from",
        ),
        ("links", &[("sort", "password")], "sort"),
        ("keywords", &[("order", "sideways")], "order"),
        ("keywords", &[("limit", "0")], "limit"),
        ("pages", &[("offset", "x")], "offset"),
        ("timeseries", &[("format", "pdf")], "format"),
        ("summary", &[("format", "csv")], "format"),
        ("keywords", &[("color", "red")], "color"),
    ];
    for (report, query, field) in cases {
        let query: Vec<(&str, String)> = query.iter().map(|(k, v)| (*k, v.to_string())).collect();
        let response = request(&app, Some(&site.api_key), report, &query).await;
        assert_eq!(response.status(), 400, "{report} {query:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_field");
        assert_eq!(body["field"], *field, "{report} {query:?}: {body}");
    }
}

#[tokio::test]
async fn csv_is_rfc_4180_and_neutralises_formulas() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let client = app.pool.get().await.unwrap();
    let evil = add_link(
        &client,
        &site.id,
        "https://shop.test/e",
        "https://blog.test/a/",
        Some("=HYPERLINK(\"x\")"),
        None,
    )
    .await;
    let comma = add_link(
        &client,
        &site.id,
        "https://shop.test/c",
        "https://blog.test/b/",
        Some("shoes, \"best\""),
        None,
    )
    .await;
    let minus = add_link(
        &client,
        &site.id,
        "https://shop.test/m",
        "https://blog.test/b/",
        Some("-5 deals"),
        None,
    )
    .await;
    let clicked = at("2024-06-10T12:00:00Z");
    insert_clicks(
        &client,
        &[
            click(&site.id, &evil, "E1", clicked, false),
            click(&site.id, &comma, "C1", clicked, false),
            click(&site.id, &comma, "C2", clicked, false),
            click(&site.id, &minus, "M1", clicked, true),
        ],
    )
    .await;
    upsert_conversion(
        &client,
        &Conversion {
            site_id: &site.id,
            session_id: "C1",
            transaction_id: Some("T"),
            status: "approved",
            amount: dec("1234.5"),
            converted: true,
            received_at: clicked,
        },
    )
    .await;
    let mut query = range("2024-06-01", "2024-06-30");
    query.extend([
        ("format", "csv".to_string()),
        ("sort", "keyword".to_string()),
    ]);
    let response = request(&app, Some(&site.api_key), "keywords", &query).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"affrank-keywords-2024-06-01-2024-06-30.csv\""
    );
    let body = response.text().await.unwrap();
    let mut lines: Vec<&str> = body.split("\r\n").collect();
    assert_eq!(lines.pop(), Some(""), "every line ends with CRLF");
    lines[1..].sort();
    assert_eq!(
        lines,
        [
            "keyword,clicks,conversions,revenue,epc,conversion_rate",
            "\"'=HYPERLINK(\"\"x\"\")\",1,0,0.00,0.00,0",
            "\"shoes, \"\"best\"\"\",2,1,1234.50,617.25,0.5",
            "'-5 deals,0,0,0.00,,",
        ]
    );
    let mut query = range("2024-06-01", "2024-06-30");
    query.push(("format", "csv".to_string()));
    let links = request(&app, Some(&site.api_key), "links", &query)
        .await
        .text()
        .await
        .unwrap();
    assert!(links.starts_with(
        "link_id,url,network,page_url,clicks,conversions,revenue,epc,conversion_rate\r\n"
    ));
    assert_eq!(links.matches("\r\n").count(), 4);
    let series = request(&app, Some(&site.api_key), "timeseries", &query)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        series.matches("\r\n").count(),
        31,
        "a header and every day of June"
    );
}

/// Small click statements wait in `report_click_pending` (migration 0005);
/// the counts must come out the same whichever way they reach the rollups.
async fn rollup_clicks(
    client: &impl deadpool_postgres::GenericClient,
    site_id: &str,
) -> (i64, i64) {
    let row = client
        .query_one(
            "SELECT (SELECT coalesce(sum(clicks), 0)::bigint FROM report_site_day WHERE site_id = $1), \
                    (SELECT count(*) FROM report_click_pending WHERE site_id = $1)",
            &[&site_id],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

#[tokio::test]
async fn small_click_batches_wait_to_be_folded_and_large_ones_apply_at_once() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let mut client = app.pool.get().await.unwrap();
    let link = add_link(
        &client,
        &site.id,
        "https://shop.example/a",
        "https://blog.example/a",
        Some("folding"),
        None,
    )
    .await;
    let now = Utc::now();
    let clicks = |prefix: &str, n: usize| -> Vec<_> {
        (0..n)
            .map(|i| click(&site.id, &link, &format!("{prefix}{i}"), now, false))
            .collect()
    };

    // Inside one transaction nobody else can fold them: they are pending.
    let tx = client.transaction().await.unwrap();
    insert_clicks(&tx, &clicks("small", 40)).await;
    assert_eq!(
        rollup_clicks(&tx, &site.id).await,
        (0, 1),
        "40 clicks in one second, one pending row"
    );
    insert_clicks(&tx, &clicks("large", 1001)).await;
    assert_eq!(
        rollup_clicks(&tx, &site.id).await,
        (1001, 1),
        "over 1,000 apply at once"
    );
    // Any other INSERT (here replay's) is grouped by the trigger, which
    // stands aside only for the writer's own statement (migration 0007).
    let replayed = clicks("replayed", 7);
    let refs: Vec<_> = replayed.iter().collect();
    affrank::clicks::sql::insert_clicks_of_existing_links(&tx, &refs)
        .await
        .unwrap();
    let pending: i64 = tx
        .query_one(
            "SELECT sum(clicks)::bigint FROM report_click_pending WHERE site_id = $1",
            &[&site.id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(pending, 47, "40 from the writer, 7 from the trigger");
    tx.commit().await.unwrap();

    // A report counts them all, folding what is pending first; the
    // background fold may have been quicker: the same either way.
    let today = Utc::now().date_naive().to_string();
    let summary = get(&app, &site.api_key, "summary", &range(&today, &today)).await;
    assert_eq!(summary["clicks"], 1048);
    assert_eq!(rollup_clicks(&client, &site.id).await, (1048, 0));

    // Left alone, pending clicks are folded within a few seconds.
    insert_clicks(&client, &clicks("idle", 3)).await;
    let mut waited = 0;
    while rollup_clicks(&client, &site.id).await != (1051, 0) {
        waited += 1;
        assert!(
            waited < 100,
            "not folded in 10 s: {:?}",
            rollup_clicks(&client, &site.id).await
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_rebuild_counts_pending_clicks_once() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let mut client = app.pool.get().await.unwrap();
    let link = add_link(
        &client,
        &site.id,
        "https://shop.example/r",
        "https://blog.example/r",
        None,
        None,
    )
    .await;
    let now = Utc::now();
    let tx = client.transaction().await.unwrap();
    let rows: Vec<_> = (0..25)
        .map(|i| click(&site.id, &link, &format!("r{i}"), now, false))
        .collect();
    insert_clicks(&tx, &rows).await;
    assert_eq!(rollup_clicks(&tx, &site.id).await, (0, 1));
    // What a time-zone change does: the rebuild recounts `clicks`, these
    // included, so their pending row must go.
    tx.execute("SELECT affrank_report_rebuild($1)", &[&site.id])
        .await
        .unwrap();
    assert_eq!(rollup_clicks(&tx, &site.id).await, (25, 0));
    tx.commit().await.unwrap();
    let fold: i64 = client
        .query_one("SELECT affrank_report_fold(NULL)", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(fold, 0);
    let today = Utc::now().date_naive().to_string();
    let summary = get(&app, &site.api_key, "summary", &range(&today, &today)).await;
    assert_eq!(summary["clicks"], 25);
}
