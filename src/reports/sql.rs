//! One small function per query over the rollups of migration 0003.

use super::Dimension;
use super::figures::{RowTotals, SiteTotals};
use super::params::{Order, Sort};
use super::plan::{Plan, Sealed};
use chrono::NaiveDate;
use deadpool_postgres::GenericClient;
use rust_decimal::Decimal;
use tokio_postgres::Row;

/// The weekly checkpoints a site has, if any, and what reading one of
/// them costs for `dim`, in days of rows.
#[tracing::instrument(skip(client))]
pub async fn sealed(
    client: &impl GenericClient,
    site_id: &str,
    dim: Dimension,
) -> Result<Option<(Sealed, f64)>, tokio_postgres::Error> {
    let index: i32 = match dim {
        Dimension::Keyword => 1,
        Dimension::Page => 2,
        Dimension::Link => 3,
    };
    let row = client
        .query_opt(
            "SELECT sealed_from, sealed_through, checkpoint_days[$2], \
                    recent_through IS NOT DISTINCT FROM sealed_through \
             FROM report_state WHERE site_id = $1",
            &[&site_id, &index],
        )
        .await?;
    Ok(row.map(|row| {
        let sealed = Sealed {
            from: row.get(0),
            through: row.get(1),
            recent: row.get(3),
        };
        (sealed, row.get::<_, Option<f32>>(2).map_or(3.0, f64::from))
    }))
}

const SITE_SUMS: &str = "coalesce(sum(r.clicks), 0)::int8, coalesce(sum(r.bot_clicks), 0)::int8, \
     coalesce(sum(r.sales), 0)::int8, coalesce(sum(r.leads), 0)::int8, \
     coalesce(sum(r.unconverted), 0)::int8, coalesce(sum(r.revenue), 0), \
     coalesce(sum(r.pending_revenue), 0), coalesce(sum(r.reversed_revenue), 0), \
     coalesce(sum(r.revenue) FILTER (WHERE NOT r.attributed), 0)";

/// Columns `at..at+9` as selected by `SITE_SUMS`.
fn site_totals(row: &Row, at: usize, exclude_bots: bool) -> SiteTotals {
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

#[tracing::instrument(skip(client))]
pub async fn summary(
    client: &impl GenericClient,
    site_id: &str,
    from: NaiveDate,
    to: NaiveDate,
    exclude_bots: bool,
) -> Result<SiteTotals, tokio_postgres::Error> {
    let sql = format!(
        "SELECT {SITE_SUMS} FROM report_site_day r \
         WHERE r.site_id = $1 AND r.day >= $2 AND r.day <= $3"
    );
    let row = client
        .query_one(&client.prepare_cached(&sql).await?, &[&site_id, &from, &to])
        .await?;
    Ok(site_totals(&row, 0, exclude_bots))
}

/// Every day from `from` to `to`, days without data as zeros.
#[tracing::instrument(skip(client))]
pub async fn timeseries(
    client: &impl GenericClient,
    site_id: &str,
    from: NaiveDate,
    to: NaiveDate,
    exclude_bots: bool,
) -> Result<Vec<(NaiveDate, SiteTotals)>, tokio_postgres::Error> {
    let sql = format!(
        "SELECT d.day, {SITE_SUMS} \
         FROM (SELECT generate_series($2::date, $3::date, interval '1 day')::date AS day) d \
         LEFT JOIN report_site_day r ON r.site_id = $1 AND r.day = d.day \
         GROUP BY d.day ORDER BY d.day"
    );
    let rows = client
        .query(&client.prepare_cached(&sql).await?, &[&site_id, &from, &to])
        .await?;
    Ok(rows
        .iter()
        .map(|row| (row.get(0), site_totals(row, 1, exclude_bots)))
        .collect())
}

/// One row of a keyword, page or link list.
#[derive(Clone, Debug, PartialEq)]
pub struct ListRow {
    /// The keyword ('' for none), the page URL, or the link id.
    pub key: String,
    pub totals: RowTotals,
    /// Links only: from `links`.
    pub url: Option<String>,
    pub page_url: Option<String>,
    pub network: Option<String>,
}

pub struct ListRequest<'a> {
    pub site_id: &'a str,
    pub dim: Dimension,
    pub plan: &'a Plan,
    pub exclude_bots: bool,
    pub sort: Sort,
    pub order: Order,
    pub limit: Option<i64>,
    pub offset: i64,
}

fn sort_expression(sort: Sort) -> &'static str {
    match sort {
        Sort::Clicks => "t.clicks",
        Sort::Conversions => "t.conversions",
        Sort::Revenue => "t.revenue",
        Sort::Epc => "t.revenue / NULLIF(t.clicks, 0)",
        Sort::ConversionRate => "t.conversions::float8 / NULLIF(t.clicks, 0)",
        Sort::Key => "k.key",
        Sort::Url => "l.url",
        Sort::PageUrl => "l.page_url",
        Sort::Network => "l.network",
    }
}

/// The parts of the plan, summed per key; keys with any click or
/// conversion (of any status) in the range; sorted (ties in key number
/// order, so pages never overlap), one page of them, and how many there
/// are in all.
///
/// The work is in combining the parts per key, tens of thousands of keys
/// for a big site. A checkpoint or a recent window already holds one row
/// per key, so those are joined on the key number (the two checkpoints of a
/// plan with a merge join, in index order), and only the few days at the
/// range's ends are grouped: grouping every part cost twice as much. A plan
/// has checkpoints or a recent window, never both. The key's text (and a
/// link's URL, network and page) is looked up for the returned rows only,
/// unless the sort needs it. Counts are summed as int4 (64-bit
/// accumulators, where bigint sums accumulate in numeric), and revenue only
/// where there is some: most rows have none, and numeric additions are the
/// dearest aggregate.
fn list_sql(dim: Dimension, sort: Sort, order: Order) -> String {
    let span = |sign: &str, from: &str, to: &str| {
        format!(
            "SELECT key_id, {sign}::int4 AS s, clicks, bot_clicks, conversions, others, revenue \
             FROM report_day WHERE site_id = $1 AND dim = $2 AND day >= {from} AND day < {to}"
        )
    };
    let checkpoint = |week: &str| {
        format!(
            "SELECT key_id, clicks, bot_clicks, conversions, others, revenue \
             FROM report_checkpoint WHERE site_id = $1 AND dim = $2 AND week = {week}"
        )
    };
    let ranked = match sort {
        Sort::Key => "totals t JOIN report_key k ON k.id = t.key_id",
        Sort::Url | Sort::PageUrl | Sort::Network => {
            "totals t JOIN report_key k ON k.id = t.key_id LEFT JOIN links l ON l.id = k.key"
        }
        _ => "totals t",
    };
    let details = match dim {
        Dimension::Link => "LEFT JOIN links l ON l.id = k.key",
        _ => {
            "CROSS JOIN (SELECT NULL::text AS url, NULL::text AS page_url, NULL::text AS network) l"
        }
    };
    let direction = match order {
        Order::Asc => "ASC",
        Order::Desc => "DESC",
    };
    // `signed(x, s)`: s times x, where s is 1, -1 or 0 and x may be NULL.
    let signed = |x: &str, s: &str| format!("coalesce({s} * {x}::int4, 0)");
    let signed_revenue = |x: &str, s: &str| {
        format!("CASE WHEN {x} IS NULL OR {x} = 0 OR {s} = 0 THEN 0 WHEN {s} > 0 THEN {x} ELSE -{x} END")
    };
    format!(
        "WITH base AS ( \
             SELECT coalesce(a.key_id, b.key_id) AS key_id, \
                    {ac} + {bc} AS clicks, {ab} + {bb} AS bot_clicks, \
                    {an} + {bn} AS conversions, {ao} + {bo} AS others, \
                    {ar} + {br} AS revenue \
             FROM ({cp_end}) a FULL JOIN ({cp_start}) b ON b.key_id = a.key_id \
             UNION ALL \
             SELECT key_id, clicks::int4, bot_clicks::int4, conversions::int4, others::int4, revenue \
             FROM report_recent WHERE site_id = $1 AND dim = $2 AND weeks = $16), \
         days AS ( \
             SELECT key_id, sum(s * clicks::int4) AS clicks, sum(s * bot_clicks::int4) AS bot_clicks, \
                    sum(s * conversions::int4) AS conversions, sum(s * others::int4) AS others, \
                    coalesce(sum(CASE WHEN s > 0 THEN revenue ELSE -revenue END) \
                             FILTER (WHERE revenue <> 0), 0) AS revenue \
             FROM ({span1} UNION ALL {span2}) d GROUP BY key_id), \
         totals AS MATERIALIZED ( \
             SELECT coalesce(b.key_id, d.key_id) AS key_id, \
                    coalesce(b.clicks, 0) + coalesce(d.clicks, 0) \
                      + CASE WHEN $3 THEN 0 ELSE coalesce(b.bot_clicks, 0) + coalesce(d.bot_clicks, 0) END \
                      AS clicks, \
                    coalesce(b.conversions, 0) + coalesce(d.conversions, 0) AS conversions, \
                    coalesce(b.revenue, 0) + coalesce(d.revenue, 0) AS revenue \
             FROM base b FULL JOIN days d ON d.key_id = b.key_id \
             WHERE coalesce(b.clicks + b.bot_clicks + b.conversions + b.others, 0) \
                 + coalesce(d.clicks + d.bot_clicks + d.conversions + d.others, 0) > 0) \
         SELECT c.n, r.key, r.clicks, r.conversions, r.revenue, r.url, r.page_url, r.network \
         FROM (SELECT count(*) AS n FROM totals) c \
         LEFT JOIN LATERAL ( \
             SELECT k.key, p.key_id, p.clicks, p.conversions, p.revenue, p.rank, \
                    l.url, l.page_url, l.network \
             FROM (SELECT t.key_id, t.clicks::int8 AS clicks, t.conversions::int8 AS conversions, \
                          t.revenue, {sort} AS rank \
                   FROM {ranked} \
                   ORDER BY rank {direction} NULLS LAST, t.key_id \
                   LIMIT $14 OFFSET $15) p \
             JOIN report_key k ON k.id = p.key_id \
             {details}) r ON true \
         ORDER BY r.rank {direction} NULLS LAST, r.key_id",
        ac = signed("a.clicks", "$5"),
        bc = signed("b.clicks", "$7"),
        ab = signed("a.bot_clicks", "$5"),
        bb = signed("b.bot_clicks", "$7"),
        an = signed("a.conversions", "$5"),
        bn = signed("b.conversions", "$7"),
        ao = signed("a.others", "$5"),
        bo = signed("b.others", "$7"),
        ar = signed_revenue("a.revenue", "$5"),
        br = signed_revenue("b.revenue", "$7"),
        cp_end = checkpoint("$4"),
        cp_start = checkpoint("$6"),
        span1 = span("$10", "$8", "$9"),
        span2 = span("$13", "$11", "$12"),
        sort = sort_expression(sort),
    )
}

/// The rows of one page, and the number of rows in all.
#[tracing::instrument(skip(client, request), fields(dim = request.dim.name()))]
pub async fn list(
    client: &impl GenericClient,
    request: &ListRequest<'_>,
) -> Result<(i64, Vec<ListRow>), tokio_postgres::Error> {
    let plan = request.plan;
    let checkpoint = |i: usize| plan.checkpoints.get(i).map(|&(week, sign)| (week, sign));
    let span = |i: usize| plan.spans.get(i).copied();
    let (w1, s1) = checkpoint(0).map_or((None, 0), |(w, s)| (Some(w), s));
    let (w2, s2) = checkpoint(1).map_or((None, 0), |(w, s)| (Some(w), s));
    let (a1, b1, t1) = span(0).map_or((None, None, 0), |(a, b, s)| (Some(a), Some(b), s));
    let (a2, b2, t2) = span(1).map_or((None, None, 0), |(a, b, s)| (Some(a), Some(b), s));
    let recent: Option<i16> = plan.recent.map(|(weeks, _, _)| weeks);
    debug_assert!(recent.is_none() || plan.checkpoints.is_empty(), "{plan:?}");
    let statement = client
        .prepare_cached(&list_sql(request.dim, request.sort, request.order))
        .await?;
    let rows = client
        .query(
            &statement,
            &[
                &request.site_id,
                &request.dim.code(),
                &request.exclude_bots,
                &w1,
                &s1,
                &w2,
                &s2,
                &a1,
                &b1,
                &t1,
                &a2,
                &b2,
                &t2,
                &request.limit,
                &request.offset,
                &recent,
            ],
        )
        .await?;
    let total = rows.first().map_or(0, |row| row.get(0));
    let list = rows
        .iter()
        .filter_map(|row| {
            Some(ListRow {
                key: row.get::<_, Option<String>>(1)?,
                totals: RowTotals {
                    clicks: row.get(2),
                    conversions: row.get(3),
                    revenue: row.get::<_, Decimal>(4),
                },
                url: row.get(5),
                page_url: row.get(6),
                network: row.get(7),
            })
        })
        .collect();
    Ok((total, list))
}

/// Moves the clicks waiting in `report_click_pending` (migration 0005) into
/// the rollups: one site's, or with `None` every site's. The rows folded.
#[tracing::instrument(skip(client))]
pub async fn fold(
    client: &impl GenericClient,
    site_id: Option<&str>,
) -> Result<i64, tokio_postgres::Error> {
    let row = client
        .query_one("SELECT affrank_report_fold($1)", &[&site_id])
        .await?;
    Ok(row.get(0))
}

/// Reclaims the rows folds have deleted: the table churns a thousand rows a
/// second, faster than autovacuum looks at it.
#[tracing::instrument(skip(client))]
pub async fn vacuum_pending(client: &impl GenericClient) -> Result<(), tokio_postgres::Error> {
    client.batch_execute("VACUUM report_click_pending").await
}

/// Recomputes a site's rollups from the raw tables (after a time-zone change).
#[tracing::instrument(skip(client))]
pub async fn rebuild(
    client: &impl GenericClient,
    site_id: &str,
) -> Result<(), tokio_postgres::Error> {
    client
        .execute("SELECT affrank_report_rebuild($1)", &[&site_id])
        .await?;
    Ok(())
}

/// Sites whose checkpoints stop before the Monday of their current week,
/// with that Monday.
#[tracing::instrument(skip(client))]
pub async fn sites_to_seal(
    client: &impl GenericClient,
) -> Result<Vec<(String, NaiveDate)>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT s.id, affrank_week((now() AT TIME ZONE s.time_zone)::date) AS monday \
             FROM sites s LEFT JOIN report_state r ON r.site_id = s.id \
             WHERE r.sealed_through IS NULL \
                OR r.sealed_through < affrank_week((now() AT TIME ZONE s.time_zone)::date) \
             ORDER BY s.id",
            &[],
        )
        .await?;
    Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
}

/// Seals the site's next checkpoint if its Monday is no later than
/// `through`; the Monday sealed, if any.
#[tracing::instrument(skip(client))]
pub async fn seal_next(
    client: &impl GenericClient,
    site_id: &str,
    through: NaiveDate,
) -> Result<Option<NaiveDate>, tokio_postgres::Error> {
    let row = client
        .query_one("SELECT affrank_report_seal($1, $2)", &[&site_id, &through])
        .await?;
    Ok(row.get(0))
}
