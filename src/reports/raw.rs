//! The reports computed the plain way, straight from `clicks` and
//! `conversions`, with no rollup. The API never uses these: the equivalence
//! tests compare every report figure with them, and `bench/reports.sh` times
//! them beside the API.

use super::Dimension;
use super::figures::{RowTotals, SiteTotals};
use super::sql::ListRow;
use chrono::NaiveDate;
use deadpool_postgres::GenericClient;

/// One site's settings that change the figures.
pub struct RawSite<'a> {
    pub site_id: &'a str,
    pub time_zone: &'a str,
    pub exclude_bots: bool,
}

/// Conversion figures of the conversions whose day (the click's, or the
/// day received when no click claims them) falls in [$3, $4] in zone $2.
/// Unattributed revenue is credited to neither a click nor a page.
const CONVERSION_SUMS: &str = "\
    count(*) FILTER (WHERE v.status IN ('approved', 'pending') AND NOT v.is_lead) AS sales, \
    count(*) FILTER (WHERE v.status IN ('approved', 'pending') AND v.is_lead) AS leads, \
    count(*) FILTER (WHERE v.status IN ('approved', 'pending') AND v.unconverted) AS unconverted, \
    coalesce(sum(v.amount_site) FILTER (WHERE v.status = 'approved'), 0) AS revenue, \
    coalesce(sum(v.amount_site) FILTER (WHERE v.status = 'pending'), 0) AS pending_revenue, \
    coalesce(sum(v.amount_site) FILTER (WHERE v.status = 'reversed'), 0) AS reversed_revenue, \
    coalesce(sum(v.amount_site) FILTER (WHERE v.status = 'approved' AND v.clicked_at IS NULL \
                                        AND v.page_url IS NULL), 0) \
        AS unattributed_revenue";

fn site_sql(group_by_day: bool) -> String {
    let (day, group) = if group_by_day {
        ("day, ", "GROUP BY day")
    } else {
        ("", "")
    };
    format!(
        "WITH c AS (SELECT (clicked_at AT TIME ZONE $2)::date AS day, is_bot FROM clicks \
                    WHERE site_id = $1 AND (clicked_at AT TIME ZONE $2)::date BETWEEN $3 AND $4), \
              v AS (SELECT (coalesce(clicked_at, received_at) AT TIME ZONE $2)::date AS day, * \
                    FROM conversions \
                    WHERE site_id = $1 \
                      AND (coalesce(clicked_at, received_at) AT TIME ZONE $2)::date BETWEEN $3 AND $4), \
              cs AS (SELECT {day} count(*) FILTER (WHERE NOT is_bot) AS clicks, \
                            count(*) FILTER (WHERE is_bot) AS bot_clicks FROM c {group}), \
              vs AS (SELECT {day} {CONVERSION_SUMS} FROM v {group}) \
         SELECT {} coalesce(cs.clicks, 0), coalesce(cs.bot_clicks, 0), coalesce(vs.sales, 0), \
                coalesce(vs.leads, 0), coalesce(vs.unconverted, 0), coalesce(vs.revenue, 0), \
                coalesce(vs.pending_revenue, 0), coalesce(vs.reversed_revenue, 0), \
                coalesce(vs.unattributed_revenue, 0) \
         FROM {}",
        if group_by_day { "d.day," } else { "" },
        if group_by_day {
            "(SELECT generate_series($3::date, $4::date, interval '1 day')::date AS day) d \
             LEFT JOIN cs ON cs.day = d.day LEFT JOIN vs ON vs.day = d.day ORDER BY d.day"
        } else {
            "cs CROSS JOIN vs"
        }
    )
}

fn totals(row: &tokio_postgres::Row, at: usize, exclude_bots: bool) -> SiteTotals {
    let clicks: i64 = row.get(at);
    let bot_clicks: i64 = row.get(at + 1);
    SiteTotals {
        clicks: if exclude_bots {
            clicks
        } else {
            clicks + bot_clicks
        },
        bot_clicks,
        sales: row.get(at + 2),
        leads: row.get(at + 3),
        unconverted: row.get(at + 4),
        revenue: row.get(at + 5),
        pending_revenue: row.get(at + 6),
        reversed_revenue: row.get(at + 7),
        unattributed_revenue: row.get(at + 8),
    }
}

pub async fn summary(
    client: &impl GenericClient,
    site: &RawSite<'_>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<SiteTotals, tokio_postgres::Error> {
    let row = client
        .query_one(
            &site_sql(false),
            &[&site.site_id, &site.time_zone, &from, &to],
        )
        .await?;
    Ok(totals(&row, 0, site.exclude_bots))
}

pub async fn timeseries(
    client: &impl GenericClient,
    site: &RawSite<'_>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(NaiveDate, SiteTotals)>, tokio_postgres::Error> {
    let rows = client
        .query(
            &site_sql(true),
            &[&site.site_id, &site.time_zone, &from, &to],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| (row.get(0), totals(row, 1, site.exclude_bots)))
        .collect())
}

/// Every row of a list report, sorted by key.
pub async fn list(
    client: &impl GenericClient,
    site: &RawSite<'_>,
    dim: Dimension,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ListRow>, tokio_postgres::Error> {
    let key = match dim {
        Dimension::Keyword => "coalesce(keyword, '')",
        Dimension::Page => "page_url",
        Dimension::Link => "link_id",
    };
    let sql = format!(
        "WITH c AS (SELECT {key} AS key, count(*) FILTER (WHERE NOT is_bot) AS clicks, \
                           count(*) FILTER (WHERE is_bot) AS bot_clicks \
                    FROM clicks WHERE site_id = $1 \
                      AND (clicked_at AT TIME ZONE $2)::date BETWEEN $3 AND $4 GROUP BY 1), \
              v AS (SELECT {key} AS key, \
                           count(*) FILTER (WHERE status IN ('approved', 'pending')) AS conversions, \
                           coalesce(sum(amount_site) FILTER (WHERE status = 'approved'), 0) AS revenue \
                    FROM conversions WHERE site_id = $1 \
                      AND (clicked_at IS NOT NULL OR page_url IS NOT NULL) AND {key} IS NOT NULL \
                      AND (coalesce(clicked_at, received_at) AT TIME ZONE $2)::date BETWEEN $3 AND $4 \
                    GROUP BY 1), \
              t AS (SELECT coalesce(c.key, v.key) AS key, \
                           coalesce(c.clicks, 0) + CASE WHEN $5 THEN 0 ELSE coalesce(c.bot_clicks, 0) END AS clicks, \
                           coalesce(v.conversions, 0) AS conversions, coalesce(v.revenue, 0) AS revenue \
                    FROM c FULL JOIN v ON v.key = c.key) \
         SELECT t.key, t.clicks, t.conversions, t.revenue, l.url, l.page_url, l.network \
         FROM t LEFT JOIN links l ON $6 AND l.id = t.key ORDER BY t.key"
    );
    let is_link = dim == Dimension::Link;
    let rows = client
        .query(
            &sql,
            &[
                &site.site_id,
                &site.time_zone,
                &from,
                &to,
                &site.exclude_bots,
                &is_link,
            ],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| ListRow {
            key: row.get(0),
            totals: RowTotals {
                clicks: row.get(1),
                conversions: row.get(2),
                revenue: row.get(3),
            },
            url: row.get(4),
            page_url: row.get(5),
            network: row.get(6),
        })
        .collect())
}
