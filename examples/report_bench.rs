//! The measuring half of `bench/reports.sh`: p50/p95 of every report
//! endpoint over HTTP for a 30-day and a 365-day range, beside the same
//! report computed from the raw tables (`affrank::reports::raw`) in the
//! same run, and a check that both give the same figures.
//!
//!   report_bench SIDECAR_URL API_KEY DATABASE_URL SITE_ID LAST_DAY [REQUESTS]

use affrank::reports::raw::{self, RawSite};
use affrank::reports::{Dimension, NO_KEYWORD};
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;
use std::time::Instant;

const RAW_RUNS: usize = 3;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    anyhow::ensure!(
        args.len() >= 6,
        "usage: report_bench SIDECAR_URL API_KEY DATABASE_URL SITE_ID LAST_DAY [REQUESTS]"
    );
    let (base, key, db, site_id) = (&args[1], &args[2], &args[3], &args[4]);
    let last = NaiveDate::from_str(&args[5])?;
    let requests: usize = args.get(6).map_or(Ok(60), |n| n.parse())?;
    let http = reqwest::Client::new();
    let pool = affrank::db::pool(db, 2)?;
    let client = pool.get().await?;
    let row = client
        .query_one(
            "SELECT time_zone, exclude_bots FROM sites WHERE id = $1",
            &[site_id],
        )
        .await?;
    let (zone, exclude_bots): (String, bool) = (row.get(0), row.get(1));
    let site = RawSite {
        site_id,
        time_zone: &zone,
        exclude_bots,
    };

    println!(
        "{:<11} {:>6} {:>10} {:>10} {:>12} {:>9}  {:<10} same figures",
        "report", "range", "API p50", "API p95", "raw tables", "raw/p50", "p95 < 50ms"
    );
    let mut all_met = true;
    let mut all_equal = true;
    for days in [30, 365] {
        let from = last - Duration::days(days - 1);
        for report in ["summary", "timeseries", "keywords", "pages", "links"] {
            let url = format!("{base}/api/v1/reports/{report}?from={from}&to={last}");
            let mut times = Vec::with_capacity(requests);
            let mut body = Value::Null;
            for i in 0..requests + 3 {
                let started = Instant::now();
                let response = http.get(&url).bearer_auth(key).send().await?;
                anyhow::ensure!(response.status() == 200, "{url}: {}", response.status());
                body = response.json().await?;
                if i >= 3 {
                    times.push(started.elapsed().as_secs_f64() * 1000.0);
                }
            }
            times.sort_by(f64::total_cmp);
            let (p50, p95) = (percentile(&times, 50.0), percentile(&times, 95.0));

            let mut raw_times = Vec::new();
            let mut equal = true;
            for _ in 0..RAW_RUNS {
                let started = Instant::now();
                equal = compare(&client, &site, report, from, last, &body).await?;
                raw_times.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            raw_times.sort_by(f64::total_cmp);
            let raw_ms = raw_times[RAW_RUNS / 2];
            let met = p95 < 50.0;
            all_met &= met;
            all_equal &= equal;
            println!(
                "{:<11} {:>5}d {:>8.1}ms {:>8.1}ms {:>10.0}ms {:>8.0}x  {:<10} {}",
                report,
                days,
                p50,
                p95,
                raw_ms,
                raw_ms / p50,
                if met { "met" } else { "MISSED" },
                if equal { "yes" } else { "NO" }
            );
        }
    }
    println!(
        "{} requests per report after 3 warm-ups, one at a time; raw: median of {RAW_RUNS} runs of the plain SQL over clicks and conversions",
        requests
    );
    println!(
        "target p95 < 50 ms: {}; figures equal to the raw tables: {}",
        if all_met {
            "met by every report"
        } else {
            "MISSED"
        },
        if all_equal { "yes" } else { "NO" }
    );
    anyhow::ensure!(all_equal, "a report disagrees with the raw tables");
    Ok(())
}

fn money(value: &Value) -> Decimal {
    value
        .as_str()
        .and_then(|s| Decimal::from_str(s).ok())
        .unwrap_or(Decimal::MIN)
}

/// Computes the report from the raw tables (that is what is timed) and
/// checks the API's answer against it: every summary and timeseries
/// figure, and for lists the row count and every row the API returned.
async fn compare(
    client: &deadpool_postgres::Client,
    site: &RawSite<'_>,
    report: &str,
    from: NaiveDate,
    to: NaiveDate,
    api: &Value,
) -> anyhow::Result<bool> {
    let dim = match report {
        "summary" => {
            let t = raw::summary(client, site, from, to).await?;
            return Ok(api["clicks"] == t.clicks
                && api["conversions"] == t.sales + t.leads
                && money(&api["revenue"]) == t.revenue
                && money(&api["unattributed_revenue"]) == t.unattributed_revenue
                && money(&api["reversed_revenue"]) == t.reversed_revenue);
        }
        "timeseries" => {
            let days = raw::timeseries(client, site, from, to).await?;
            let rows = api["rows"].as_array().cloned().unwrap_or_default();
            return Ok(rows.len() == days.len()
                && rows.iter().zip(&days).all(|(row, (day, t))| {
                    row["day"] == day.to_string()
                        && row["clicks"] == t.clicks
                        && money(&row["revenue"]) == t.revenue
                }));
        }
        "keywords" => Dimension::Keyword,
        "pages" => Dimension::Page,
        _ => Dimension::Link,
    };
    let rows = raw::list(client, site, dim, from, to).await?;
    let label = match dim {
        Dimension::Keyword => "keyword",
        Dimension::Page => "page_url",
        Dimension::Link => "link_id",
    };
    let by_key: std::collections::HashMap<&str, _> =
        rows.iter().map(|r| (r.key.as_str(), &r.totals)).collect();
    let api_rows = api["rows"].as_array().cloned().unwrap_or_default();
    Ok(api["total_rows"] == rows.len()
        && !api_rows.is_empty()
        && api_rows.iter().all(|row| {
            let key = row[label].as_str().unwrap_or_default();
            let key = if dim == Dimension::Keyword && key == NO_KEYWORD {
                ""
            } else {
                key
            };
            by_key.get(key).is_some_and(|t| {
                row["clicks"] == t.clicks
                    && row["conversions"] == t.conversions
                    && money(&row["revenue"]) == t.revenue
            })
        }))
}
