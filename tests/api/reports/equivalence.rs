//! Every figure of every report, from the rollups through the API, equals
//! the figure computed straight from `clicks` and `conversions`
//! (`affrank::reports::raw`), on seeded random data: fresh, with sealed
//! checkpoints, after status changes, reversals, deletions and late
//! matches, and after time-zone and bot-setting changes.

use super::data::Dataset;
use super::get;
use crate::helpers::app::{TestApp, TestSite, spawn_app};
use affrank::reports::figures::SiteTotals;
use affrank::reports::raw::{self, RawSite};
use affrank::reports::sql::ListRow;
use affrank::reports::{Dimension, NO_KEYWORD, sealer, sql};
use chrono::{Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::str::FromStr;

fn decimal(value: &Value) -> Decimal {
    Decimal::from_str(
        value
            .as_str()
            .unwrap_or_else(|| panic!("{value} is a string")),
    )
    .unwrap()
}

/// EPC and conversion rate from the raw counts, computed here.
fn check_rates(api: &Value, clicks: i64, conversions: i64, revenue: Decimal, ctx: &str) {
    if clicks == 0 {
        assert!(
            api["epc"].is_null() && api["conversion_rate"].is_null(),
            "{ctx}: {api}"
        );
        return;
    }
    let epc = (revenue / Decimal::from(clicks)).round_dp(4);
    assert_eq!(decimal(&api["epc"]), epc, "{ctx}: epc");
    let rate = api["conversion_rate"].as_f64().unwrap();
    assert!(
        (rate - conversions as f64 / clicks as f64).abs() < 1e-12,
        "{ctx}: rate"
    );
}

fn check_site(api: &Value, raw: &SiteTotals, ctx: &str) {
    let int = |name: &str| {
        api[name]
            .as_i64()
            .unwrap_or_else(|| panic!("{ctx}: {name} in {api}"))
    };
    assert_eq!(int("clicks"), raw.clicks, "{ctx}: clicks");
    assert_eq!(int("bot_clicks"), raw.bot_clicks, "{ctx}: bot_clicks");
    assert_eq!(
        int("conversions"),
        raw.sales + raw.leads,
        "{ctx}: conversions"
    );
    assert_eq!(int("sales"), raw.sales, "{ctx}: sales");
    assert_eq!(int("leads"), raw.leads, "{ctx}: leads");
    assert_eq!(
        int("unconverted_conversions"),
        raw.unconverted,
        "{ctx}: unconverted"
    );
    assert_eq!(decimal(&api["revenue"]), raw.revenue, "{ctx}: revenue");
    assert_eq!(
        decimal(&api["pending_revenue"]),
        raw.pending_revenue,
        "{ctx}: pending"
    );
    assert_eq!(
        decimal(&api["reversed_revenue"]),
        raw.reversed_revenue,
        "{ctx}: reversed"
    );
    assert_eq!(
        decimal(&api["unattributed_revenue"]),
        raw.unattributed_revenue,
        "{ctx}: unattributed"
    );
    check_rates(api, raw.clicks, raw.sales + raw.leads, raw.revenue, ctx);
}

fn check_row(dim: Dimension, api: &Value, raw: &ListRow, ctx: &str) {
    let ctx = format!("{ctx}: {} {}", dim.name(), raw.key);
    match dim {
        Dimension::Keyword => {
            let label = if raw.key.is_empty() {
                NO_KEYWORD
            } else {
                &raw.key
            };
            assert_eq!(api["keyword"], label, "{ctx}");
        }
        Dimension::Page => assert_eq!(api["page_url"], raw.key.as_str(), "{ctx}"),
        Dimension::Link => {
            assert_eq!(api["link_id"], raw.key.as_str(), "{ctx}");
            assert_eq!(api["url"], json!(raw.url), "{ctx}");
            assert_eq!(api["page_url"], json!(raw.page_url), "{ctx}");
            assert_eq!(api["network"], json!(raw.network), "{ctx}");
        }
    }
    assert_eq!(
        api["clicks"].as_i64().unwrap(),
        raw.totals.clicks,
        "{ctx}: clicks"
    );
    assert_eq!(
        api["conversions"].as_i64().unwrap(),
        raw.totals.conversions,
        "{ctx}"
    );
    assert_eq!(
        decimal(&api["revenue"]),
        raw.totals.revenue,
        "{ctx}: revenue"
    );
    check_rates(
        api,
        raw.totals.clicks,
        raw.totals.conversions,
        raw.totals.revenue,
        &ctx,
    );
}

fn label_of(dim: Dimension) -> &'static str {
    match dim {
        Dimension::Keyword => "keyword",
        Dimension::Page => "page_url",
        Dimension::Link => "link_id",
    }
}

async fn assert_reports_match(
    app: &TestApp,
    site: &TestSite,
    ranges: &[(NaiveDate, NaiveDate)],
    stage: &str,
) {
    let client = app.pool.get().await.unwrap();
    let row = client
        .query_one(
            "SELECT time_zone, exclude_bots FROM sites WHERE id = $1",
            &[&site.id],
        )
        .await
        .unwrap();
    let (zone, exclude_bots): (String, bool) = (row.get(0), row.get(1));
    let raw_site = RawSite {
        site_id: &site.id,
        time_zone: &zone,
        exclude_bots,
    };
    for &(from, to) in ranges {
        let ctx = format!("{stage}, {from}..{to} in {zone}");
        let range = [("from", from.to_string()), ("to", to.to_string())];

        let api = get(app, &site.api_key, "summary", &range).await;
        check_site(
            &api,
            &raw::summary(&client, &raw_site, from, to).await.unwrap(),
            &ctx,
        );
        assert_eq!(api["from"], from.to_string());
        assert_eq!(api["currency"], "USD");

        let api = get(app, &site.api_key, "timeseries", &range).await;
        let expected = raw::timeseries(&client, &raw_site, from, to).await.unwrap();
        let rows = api["rows"].as_array().unwrap();
        assert_eq!(
            rows.len() as i64,
            (to - from).num_days() + 1,
            "{ctx}: every day"
        );
        for (row, (day, raw)) in rows.iter().zip(&expected) {
            assert_eq!(row["day"], day.to_string(), "{ctx}");
            check_site(row, raw, &format!("{ctx}, day {day}"));
        }

        for dim in [Dimension::Keyword, Dimension::Page, Dimension::Link] {
            let mut query = range.to_vec();
            query.extend([
                ("sort", label_of(dim).to_string()),
                ("limit", "1000".to_string()),
            ]);
            let api = get(app, &site.api_key, dim.name(), &query).await;
            let expected = raw::list(&client, &raw_site, dim, from, to).await.unwrap();
            let rows = api["rows"].as_array().unwrap();
            assert_eq!(
                api["total_rows"].as_u64().unwrap() as usize,
                expected.len(),
                "{ctx}: {}",
                dim.name()
            );
            assert_eq!(rows.len(), expected.len(), "{ctx}: {}", dim.name());
            let key_of = |row: &Value| -> String {
                match dim {
                    Dimension::Keyword if row["keyword"] == NO_KEYWORD => String::new(),
                    _ => row[label_of(dim)].as_str().unwrap().to_owned(),
                }
            };
            for raw_row in &expected {
                let api_row = rows
                    .iter()
                    .find(|row| key_of(row) == raw_row.key)
                    .unwrap_or_else(|| {
                        panic!("{ctx}: {} {:?} is missing", dim.name(), raw_row.key)
                    });
                check_row(dim, api_row, raw_row, &ctx);
            }
        }
    }
}

/// Sorted by revenue, best first, and a page of it is a slice of the whole.
async fn assert_sorted_and_paged(app: &TestApp, site: &TestSite, from: NaiveDate, to: NaiveDate) {
    for (sort, order) in [
        ("revenue", "desc"),
        ("clicks", "asc"),
        ("epc", "desc"),
        ("conversion_rate", "asc"),
        ("url", "asc"),
        ("network", "desc"),
    ] {
        let query = |limit: &str, offset: &str| {
            vec![
                ("from", from.to_string()),
                ("to", to.to_string()),
                ("sort", sort.to_string()),
                ("order", order.to_string()),
                ("limit", limit.to_string()),
                ("offset", offset.to_string()),
            ]
        };
        let all = get(app, &site.api_key, "links", &query("1000", "0")).await;
        let all = all["rows"].as_array().unwrap().clone();
        let value = |row: &Value| -> Option<f64> {
            match &row[sort] {
                Value::Null => None,
                Value::String(s) => Some(s.parse().unwrap()),
                v => v.as_f64(),
            }
        };
        // Text sorts follow the database's collation; check their pages only.
        let numeric = !matches!(sort, "url" | "network");
        for pair in all.windows(2).filter(|_| numeric) {
            let (a, b) = (value(&pair[0]), value(&pair[1]));
            let ordered = match (a, b) {
                (Some(a), Some(b)) if order == "desc" => a >= b,
                (Some(a), Some(b)) => a <= b,
                (Some(_), None) | (None, None) => true,
                (None, Some(_)) => false,
            };
            assert!(ordered, "{sort} {order}: {} then {}", pair[0], pair[1]);
        }
        let page = get(app, &site.api_key, "links", &query("4", "3")).await;
        let expected: Vec<Value> = all.iter().skip(3).take(4).cloned().collect();
        assert_eq!(
            page["rows"].as_array().unwrap(),
            &expected,
            "{sort} {order} page"
        );
        assert_eq!(page["total_rows"].as_u64().unwrap() as usize, all.len());
    }
}

async fn scenario(seed: u64, first_zone: &str, second_zone: &str) {
    let app = spawn_app().await;
    let site = app.add_site().await;
    app.update_site(&site, json!({"time_zone": first_zone}))
        .await;
    let client = app.pool.get().await.unwrap();
    let mut data = Dataset::generate(&client, &site.id, seed).await;
    let start = data.start.date_naive();
    let today = Utc::now().date_naive();
    let day = |n: i64| start + Duration::days(n);
    // Ranges ending today, starting where a recent window starts (the
    // last Monday, four weeks before it), and others anywhere.
    let monday = affrank::reports::plan::monday_of(today);
    // The plugin's presets end on the site's own today: a recent window
    // (migration 0006) and that day's rows.
    let local_today: NaiveDate = client
        .query_one(
            "SELECT (now() AT TIME ZONE time_zone)::date FROM sites WHERE id = $1",
            &[&site.id],
        )
        .await
        .unwrap()
        .get(0);
    let preset = |days: i64| (local_today - Duration::days(days - 1), local_today);
    let ranges = [
        (day(-2), today),
        (day(10), day(10)),
        (day(3), day(50)),
        (day(17), day(38)),
        (day(20), today),
        (monday - Duration::days(28), today),
        (monday - Duration::days(7), today),
        (monday - Duration::days(29), monday - Duration::days(1)),
        preset(7),
        preset(30),
        preset(90),
        preset(365),
        (
            local_today - Duration::days(30),
            local_today - Duration::days(1),
        ),
    ];
    assert_reports_match(&app, &site, &ranges, "fresh").await;

    // The sidecar's own sealer may have sealed some weeks already (it
    // starts 5 s after the app): count what the table holds, not what this
    // call did.
    sealer::seal_all(&client).await.unwrap();
    let weeks: i64 = client
        .query_one(
            "SELECT count(DISTINCT week) FROM report_checkpoint WHERE site_id = $1",
            &[&site.id],
        )
        .await
        .unwrap()
        .get(0);
    assert!(weeks >= 9, "{weeks} weeks sealed");
    let recent = sql::recent_through(&client, &site.id).await.unwrap();
    assert_eq!(recent, Some(local_today), "windows end at the site's today");
    assert_reports_match(&app, &site, &ranges, "sealed").await;
    assert_sorted_and_paged(&app, &site, day(0), today).await;

    // Windows a day old (the minutes after the site's midnight) still
    // answer exactly, with one more day of rows.
    let yesterday = local_today - Duration::days(1);
    assert!(
        sql::refresh_recent(&client, &site.id, yesterday)
            .await
            .unwrap()
    );
    assert_reports_match(&app, &site, &ranges[8..], "windows a day old").await;
    sealer::seal_all(&client).await.unwrap();
    assert_eq!(
        sql::recent_through(&client, &site.id).await.unwrap(),
        Some(local_today),
        "the sealer moves the windows to today"
    );

    data.change_statuses(&client).await;
    data.late_clicks(&client, seed).await;
    client
        .execute(
            "DELETE FROM conversions WHERE id IN (SELECT id FROM conversions WHERE site_id = $1 ORDER BY id LIMIT 3)",
            &[&site.id],
        )
        .await
        .unwrap();
    assert_reports_match(
        &app,
        &site,
        &ranges,
        "after status changes, late matches, deletions",
    )
    .await;

    app.update_site(&site, json!({"time_zone": second_zone}))
        .await;
    assert_reports_match(&app, &site, &ranges, "after a zone change").await;
    sealer::seal_all(&client).await.unwrap();
    assert_reports_match(&app, &site, &ranges, "after a zone change, sealed").await;

    app.update_site(&site, json!({"exclude_bots": false})).await;
    assert_reports_match(&app, &site, &ranges[..2], "counting bots").await;
}

#[tokio::test]
async fn reports_equal_the_raw_tables_seed_1() {
    scenario(1, "UTC", "America/New_York").await;
}

#[tokio::test]
async fn reports_equal_the_raw_tables_seed_2() {
    scenario(2, "Asia/Kolkata", "UTC").await;
}

#[tokio::test]
async fn reports_equal_the_raw_tables_seed_3() {
    // +12:45/+13:45: a zone no hourly rollup could serve.
    scenario(3, "Pacific/Chatham", "Europe/Berlin").await;
}
