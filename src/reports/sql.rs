//! One small function per query over the rollups of migration 0003.

use super::Dimension;
use super::combine::{Accumulator, KeyFigures, KeyRow, LabelRanks};
use super::figures::{RowTotals, SiteTotals};
use super::params::Sort;
use super::plan::{Plan, Sealed};
use chrono::NaiveDate;
use deadpool_postgres::GenericClient;
use futures_util::TryStreamExt;
use std::collections::HashMap;
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
            "SELECT sealed_from, sealed_through, checkpoint_days[$2], recent_through \
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

/// Clicks the plugin redirected from its own link map while the sidecar was
/// down (`untracked_clicks`), on UTC days from `from` to `to`: shown beside
/// the summary's figures, never in them (no session id, no conversion).
#[tracing::instrument(skip(client))]
pub async fn untracked_clicks(
    client: &impl GenericClient,
    site_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<i64, tokio_postgres::Error> {
    let row = client
        .query_one(
            "SELECT coalesce(sum(clicks), 0)::int8 FROM untracked_clicks \
             WHERE site_id = $1 AND day >= $2 AND day <= $3",
            &[&site_id, &from, &to],
        )
        .await?;
    Ok(row.get(0))
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

/// The signed parts of `plan` for one dimension, summed per key number.
///
/// One statement streams the index ranges of the plan's parts (at most two
/// checkpoints, one recent window and two day spans), each row with its
/// part's sign; `combine` sums them. A part the plan lacks has NULL bounds
/// and reads nothing.
#[tracing::instrument(skip(client, plan))]
pub async fn list_parts(
    client: &impl GenericClient,
    site_id: &str,
    dim: Dimension,
    plan: &Plan,
) -> Result<Accumulator, tokio_postgres::Error> {
    // The same text for every plan: nothing to build per request.
    const PARTS: &str = "\
        SELECT $5::int4, key_id, clicks, bot_clicks, conversions, others, revenue \
          FROM report_checkpoint WHERE site_id = $1 AND dim = $2 AND week = $4 \
        UNION ALL SELECT $7::int4, key_id, clicks, bot_clicks, conversions, others, revenue \
          FROM report_checkpoint WHERE site_id = $1 AND dim = $2 AND week = $6 \
        UNION ALL SELECT 1, key_id, clicks, bot_clicks, conversions, others, revenue \
          FROM report_recent WHERE site_id = $1 AND dim = $2 AND days = $3 \
        UNION ALL SELECT $10::int4, key_id, clicks, bot_clicks, conversions, others, revenue \
          FROM report_day WHERE site_id = $1 AND dim = $2 AND day >= $8 AND day < $9 \
        UNION ALL SELECT $13::int4, key_id, clicks, bot_clicks, conversions, others, revenue \
          FROM report_day WHERE site_id = $1 AND dim = $2 AND day >= $11 AND day < $12";
    let checkpoint = |i: usize| plan.checkpoints.get(i).copied();
    let span = |i: usize| plan.spans.get(i).copied();
    let (w1, s1) = checkpoint(0).map_or((None, 0), |(w, s)| (Some(w), s));
    let (w2, s2) = checkpoint(1).map_or((None, 0), |(w, s)| (Some(w), s));
    let (a1, b1, t1) = span(0).map_or((None, None, 0), |(a, b, s)| (Some(a), Some(b), s));
    let (a2, b2, t2) = span(1).map_or((None, None, 0), |(a, b, s)| (Some(a), Some(b), s));
    let recent: Option<i16> = plan.recent.map(|(days, _, _)| days);
    let statement = client.prepare_cached(PARTS).await?;
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 13] = [
        &site_id,
        &dim.code(),
        &recent,
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
    ];
    let rows = client.query_raw(&statement, params).await?;
    futures_util::pin_mut!(rows);
    let mut sums = Accumulator::with_capacity(4096);
    while let Some(row) = rows.try_next().await? {
        let part = KeyFigures {
            clicks: row.get(2),
            bot_clicks: row.get(3),
            conversions: row.get(4),
            others: row.get(5),
            revenue: row.get(6),
        };
        sums.add(row.get(1), row.get(0), &part);
    }
    Ok(sums)
}

/// Every key's place in the database's collation order of the text a list
/// is sorted by (`sort` is a label sort); keys without that text (a link
/// column on another dimension) have none.
#[tracing::instrument(skip(client))]
pub async fn label_ranks(
    client: &impl GenericClient,
    site_id: &str,
    dim: Dimension,
    sort: Sort,
) -> Result<LabelRanks, tokio_postgres::Error> {
    let label = match sort {
        Sort::Url => "l.url",
        Sort::PageUrl => "l.page_url",
        Sort::Network => "l.network",
        _ => "k.key",
    };
    let sql = format!(
        "SELECT k.id, CASE WHEN {label} IS NULL THEN NULL \
                      ELSE dense_rank() OVER (ORDER BY {label}) END \
         FROM report_key k LEFT JOIN links l ON k.dim = 'l' AND l.id = k.key \
         WHERE k.site_id = $1 AND k.dim = $2"
    );
    let rows = client
        .query(
            &client.prepare_cached(&sql).await?,
            &[&site_id, &dim.code()],
        )
        .await?;
    Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
}

/// The rows of a page, with their key's text (and a link's URL, network and
/// page), in the page's order.
#[tracing::instrument(skip(client, page), fields(rows = page.len()))]
pub async fn with_labels(
    client: &impl GenericClient,
    page: Vec<KeyRow>,
) -> Result<Vec<ListRow>, tokio_postgres::Error> {
    let ids: Vec<i32> = page.iter().map(|row| row.key_id).collect();
    let statement = client
        .prepare_cached(
            "SELECT k.id, k.key, l.url, l.page_url, l.network \
             FROM report_key k LEFT JOIN links l ON k.dim = 'l' AND l.id = k.key \
             WHERE k.id = ANY($1)",
        )
        .await?;
    let rows = client.query(&statement, &[&ids]).await?;
    let mut labels: HashMap<i32, &Row> = rows.iter().map(|row| (row.get(0), row)).collect();
    Ok(page
        .into_iter()
        .filter_map(|row| {
            let label = labels.remove(&row.key_id)?;
            Some(ListRow {
                key: label.get(1),
                totals: row.totals,
                url: label.get(2),
                page_url: label.get(3),
                network: label.get(4),
            })
        })
        .collect())
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

/// After the windows moved: marks the new rows' pages all-visible, so a
/// report reads a window by an index-only scan, and refreshes the planner's
/// statistics (the table was just rewritten).
#[tracing::instrument(skip(client))]
pub async fn vacuum_recent(client: &impl GenericClient) -> Result<(), tokio_postgres::Error> {
    client.batch_execute("VACUUM (ANALYZE) report_recent").await
}

/// Reclaims the rows folds have deleted: the table churns a thousand rows a
/// second, faster than autovacuum looks at it. It never truncates the
/// table (migration 0007): that lock would hold up every click batch.
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

/// A site whose checkpoints or recent windows are behind its local date.
#[derive(Clone, Debug)]
pub struct Behind {
    pub site_id: String,
    /// The site's current local date.
    pub today: NaiveDate,
}

/// Sites whose checkpoints stop before the Monday of their current week,
/// or whose recent windows do not end at the start of their current day.
#[tracing::instrument(skip(client))]
pub async fn sites_behind(
    client: &impl GenericClient,
) -> Result<Vec<Behind>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT s.id, t.today \
             FROM sites s \
             CROSS JOIN LATERAL (SELECT (now() AT TIME ZONE s.time_zone)::date AS today) t \
             LEFT JOIN report_state r ON r.site_id = s.id \
             WHERE r.sealed_through IS NULL \
                OR r.sealed_through < affrank_week(t.today) \
                OR r.recent_through IS DISTINCT FROM t.today \
             ORDER BY s.id",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| Behind {
            site_id: row.get(0),
            today: row.get(1),
        })
        .collect())
}

/// The day the site's recent windows end at (exclusive), if it has them.
#[tracing::instrument(skip(client))]
pub async fn recent_through(
    client: &impl GenericClient,
    site_id: &str,
) -> Result<Option<NaiveDate>, tokio_postgres::Error> {
    let row = client
        .query_opt(
            "SELECT recent_through FROM report_state WHERE site_id = $1",
            &[&site_id],
        )
        .await?;
    Ok(row.and_then(|row| row.get(0)))
}

/// Recomputes the site's recent windows to end at the start of `through`
/// (migration 0006); false when the site has no checkpoint yet.
#[tracing::instrument(skip(client))]
pub async fn refresh_recent(
    client: &impl GenericClient,
    site_id: &str,
    through: NaiveDate,
) -> Result<bool, tokio_postgres::Error> {
    let row = client
        .query_one(
            "SELECT affrank_report_refresh_recent($1, $2)",
            &[&site_id, &through],
        )
        .await?;
    Ok(row.get(0))
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
