//! Reports by network: the networks report, and every other report with a
//! `network=` filter.
//!
//! The rollups keep no network. Clicks come from the link rollup, read by
//! the same plan as the links report (every click is on a link, and a link
//! has one network, page and keyword, so a link's figures regroup by
//! keyword or page exactly); conversions that no link holds (unattributed,
//! or credited to a page without a link) and the figures the link rollup
//! lacks (sales, leads, pending and reversed revenue, sources) come from
//! `conversions` by site and day (`ledger_sql`). A link's conversions count
//! under the link's network.

use super::answer::{self, Answer};
use super::combine::{self, Accumulator, KeyFigures, KeyRow, LabelRanks};
use super::csv::{Cell, Csv};
use super::figures::{self, RowTotals, SiteTotals};
use super::ledger_sql::{self, ConversionSums};
use super::params::{Format, ReportQuery};
use super::Dimension;
use crate::error::ApiError;
use crate::sites::Site;
use chrono::{Days, NaiveDate};
use deadpool_postgres::GenericClient;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};

/// `conversions.source`'s values, in the order the report shows them.
pub const SOURCES: [&str; 5] = ["postback", "import", "api", "clickbank_ins", "manual"];

fn totals(clicks: i64, bot_clicks: i64, exclude_bots: bool, c: &ConversionSums) -> SiteTotals {
    SiteTotals {
        clicks: if exclude_bots {
            clicks
        } else {
            clicks + bot_clicks
        },
        bot_clicks,
        sales: c.sales,
        leads: c.leads,
        unconverted: c.unconverted,
        revenue: c.revenue,
        pending_revenue: c.pending_revenue,
        reversed_revenue: c.reversed_revenue,
        unattributed_revenue: c.unattributed_revenue,
    }
}

/// The summary of one network's clicks and conversions, and the revenue it
/// credited to pages only (for the coverage).
pub async fn summary(
    client: &impl GenericClient,
    site: &Site,
    q: &ReportQuery,
    network: &str,
) -> Result<(SiteTotals, Decimal), ApiError> {
    let keys: HashSet<i32> = ledger_sql::link_keys(client, site.id.as_str(), Some(network))
        .await?
        .iter()
        .map(|k| k.key_id)
        .collect();
    let (mut clicks, mut bot_clicks) = (0, 0);
    for (key_id, f) in answer::parts(client, site, Dimension::Link, q)
        .await?
        .entries()
    {
        if keys.contains(&key_id) {
            clicks += f.clicks;
            bot_clicks += f.bot_clicks;
        }
    }
    let mut sums = ConversionSums::default();
    for day in ledger_sql::conversion_days(
        client,
        site.id.as_str(),
        &site.settings.time_zone,
        q.from,
        q.to,
        network,
    )
    .await?
    .values()
    {
        sums.add(day);
    }
    Ok((
        totals(clicks, bot_clicks, site.settings.exclude_bots, &sums),
        sums.page_revenue,
    ))
}

/// One network's figures on every day of the range.
pub async fn timeseries(
    client: &impl GenericClient,
    site: &Site,
    q: &ReportQuery,
    network: &str,
) -> Result<Vec<(NaiveDate, SiteTotals)>, ApiError> {
    let keys: Vec<i32> = ledger_sql::link_keys(client, site.id.as_str(), Some(network))
        .await?
        .iter()
        .map(|k| k.key_id)
        .collect();
    let clicks =
        ledger_sql::link_day_clicks(client, site.id.as_str(), q.from, q.to, &keys).await?;
    let conversions = ledger_sql::conversion_days(
        client,
        site.id.as_str(),
        &site.settings.time_zone,
        q.from,
        q.to,
        network,
    )
    .await?;
    let none = ConversionSums::default();
    let mut days = Vec::new();
    let mut day = q.from;
    while day <= q.to {
        let (c, b) = clicks.get(&day).copied().unwrap_or((0, 0));
        let v = conversions.get(&day).unwrap_or(&none);
        days.push((day, totals(c, b, site.settings.exclude_bots, v)));
        day = day
            .checked_add_days(Days::new(1))
            .ok_or_else(|| ApiError::invalid("to", "is too late"))?;
    }
    Ok(days)
}

/// A keyword, page or link list's sums for one network, keyed as the
/// unfiltered list's are (so sorting, labels and paging are the same).
pub async fn list_sums(
    client: &impl GenericClient,
    site: &Site,
    dim: Dimension,
    q: &ReportQuery,
    network: &str,
) -> Result<Accumulator, ApiError> {
    let keys: HashMap<i32, ledger_sql::LinkKey> =
        ledger_sql::link_keys(client, site.id.as_str(), Some(network))
            .await?
            .into_iter()
            .map(|k| (k.key_id, k))
            .collect();
    let links = answer::parts(client, site, Dimension::Link, q).await?;
    let mut sums = Accumulator::with_capacity(keys.len());
    if dim == Dimension::Link {
        for (key_id, f) in links.entries() {
            if keys.contains_key(&key_id) {
                sums.add(key_id, 1, &f);
            }
        }
        return Ok(sums);
    }
    let mut by_text: HashMap<String, KeyFigures> = HashMap::new();
    for (key_id, f) in links.entries() {
        if let Some(link) = keys.get(&key_id) {
            let text = match dim {
                Dimension::Keyword => &link.keyword,
                _ => &link.page_url,
            };
            add(by_text.entry(text.clone()).or_default(), &f);
        }
    }
    for (text, conversions, others, revenue) in ledger_sql::unlinked_page_credits(
        client,
        site.id.as_str(),
        &site.settings.time_zone,
        q.from,
        q.to,
        network,
        dim == Dimension::Keyword,
    )
    .await?
    {
        add(
            by_text.entry(text).or_default(),
            &KeyFigures {
                conversions,
                others,
                revenue,
                ..KeyFigures::default()
            },
        );
    }
    let texts: Vec<&str> = by_text.keys().map(String::as_str).collect();
    let ids = ledger_sql::key_ids(client, site.id.as_str(), dim.code(), &texts).await?;
    for (text, f) in &by_text {
        if let Some(id) = ids.get(text) {
            sums.add(*id, 1, f);
        }
    }
    Ok(sums)
}

fn add(sum: &mut KeyFigures, f: &KeyFigures) {
    sum.clicks += f.clicks;
    sum.bot_clicks += f.bot_clicks;
    sum.conversions += f.conversions;
    sum.others += f.others;
    sum.revenue += f.revenue;
}

/// One network's row.
#[derive(Default)]
struct NetworkRow {
    figures: KeyFigures,
    sources: BTreeMap<&'static str, Decimal>,
}

/// GET /api/v1/reports/networks
pub async fn networks(
    client: &mut deadpool_postgres::Client,
    site: &Site,
    q: &ReportQuery,
) -> Result<Answer, ApiError> {
    crate::reports::sql::fold(&*client, Some(site.id.as_str())).await?;
    let tx = client.transaction().await?;
    tx.batch_execute("SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0")
        .await?;
    let keys: HashMap<i32, String> = ledger_sql::link_keys(&tx, site.id.as_str(), None)
        .await?
        .into_iter()
        .map(|k| (k.key_id, k.network))
        .collect();
    let mut rows: BTreeMap<String, NetworkRow> = BTreeMap::new();
    for (key_id, f) in answer::parts(&tx, site, Dimension::Link, q)
        .await?
        .entries()
    {
        if let Some(network) = keys.get(&key_id) {
            let row = rows.entry(network.clone()).or_default();
            row.figures.clicks += f.clicks;
            row.figures.bot_clicks += f.bot_clicks;
        }
    }
    for s in ledger_sql::network_sources(
        &tx,
        site.id.as_str(),
        &site.settings.time_zone,
        q.from,
        q.to,
    )
    .await?
    {
        let row = rows.entry(s.network).or_default();
        row.figures.conversions += s.conversions;
        row.figures.others += s.others;
        row.figures.revenue += s.revenue;
        if let Some(source) = SOURCES.iter().find(|x| **x == s.source) {
            *row.sources.entry(source).or_default() += s.revenue;
        }
    }
    tx.commit().await?;
    rows.retain(|_, r| {
        let f = &r.figures;
        f.clicks + f.bot_clicks + f.conversions + f.others > 0
    });
    // Key numbers in name order, so the name's rank is the number.
    let names: Vec<(String, NetworkRow)> = rows.into_iter().collect();
    let ranks: LabelRanks = (0..names.len() as i32)
        .map(|i| (i, Some(i64::from(i))))
        .collect();
    let key_rows: Vec<KeyRow> = names
        .iter()
        .enumerate()
        .map(|(i, (_, r))| KeyRow {
            key_id: i as i32,
            totals: RowTotals {
                clicks: if site.settings.exclude_bots {
                    r.figures.clicks
                } else {
                    r.figures.clicks + r.figures.bot_clicks
                },
                conversions: r.figures.conversions,
                revenue: r.figures.revenue,
            },
        })
        .collect();
    let (total, page) = combine::page(key_rows, q.sort, q.order, Some(&ranks), q.offset, q.limit);
    let sources = |r: &NetworkRow| -> Map<String, Value> {
        SOURCES
            .iter()
            .map(|s| {
                let revenue = r.sources.get(s).copied().unwrap_or_default();
                ((*s).to_owned(), json!(figures::money(revenue)))
            })
            .collect()
    };
    Ok(match q.format {
        Format::Json => {
            let rows: Vec<Value> = page
                .iter()
                .map(|k| {
                    let (name, r) = &names[k.key_id as usize];
                    let mut map = Map::new();
                    map.insert("network".into(), json!(name));
                    map.extend(figures::row_json(&k.totals));
                    map.insert("sources".into(), Value::Object(sources(r)));
                    Value::Object(map)
                })
                .collect();
            Answer::Json(json!({ "rows": rows, "total_rows": total }))
        }
        Format::Csv => {
            let mut header = vec![
                "network",
                "clicks",
                "conversions",
                "revenue",
                "epc",
                "conversion_rate",
            ];
            let source_columns: Vec<String> =
                SOURCES.iter().map(|s| format!("revenue_{s}")).collect();
            header.extend(source_columns.iter().map(String::as_str));
            let mut csv = Csv::new(&header);
            for k in &page {
                let (name, r) = &names[k.key_id as usize];
                let mut cells = vec![Cell::Text(name)];
                cells.extend(answer::figure_cells(&k.totals));
                for s in SOURCES {
                    let revenue = r.sources.get(s).copied().unwrap_or_default();
                    cells.push(Cell::Number(figures::money(revenue)));
                }
                csv.row(cells);
            }
            Answer::Csv {
                name: "networks",
                text: csv.finish(),
            }
        }
    })
}
