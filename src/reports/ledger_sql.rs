//! One small function per query for what the rollups do not hold: which
//! network a link key belongs to, and conversion figures by network and
//! source, read from `conversions` by site and day (migration 0014's
//! `conversions_site_day_idx`). The rollups keep no network, so the
//! networks report and a `network=` filter take their clicks from the link
//! rollup (every click is on a link, and a link has one network, page and
//! keyword) and their conversions from here.

use chrono::NaiveDate;
use deadpool_postgres::GenericClient;
use rust_decimal::Decimal;
use std::collections::HashMap;

/// The network a conversion counts under: its own, else its link's
/// (postbacks name none), else `''`. `v` is `conversions`, `l` its link.
const EFFECTIVE_NETWORK: &str = "coalesce(nullif(v.network, ''), l.network, '')";

/// Conversions whose day (their click's, else the day received) is from
/// `$3` to `$4` in zone `$2`, as an index range.
const IN_RANGE: &str = "v.site_id = $1 \
    AND coalesce(v.clicked_at, v.received_at) >= ($3::date)::timestamp AT TIME ZONE $2 \
    AND coalesce(v.clicked_at, v.received_at) < ($4::date + 1)::timestamp AT TIME ZONE $2";

/// A link key of the link rollup and what its link says.
#[derive(Clone, Debug)]
pub struct LinkKey {
    pub key_id: i32,
    /// `''` when the link's network is unknown.
    pub network: String,
    /// `''` for none, as the keyword rollup keys it.
    pub keyword: String,
    pub page_url: String,
}

/// The site's link keys, with their link's network, keyword and page; only
/// `network`'s when given.
#[tracing::instrument(skip(client))]
pub async fn link_keys(
    client: &impl GenericClient,
    site_id: &str,
    network: Option<&str>,
) -> Result<Vec<LinkKey>, tokio_postgres::Error> {
    let statement = client
        .prepare_cached(
            "SELECT k.id, coalesce(l.network, ''), coalesce(l.keyword, ''), l.page_url \
             FROM report_key k JOIN links l ON l.id = k.key \
             WHERE k.site_id = $1 AND k.dim = 'l' \
               AND ($2::text IS NULL OR coalesce(l.network, '') = $2)",
        )
        .await?;
    let rows = client.query(&statement, &[&site_id, &network]).await?;
    Ok(rows
        .iter()
        .map(|row| LinkKey {
            key_id: row.get(0),
            network: row.get(1),
            keyword: row.get(2),
            page_url: row.get(3),
        })
        .collect())
}

/// The key numbers of these keyword or page texts.
#[tracing::instrument(skip(client, keys), fields(keys = keys.len()))]
pub async fn key_ids(
    client: &impl GenericClient,
    site_id: &str,
    dim: i8,
    keys: &[&str],
) -> Result<HashMap<String, i32>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT key, id FROM report_key WHERE site_id = $1 AND dim = $2 AND key = ANY ($3)",
            &[&site_id, &dim, &keys],
        )
        .await?;
    Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
}

/// Clicks and bot clicks per day on these link keys, from `from` to `to`.
#[tracing::instrument(skip(client, key_ids), fields(keys = key_ids.len()))]
pub async fn link_day_clicks(
    client: &impl GenericClient,
    site_id: &str,
    from: NaiveDate,
    to: NaiveDate,
    key_ids: &[i32],
) -> Result<HashMap<NaiveDate, (i64, i64)>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT day, sum(clicks)::int8, sum(bot_clicks)::int8 FROM report_day \
             WHERE site_id = $1 AND dim = 'l' AND day >= $2 AND day <= $3 AND key_id = ANY ($4) \
             GROUP BY day",
            &[&site_id, &from, &to, &key_ids],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| (row.get(0), (row.get(1), row.get(2))))
        .collect())
}

/// The summary's conversion figures of one day (or a range).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConversionSums {
    pub sales: i64,
    pub leads: i64,
    pub unconverted: i64,
    pub revenue: Decimal,
    pub pending_revenue: Decimal,
    pub reversed_revenue: Decimal,
    /// Approved revenue credited to neither a click nor a page.
    pub unattributed_revenue: Decimal,
    /// Approved revenue credited to a page and no click.
    pub page_revenue: Decimal,
}

impl ConversionSums {
    pub fn add(&mut self, other: &Self) {
        self.sales += other.sales;
        self.leads += other.leads;
        self.unconverted += other.unconverted;
        self.revenue += other.revenue;
        self.pending_revenue += other.pending_revenue;
        self.reversed_revenue += other.reversed_revenue;
        self.unattributed_revenue += other.unattributed_revenue;
        self.page_revenue += other.page_revenue;
    }
}

/// Per local day, the conversion figures of `network`'s conversions.
#[tracing::instrument(skip(client))]
pub async fn conversion_days(
    client: &impl GenericClient,
    site_id: &str,
    time_zone: &str,
    from: NaiveDate,
    to: NaiveDate,
    network: &str,
) -> Result<HashMap<NaiveDate, ConversionSums>, tokio_postgres::Error> {
    let sql = format!(
        "SELECT (coalesce(v.clicked_at, v.received_at) AT TIME ZONE $2)::date, \
           count(*) FILTER (WHERE v.status IN ('approved', 'pending') AND NOT v.is_lead), \
           count(*) FILTER (WHERE v.status IN ('approved', 'pending') AND v.is_lead), \
           count(*) FILTER (WHERE v.status IN ('approved', 'pending') AND v.unconverted), \
           coalesce(sum(v.amount_site) FILTER (WHERE v.status = 'approved'), 0), \
           coalesce(sum(v.amount_site) FILTER (WHERE v.status = 'pending'), 0), \
           coalesce(sum(v.amount_site) FILTER (WHERE v.status = 'reversed'), 0), \
           coalesce(sum(v.amount_site) FILTER (WHERE v.status = 'approved' \
               AND v.clicked_at IS NULL AND v.page_url IS NULL), 0), \
           coalesce(sum(v.amount_site) FILTER (WHERE v.status = 'approved' \
               AND v.clicked_at IS NULL AND v.page_url IS NOT NULL), 0) \
         FROM conversions v LEFT JOIN links l ON l.id = v.link_id \
         WHERE {IN_RANGE} AND {EFFECTIVE_NETWORK} = $5 \
         GROUP BY 1"
    );
    let rows = client
        .query(&sql, &[&site_id, &time_zone, &from, &to, &network])
        .await?;
    Ok(rows
        .iter()
        .map(|row| {
            (
                row.get(0),
                ConversionSums {
                    sales: row.get(1),
                    leads: row.get(2),
                    unconverted: row.get(3),
                    revenue: row.get(4),
                    pending_revenue: row.get(5),
                    reversed_revenue: row.get(6),
                    unattributed_revenue: row.get(7),
                    page_revenue: row.get(8),
                },
            )
        })
        .collect())
}

/// The approved revenue credited to a page and no click, on local days
/// `from` to `to` (the day received): the summary's `coverage.page`.
#[tracing::instrument(skip(client))]
pub async fn page_credit_revenue(
    client: &impl GenericClient,
    site_id: &str,
    time_zone: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Decimal, tokio_postgres::Error> {
    let statement = client
        .prepare_cached(
            "SELECT coalesce(sum(amount_site), 0) FROM conversions \
             WHERE site_id = $1 AND clicked_at IS NULL AND page_url IS NOT NULL \
               AND status = 'approved' \
               AND received_at >= ($3::date)::timestamp AT TIME ZONE $2 \
               AND received_at < ($4::date + 1)::timestamp AT TIME ZONE $2",
        )
        .await?;
    let row = client
        .query_one(&statement, &[&site_id, &time_zone, &from, &to])
        .await?;
    Ok(row.get(0))
}

/// One network's conversions from one source over a range.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkSource {
    pub network: String,
    pub source: String,
    /// Approved or pending.
    pub conversions: i64,
    /// Rejected or reversed: no figure, but the network had activity.
    pub others: i64,
    pub revenue: Decimal,
}

/// Conversion figures per network and source over the range.
#[tracing::instrument(skip(client))]
pub async fn network_sources(
    client: &impl GenericClient,
    site_id: &str,
    time_zone: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<NetworkSource>, tokio_postgres::Error> {
    let sql = format!(
        "SELECT {EFFECTIVE_NETWORK}, v.source, \
           count(*) FILTER (WHERE v.status IN ('approved', 'pending')), \
           count(*) FILTER (WHERE v.status IN ('rejected', 'reversed')), \
           coalesce(sum(v.amount_site) FILTER (WHERE v.status = 'approved'), 0) \
         FROM conversions v LEFT JOIN links l ON l.id = v.link_id \
         WHERE {IN_RANGE} GROUP BY 1, 2"
    );
    let rows = client
        .query(&sql, &[&site_id, &time_zone, &from, &to])
        .await?;
    Ok(rows
        .iter()
        .map(|row| NetworkSource {
            network: row.get(0),
            source: row.get(1),
            conversions: row.get(2),
            others: row.get(3),
            revenue: row.get(4),
        })
        .collect())
}

/// `network`'s conversions credited to a page but no link (and no click),
/// by keyword (`''` for none) or page URL: the part of a filtered keyword
/// or page list that the link rollup does not hold.
#[tracing::instrument(skip(client))]
pub async fn unlinked_page_credits(
    client: &impl GenericClient,
    site_id: &str,
    time_zone: &str,
    from: NaiveDate,
    to: NaiveDate,
    network: &str,
    by_keyword: bool,
) -> Result<Vec<(String, i64, i64, Decimal)>, tokio_postgres::Error> {
    let key = if by_keyword {
        "coalesce(v.keyword, '')"
    } else {
        "v.page_url"
    };
    let statement = client
        .prepare_cached(&format!(
            "SELECT {key}, \
               count(*) FILTER (WHERE v.status IN ('approved', 'pending')), \
               count(*) FILTER (WHERE v.status IN ('rejected', 'reversed')), \
               coalesce(sum(v.amount_site) FILTER (WHERE v.status = 'approved'), 0) \
             FROM conversions v \
             WHERE v.site_id = $1 AND v.clicked_at IS NULL AND v.page_url IS NOT NULL \
               AND v.link_id IS NULL AND v.network = $5 \
               AND v.received_at >= ($3::date)::timestamp AT TIME ZONE $2 \
               AND v.received_at < ($4::date + 1)::timestamp AT TIME ZONE $2 \
             GROUP BY 1"
        ))
        .await?;
    let rows = client
        .query(&statement, &[&site_id, &time_zone, &from, &to, &network])
        .await?;
    Ok(rows
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3)))
        .collect())
}
