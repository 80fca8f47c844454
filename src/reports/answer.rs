//! A report's answer for a site and a validated query: the figures read
//! from the rollups, as JSON or CSV.

use super::by_network;
use super::combine;
use super::ledger_sql;
use super::csv::{Cell, Csv};
use super::figures::{self, RowTotals, SiteFigures, SiteTotals};
use super::params::{Format, Report, ReportQuery};
use super::plan::plan;
use super::sql::{self, ListRow};
use super::{Dimension, NO_KEYWORD};
use crate::error::ApiError;
use crate::sites::Site;
use chrono::{Days, NaiveDate};
use serde_json::{Value, json};
use std::str::FromStr;

/// What a report answers with.
pub enum Answer {
    Json(Value),
    /// `name` goes into the file name.
    Csv {
        name: &'static str,
        text: String,
    },
}

/// The validated query, read in the site's time zone.
pub fn read_query(
    site: &Site,
    report: Report,
    query: &[(String, String)],
) -> Result<ReportQuery, ApiError> {
    // The zone was validated when it was saved; UTC if it was edited by hand.
    let zone = chrono_tz::Tz::from_str(&site.settings.time_zone).unwrap_or(chrono_tz::UTC);
    let today = chrono::Utc::now().with_timezone(&zone).date_naive();
    ReportQuery::parse(report, query, today)
}

/// Makes the connection's view of the rollups include every click committed
/// so far: the site's pending clicks are folded in first.
async fn fold_site(client: &deadpool_postgres::Client, site: &Site) -> Result<(), ApiError> {
    sql::fold(client, Some(site.id.as_str())).await?;
    Ok(())
}

/// GET /api/v1/reports/summary
pub async fn summary(
    client: &deadpool_postgres::Client,
    site: &Site,
    q: &ReportQuery,
) -> Result<Answer, ApiError> {
    fold_site(client, site).await?;
    let (totals, page_revenue) = match &q.network {
        None => {
            let totals = sql::summary(
                client,
                site.id.as_str(),
                q.from,
                q.to,
                site.settings.exclude_bots,
            )
            .await?;
            let page = ledger_sql::page_credit_revenue(
                client,
                site.id.as_str(),
                &site.settings.time_zone,
                q.from,
                q.to,
            )
            .await?;
            (totals, page)
        }
        Some(network) => by_network::summary(client, site, q, network).await?,
    };
    let untracked = sql::untracked_clicks(client, site.id.as_str(), q.from, q.to).await?;
    let mut body = serde_json::to_value(SiteFigures::from(&totals)).expect("figures serialise");
    body["coverage"] = coverage(&totals, page_revenue);
    if let Some(network) = &q.network {
        body["network"] = json!(network);
    }
    body["untracked_clicks"] = json!(untracked);
    body["from"] = json!(q.from);
    body["to"] = json!(q.to);
    body["currency"] = json!(site.settings.currency);
    Ok(Answer::Json(body))
}

/// GET /api/v1/reports/timeseries
pub async fn timeseries(
    client: &deadpool_postgres::Client,
    site: &Site,
    q: &ReportQuery,
) -> Result<Answer, ApiError> {
    fold_site(client, site).await?;
    let days = match &q.network {
        None => {
            sql::timeseries(
                client,
                site.id.as_str(),
                q.from,
                q.to,
                site.settings.exclude_bots,
            )
            .await?
        }
        Some(network) => by_network::timeseries(client, site, q, network).await?,
    };
    Ok(match q.format {
        Format::Json => {
            let rows: Vec<Value> = days
                .iter()
                .map(|(day, totals)| {
                    let mut row =
                        serde_json::to_value(SiteFigures::from(totals)).expect("figures serialise");
                    row["day"] = json!(day);
                    row
                })
                .collect();
            Answer::Json(json!({ "rows": rows }))
        }
        Format::Csv => Answer::Csv {
            name: "timeseries",
            text: timeseries_csv(&days),
        },
    })
}

/// GET /api/v1/reports/keywords, /pages, /links
pub async fn list(
    client: &mut deadpool_postgres::Client,
    site: &Site,
    dim: Dimension,
    q: &ReportQuery,
) -> Result<Answer, ApiError> {
    fold_site(client, site).await?;
    // The parts are plain index ranges: no JIT compilation or parallel
    // workers, whose start-up costs more than reading them.
    let tx = client.transaction().await?;
    tx.batch_execute("SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0")
        .await?;
    let sums = match &q.network {
        None => parts(&tx, site, dim, q).await?,
        Some(network) => by_network::list_sums(&tx, site, dim, q, network).await?,
    };
    let ranks = if combine::needs_labels(q.sort) {
        Some(sql::label_ranks(&tx, site.id.as_str(), dim, q.sort).await?)
    } else {
        None
    };
    let (total, page) = combine::page(
        sums.rows(site.settings.exclude_bots),
        q.sort,
        q.order,
        ranks.as_ref(),
        q.offset,
        q.limit,
    );
    let rows = sql::with_labels(&tx, page).await?;
    tx.commit().await?;
    Ok(match q.format {
        Format::Json => {
            let rows: Vec<Value> = rows.iter().map(|row| list_json(dim, row)).collect();
            Answer::Json(json!({ "rows": rows, "total_rows": total }))
        }
        Format::Csv => Answer::Csv {
            name: dim.name(),
            text: list_csv(dim, &rows),
        },
    })
}

/// The rollup figures of every key of `dim` over the query's range, read
/// the cheapest way the plan finds.
pub(super) async fn parts(
    client: &impl deadpool_postgres::GenericClient,
    site: &Site,
    dim: Dimension,
    q: &ReportQuery,
) -> Result<combine::Accumulator, ApiError> {
    let sealed = sql::sealed(client, site.id.as_str(), dim).await?;
    let end =
        q.to.checked_add_days(Days::new(1))
            .ok_or_else(|| ApiError::invalid("to", "is too late"))?;
    let plan = match sealed {
        Some((sealed, checkpoint_days)) => plan(q.from, end, Some(sealed), checkpoint_days),
        None => plan(q.from, end, None, 0.0),
    };
    Ok(sql::list_parts(client, site.id.as_str(), dim, &plan).await?)
}

/// How much of the revenue was credited to a click, to a page only, and to
/// nothing; the three add up to `revenue`.
fn coverage(totals: &SiteTotals, page: rust_decimal::Decimal) -> Value {
    let none = totals.unattributed_revenue;
    json!({
        "click": figures::money(totals.revenue - page - none),
        "page": figures::money(page),
        "none": figures::money(none),
    })
}

fn label(dim: Dimension, row: &ListRow) -> &str {
    match dim {
        Dimension::Keyword if row.key.is_empty() => NO_KEYWORD,
        _ => &row.key,
    }
}

fn list_json(dim: Dimension, row: &ListRow) -> Value {
    let mut map = serde_json::Map::new();
    match dim {
        Dimension::Keyword => {
            map.insert("keyword".into(), json!(label(dim, row)));
        }
        Dimension::Page => {
            map.insert("page_url".into(), json!(row.key));
        }
        Dimension::Link => {
            map.insert("link_id".into(), json!(row.key));
            map.insert("url".into(), json!(row.url));
            map.insert("network".into(), json!(row.network));
            map.insert("page_url".into(), json!(row.page_url));
        }
    }
    map.extend(figures::row_json(&row.totals));
    Value::Object(map)
}

pub(super) fn figure_cells(totals: &RowTotals) -> [Cell<'static>; 5] {
    [
        Cell::Number(totals.clicks.to_string()),
        Cell::Number(totals.conversions.to_string()),
        Cell::Number(figures::money(totals.revenue)),
        optional(figures::epc(totals.revenue, totals.clicks).map(figures::money)),
        optional(
            figures::conversion_rate(totals.conversions, totals.clicks).map(|r| r.to_string()),
        ),
    ]
}

fn text(value: &Option<String>) -> Cell<'_> {
    value.as_deref().map_or(Cell::Empty, Cell::Text)
}

fn optional(value: Option<String>) -> Cell<'static> {
    value.map_or(Cell::Empty, Cell::Number)
}

const FIGURES: [&str; 5] = ["clicks", "conversions", "revenue", "epc", "conversion_rate"];

fn list_csv(dim: Dimension, rows: &[ListRow]) -> String {
    let labels: &[&str] = match dim {
        Dimension::Keyword => &["keyword"],
        Dimension::Page => &["page_url"],
        Dimension::Link => &["link_id", "url", "network", "page_url"],
    };
    let header: Vec<&str> = labels.iter().chain(FIGURES.iter()).copied().collect();
    let mut csv = Csv::new(&header);
    for row in rows {
        let mut cells = match dim {
            Dimension::Link => vec![
                Cell::Text(&row.key),
                text(&row.url),
                text(&row.network),
                text(&row.page_url),
            ],
            _ => vec![Cell::Text(label(dim, row))],
        };
        cells.extend(figure_cells(&row.totals));
        csv.row(cells);
    }
    csv.finish()
}

fn timeseries_csv(days: &[(NaiveDate, SiteTotals)]) -> String {
    let mut csv = Csv::new(&[
        "day",
        "clicks",
        "bot_clicks",
        "conversions",
        "sales",
        "leads",
        "revenue",
        "pending_revenue",
        "reversed_revenue",
        "unattributed_revenue",
        "epc",
        "conversion_rate",
    ]);
    for (day, totals) in days {
        let f = SiteFigures::from(totals);
        csv.row([
            Cell::Number(day.to_string()),
            Cell::Number(f.clicks.to_string()),
            Cell::Number(f.bot_clicks.to_string()),
            Cell::Number(f.conversions.to_string()),
            Cell::Number(f.sales.to_string()),
            Cell::Number(f.leads.to_string()),
            Cell::Number(f.revenue),
            Cell::Number(f.pending_revenue),
            Cell::Number(f.reversed_revenue),
            Cell::Number(f.unattributed_revenue),
            optional(f.epc),
            optional(f.conversion_rate.map(|r| r.to_string())),
        ]);
    }
    csv.finish()
}
