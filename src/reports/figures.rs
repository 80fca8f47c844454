//! The figures of DESIGN.md, from the counts the rollups hold.
//!
//! - clicks: billable clicks (not flagged as bots, or every click when the
//!   site counts bots);
//! - conversions: approved or pending (rejected and reversed ones are not
//!   conversions); sales and leads split them by `is_lead`;
//! - revenue: the approved amount in the site's currency; an amount with no
//!   rate to the site's currency counts nothing (`unconverted_conversions`);
//! - EPC = revenue / clicks, conversion rate = conversions / clicks; both
//!   null when there is no billable click (no number would be true).

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Value, json};

/// One keyword, page or link over a range.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RowTotals {
    /// Billable clicks.
    pub clicks: i64,
    pub conversions: i64,
    pub revenue: Decimal,
}

/// A site over a range, or over one day.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SiteTotals {
    pub clicks: i64,
    pub bot_clicks: i64,
    pub sales: i64,
    pub leads: i64,
    pub unconverted: i64,
    pub revenue: Decimal,
    pub pending_revenue: Decimal,
    pub reversed_revenue: Decimal,
    pub unattributed_revenue: Decimal,
}

impl SiteTotals {
    pub fn conversions(&self) -> i64 {
        self.sales + self.leads
    }
}

pub fn epc(revenue: Decimal, clicks: i64) -> Option<Decimal> {
    (clicks > 0).then(|| (revenue / Decimal::from(clicks)).round_dp(4))
}

pub fn conversion_rate(conversions: i64, clicks: i64) -> Option<f64> {
    (clicks > 0).then(|| conversions as f64 / clicks as f64)
}

/// Exact, with at least two decimals: "12.50", "0.00", "3.1415".
pub fn money(amount: Decimal) -> String {
    let mut amount = amount.normalize();
    if amount.scale() < 2 {
        amount.rescale(2);
    }
    amount.to_string()
}

/// The figures every row has, as JSON fields.
pub fn row_json(totals: &RowTotals) -> serde_json::Map<String, Value> {
    let mut map = serde_json::Map::new();
    map.insert("clicks".into(), json!(totals.clicks));
    map.insert("conversions".into(), json!(totals.conversions));
    map.insert("revenue".into(), json!(money(totals.revenue)));
    map.insert(
        "epc".into(),
        json!(epc(totals.revenue, totals.clicks).map(money)),
    );
    map.insert(
        "conversion_rate".into(),
        json!(conversion_rate(totals.conversions, totals.clicks)),
    );
    map
}

/// Summary and timeseries figures.
#[derive(Serialize)]
pub struct SiteFigures {
    pub clicks: i64,
    pub bot_clicks: i64,
    pub conversions: i64,
    pub sales: i64,
    pub leads: i64,
    pub unconverted_conversions: i64,
    pub revenue: String,
    pub pending_revenue: String,
    pub reversed_revenue: String,
    pub unattributed_revenue: String,
    pub epc: Option<String>,
    pub conversion_rate: Option<f64>,
}

impl From<&SiteTotals> for SiteFigures {
    fn from(t: &SiteTotals) -> Self {
        Self {
            clicks: t.clicks,
            bot_clicks: t.bot_clicks,
            conversions: t.conversions(),
            sales: t.sales,
            leads: t.leads,
            unconverted_conversions: t.unconverted,
            revenue: money(t.revenue),
            pending_revenue: money(t.pending_revenue),
            reversed_revenue: money(t.reversed_revenue),
            unattributed_revenue: money(t.unattributed_revenue),
            epc: epc(t.revenue, t.clicks).map(money),
            conversion_rate: conversion_rate(t.conversions(), t.clicks),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn money_is_exact_with_at_least_two_decimals() {
        assert_eq!(money(d("0")), "0.00");
        assert_eq!(money(d("13.5000")), "13.50");
        assert_eq!(money(d("12.345")), "12.345");
        assert_eq!(money(d("1000")), "1000.00");
    }

    #[test]
    fn epc_and_rate_need_a_billable_click() {
        assert_eq!(epc(d("10"), 3), Some(d("3.3333")));
        assert_eq!(epc(d("10"), 0), None);
        assert_eq!(conversion_rate(1, 4), Some(0.25));
        assert_eq!(conversion_rate(1, 0), None);
    }
}
