//! Postbacks through the real server: every outcome of DESIGN.md, every
//! alias, GET, form and JSON, the log, currencies, flags and hostile input.

mod aliases;
mod amounts_and_currencies;
mod hostile;
mod lifecycle;
mod log;
mod outcomes;
mod transport;

use crate::helpers::app::{TestApp, TestSite};
use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;

pub fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

pub async fn conversion(app: &TestApp, site: &TestSite) -> tokio_postgres::Row {
    let client = app.pool.get().await.unwrap();
    client
        .query_one(
            "SELECT status, amount, currency, amount_site, unconverted, is_lead, link_id, \
             keyword, page_url, clicked_at IS NOT NULL, fast_conversion, bot_click, event, \
             transaction_id, session_id FROM conversions WHERE site_id = $1",
            &[&site.id],
        )
        .await
        .unwrap()
}

pub async fn log_rows(app: &TestApp, site: &TestSite, query: &str) -> Vec<Value> {
    let response = app
        .api_get(&site.api_key, &format!("/api/v1/postbacks/log?{query}"))
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["rows"].as_array().unwrap().clone()
}
