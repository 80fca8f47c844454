//! Amazon by tracking id (migration 0014): a site's pool of Amazon tracking
//! ids, which page holds which, and giving a page its id.
//!
//! Amazon shows sub-tags only to large publishers, so an Amazon report row
//! usually says only which tracking id earned. With one id per page, that is
//! the page: the rewrite sets the page's Amazon links' `tag=` to its id, and
//! conversions whose `label` is that id are credited to it (a trigger on
//! `conversions`, see the migration).

use super::model::validate_tracking_id;
use crate::error::ApiError;
use crate::ids::SiteId;
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The tracking id a page holds, giving it the pool's next free one first
/// when the site assigns them automatically; `None` when it holds none and
/// gets none (manual assignment, an empty or used-up pool). One round trip;
/// the site's assignment lock is taken only on a page's first time.
#[tracing::instrument(skip(client))]
pub async fn page_tag(
    client: &impl GenericClient,
    site: &SiteId,
    page_url: &str,
    post_id: Option<i64>,
) -> Result<Option<String>, tokio_postgres::Error> {
    let statement = client
        .prepare_cached("SELECT affrank_amazon_page_tag($1, $2, $3)")
        .await?;
    let row = client
        .query_one(&statement, &[&site.as_str(), &page_url, &post_id])
        .await?;
    Ok(row.get(0))
}

/// A page with Amazon links or a tracking id, as Settings lists them.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PageRow {
    pub page_url: String,
    pub post_id: Option<i64>,
    pub tracking_id: Option<String>,
    /// `auto` or `manual`; `None` while the page holds no id.
    pub assigned: Option<String>,
}

/// Every page that has Amazon links or holds a tracking id, by URL.
#[tracing::instrument(skip(client))]
pub async fn pages(
    client: &impl GenericClient,
    site: &SiteId,
) -> Result<Vec<PageRow>, tokio_postgres::Error> {
    let rows = client
        .query(
            "WITH linked AS (SELECT page_url, max(post_id) AS post_id FROM links \
                             WHERE site_id = $1 AND network = 'amazon' GROUP BY page_url) \
             SELECT coalesce(a.page_url, l.page_url), coalesce(a.post_id, l.post_id), \
                    a.tracking_id, a.assigned \
             FROM linked l FULL JOIN (SELECT * FROM amazon_pages WHERE site_id = $1) a \
               ON a.page_url = l.page_url \
             ORDER BY 1",
            &[&site.as_str()],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| PageRow {
            page_url: row.get(0),
            post_id: row.get(1),
            tracking_id: row.get(2),
            assigned: row.get(3),
        })
        .collect())
}

/// The pool's ids no page holds, in the pool's order.
#[tracing::instrument(skip(client))]
pub async fn unassigned_ids(
    client: &impl GenericClient,
    site: &SiteId,
) -> Result<Vec<String>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT t.id FROM sites s \
             CROSS JOIN LATERAL unnest(s.amazon_tracking_ids) WITH ORDINALITY AS t (id, n) \
             WHERE s.id = $1 AND NOT EXISTS \
                 (SELECT 1 FROM amazon_pages p WHERE p.site_id = $1 AND p.tracking_id = t.id) \
             ORDER BY t.n",
            &[&site.as_str()],
        )
        .await?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}

/// Pages that have Amazon links but no tracking id while the site assigns
/// automatically and no id is left: their links keep the tag they had, so
/// their sales cannot be told apart. (count, pool size)
#[tracing::instrument(skip(client))]
pub async fn exhausted(
    client: &impl GenericClient,
    site: &str,
) -> Result<Option<(i64, i64)>, tokio_postgres::Error> {
    let row = client
        .query_one(
            "SELECT cardinality(s.amazon_tracking_ids)::int8, \
                    (SELECT count(*) FROM amazon_pages p WHERE p.site_id = s.id \
                       AND p.tracking_id = ANY (s.amazon_tracking_ids)), \
                    (SELECT count(DISTINCT l.page_url) FROM links l \
                     WHERE l.site_id = s.id AND l.network = 'amazon' AND NOT EXISTS \
                       (SELECT 1 FROM amazon_pages p WHERE p.site_id = s.id \
                          AND p.page_url = l.page_url)), \
                    s.amazon_tracking_assignment \
             FROM sites s WHERE s.id = $1",
            &[&site],
        )
        .await?;
    let (pool, used, waiting, mode): (i64, i64, i64, &str) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    Ok((mode == "auto" && pool > 0 && used >= pool && waiting > 0).then_some((waiting, pool)))
}

/// Ids removed from the pool are no page's any more (the pages take a new
/// one on their next rewrite). Called in the settings' transaction.
#[tracing::instrument(skip(client, pool))]
pub async fn drop_removed(
    client: &impl GenericClient,
    site: &SiteId,
    pool: &[String],
) -> Result<u64, tokio_postgres::Error> {
    client
        .execute(
            "DELETE FROM amazon_pages WHERE site_id = $1 AND NOT (tracking_id = ANY ($2))",
            &[&site.as_str(), &pool],
        )
        .await
}

/// One entry of `PUT /api/v1/amazon/pages`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    pub page_url: String,
    /// `None`: the page gives its id back.
    pub tracking_id: Option<String>,
}

/// Reads `{"assignments": [{"page_url", "tracking_id": string | null}]}`.
pub fn parse_assignments(body: &[u8]) -> Result<Vec<Assignment>, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    let Some(items) = value.get("assignments").and_then(Value::as_array) else {
        return Err(ApiError::invalid(
            "assignments",
            "must be an array of {\"page_url\", \"tracking_id\"}",
        ));
    };
    if let Some(key) = value
        .as_object()
        .and_then(|o| o.keys().find(|k| *k != "assignments"))
    {
        return Err(ApiError::invalid(key, "is not a field of this request"));
    }
    if items.len() > super::model::MAX_AMAZON_TRACKING_IDS {
        return Err(ApiError::invalid(
            "assignments",
            format!(
                "at most {} at a time",
                super::model::MAX_AMAZON_TRACKING_IDS
            ),
        ));
    }
    let mut out: Vec<Assignment> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let field = format!("assignments[{i}]");
        // Null gives the page's id back; leaving it out is a mistake.
        if item.get("tracking_id").is_none() {
            return Err(ApiError::invalid(
                format!("{field}.tracking_id"),
                "is required (a tracking id, or null to take the page's away)",
            ));
        }
        let mut a: Assignment = serde_json::from_value(item.clone()).map_err(|e| {
            ApiError::invalid(
                &field,
                format!("must be {{\"page_url\", \"tracking_id\": string or null}}: {e}"),
            )
        })?;
        crate::text::check(&a.page_url, 2048)
            .map_err(|e| ApiError::invalid(format!("{field}.page_url"), e.to_string()))?;
        if a.page_url.is_empty() || a.page_url.len() > 2048 {
            return Err(ApiError::invalid(
                format!("{field}.page_url"),
                "must be 1 to 2048 bytes",
            ));
        }
        if out.iter().any(|o| o.page_url == a.page_url) {
            return Err(ApiError::invalid(
                format!("{field}.page_url"),
                "is given twice",
            ));
        }
        if let Some(id) = &a.tracking_id {
            a.tracking_id = Some(validate_tracking_id(&format!("{field}.tracking_id"), id)?);
        }
        out.push(a);
    }
    Ok(out)
}

/// Applies assignments by hand, all or none, in the caller's transaction:
/// an id not in the pool is 400, an id another page keeps (or two pages of
/// the request want) is 409, each naming its entry. Bumps the settings
/// version, so the plugin renders the pages again and every sidecar's page
/// cache (keyed on the version) reads the new ids.
pub async fn assign(
    tx: &deadpool_postgres::Transaction<'_>,
    site: &SiteId,
    pool: &[String],
    assignments: &[Assignment],
) -> Result<(), ApiError> {
    tx.execute(
        "SELECT pg_advisory_xact_lock(affrank_amazon_lock_key($1))",
        &[&site.as_str()],
    )
    .await?;
    let mut wanted: Vec<(&str, &str)> = Vec::new();
    for (i, a) in assignments.iter().enumerate() {
        let Some(id) = a.tracking_id.as_deref() else {
            continue;
        };
        let field = format!("assignments[{i}].tracking_id");
        if !pool.iter().any(|p| p == id) {
            return Err(ApiError::invalid(
                field,
                format!("{id:?} is not in the site's amazon_tracking_ids"),
            ));
        }
        if let Some((page, _)) = wanted.iter().find(|(_, w)| *w == id) {
            return Err(ApiError::conflict(
                field,
                format!("{id:?} is given to {page} as well"),
            ));
        }
        wanted.push((a.page_url.as_str(), id));
    }
    let pages: Vec<&str> = assignments.iter().map(|a| a.page_url.as_str()).collect();
    tx.execute(
        "DELETE FROM amazon_pages WHERE site_id = $1 AND page_url = ANY ($2)",
        &[&site.as_str(), &pages],
    )
    .await?;
    let ids: Vec<&str> = wanted.iter().map(|(_, id)| *id).collect();
    let held = tx
        .query(
            "SELECT tracking_id, page_url FROM amazon_pages \
             WHERE site_id = $1 AND tracking_id = ANY ($2)",
            &[&site.as_str(), &ids],
        )
        .await?;
    if let Some(row) = held.first() {
        let id: &str = row.get(0);
        let page: &str = row.get(1);
        let i = assignments
            .iter()
            .position(|a| a.tracking_id.as_deref() == Some(id))
            .unwrap_or(0);
        return Err(ApiError::conflict(
            format!("assignments[{i}].tracking_id"),
            format!("{id:?} is held by {page}; give that page another id (or null) first"),
        ));
    }
    let urls: Vec<&str> = wanted.iter().map(|(page, _)| *page).collect();
    tx.execute(
        "INSERT INTO amazon_pages (site_id, page_url, post_id, tracking_id, assigned) \
         SELECT $1, t.page, (SELECT max(l.post_id) FROM links l \
                             WHERE l.site_id = $1 AND l.page_url = t.page), t.id, 'manual' \
         FROM unnest($2::text[], $3::text[]) AS t (page, id)",
        &[&site.as_str(), &urls, &ids],
    )
    .await?;
    tx.execute(
        "UPDATE sites SET settings_version = settings_version + 1, updated_at = now() \
         WHERE id = $1",
        &[&site.as_str()],
    )
    .await?;
    Ok(())
}
