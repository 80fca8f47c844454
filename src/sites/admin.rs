//! Site administration from the command line: the list, key and secret
//! rotation, and removal with every row of the site.

use crate::ids::SiteId;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct SiteSummary {
    pub site_id: String,
    pub name: String,
    pub url: String,
    pub currency: String,
    pub created_at: DateTime<Utc>,
    /// Every recorded click, bots included.
    pub clicks: i64,
    /// Conversions of any status.
    pub conversions: i64,
}

/// Every site, oldest first; or the one site `only`. Clicks are counted
/// from the rollups (the days, and the clicks not folded into them yet),
/// not from `clicks`, which has no index by site: read in one statement,
/// the two add up to the rows.
pub async fn list(
    client: &impl GenericClient,
    only: Option<&SiteId>,
) -> Result<Vec<SiteSummary>, tokio_postgres::Error> {
    let only = only.map(SiteId::as_str);
    let rows = client
        .query(
            "SELECT s.id, s.name, s.url, s.currency, s.created_at, \
                    coalesce((SELECT sum(d.clicks + d.bot_clicks) FROM report_site_day d \
                              WHERE d.site_id = s.id), 0)::bigint \
                  + coalesce((SELECT sum(p.clicks + p.bot_clicks) FROM report_click_pending p \
                              WHERE p.site_id = s.id), 0)::bigint AS clicks, \
                    (SELECT count(*) FROM conversions c WHERE c.site_id = s.id) AS conversions \
             FROM sites s WHERE $1::text IS NULL OR s.id = $1 ORDER BY s.created_at, s.id",
            &[&only],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| SiteSummary {
            site_id: row.get(0),
            name: row.get(1),
            url: row.get(2),
            currency: row.get(3),
            created_at: row.get(4),
            clicks: row.get(5),
            conversions: row.get(6),
        })
        .collect())
}

/// Replaces the API key's hash: the old key stops working with the next
/// request (every request looks its key up). `false`: no such site.
pub async fn rotate_api_key(
    client: &impl GenericClient,
    id: &SiteId,
    new_key_hash: &[u8],
) -> Result<bool, tokio_postgres::Error> {
    let n = client
        .execute(
            "UPDATE sites SET api_key_hash = $2, updated_at = now() WHERE id = $1",
            &[&id.as_str(), &new_key_hash],
        )
        .await?;
    Ok(n == 1)
}

/// Sets a new postback secret; the old one's SHA-256 (computed here, so
/// the old secret never leaves the database) is taken for `grace_days`
/// more days, or not at all when 0. A previous secret still in its grace
/// period is dropped. `None`: no such site; else when the old one expires.
pub async fn rotate_postback_secret(
    client: &impl GenericClient,
    id: &SiteId,
    new_secret: &str,
    grace_days: u32,
) -> Result<Option<Option<DateTime<Utc>>>, tokio_postgres::Error> {
    let days = i32::try_from(grace_days).unwrap_or(i32::MAX);
    let row = client
        .query_opt(
            "UPDATE sites SET \
                 previous_postback_secret_hash = \
                     CASE WHEN $3 > 0 THEN sha256(convert_to(postback_secret, 'UTF8')) END, \
                 previous_secret_expires_at = \
                     CASE WHEN $3 > 0 THEN now() + make_interval(days => $3) END, \
                 postback_secret = $2, \
                 updated_at = now() \
             WHERE id = $1 \
             RETURNING previous_secret_expires_at",
            &[&id.as_str(), &new_secret, &days],
        )
        .await?;
    Ok(row.map(|row| row.get(0)))
}

/// What a removal deleted.
#[derive(Debug, Default, Serialize)]
pub struct Removed {
    pub links: i64,
    pub clicks: u64,
    pub conversions: i64,
    pub postback_log: u64,
}

/// The tables that hold a site's rows, and how each goes: every table of
/// the schema with a `site_id` column is here (the removal test checks it
/// against the catalog).
///
/// - `links`, `conversions` (and through them `conversion_status_history`)
///   go with the `sites` row (`ON DELETE CASCADE`);
/// - the rollups (`report_site_day`, `report_day`, `report_key`,
///   `report_checkpoint`, `report_recent`, `report_state`) go with it too,
///   by the `sites_report_forget` trigger;
/// - `clicks`, `postback_log` and `report_click_pending` have no foreign
///   key (each would cost a lookup per row written) and are deleted here,
///   after the `sites` row, so that the click triggers find no site and
///   add nothing back to the rollups.
pub async fn remove(
    client: &mut deadpool_postgres::Client,
    id: &SiteId,
) -> Result<Option<Removed>, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    // The site's rollup locks, in the order a rebuild takes them: a
    // sidecar writing this site's clicks or conversions meanwhile waits,
    // and then finds no site to add them to.
    tx.execute(
        "SELECT pg_advisory_xact_lock(affrank_report_pending_lock_key($1)), \
                pg_advisory_xact_lock(affrank_report_lock_key($1))",
        &[&id.as_str()],
    )
    .await?;
    let Some(counts) = tx
        .query_opt(
            "SELECT (SELECT count(*) FROM links WHERE site_id = s.id), \
                    (SELECT count(*) FROM conversions WHERE site_id = s.id) \
             FROM sites s WHERE s.id = $1 FOR UPDATE",
            &[&id.as_str()],
        )
        .await?
    else {
        return Ok(None);
    };
    let site = [&id.as_str() as &(dyn tokio_postgres::types::ToSql + Sync)];
    tx.execute("DELETE FROM sites WHERE id = $1", &site).await?;
    let removed = Removed {
        links: counts.get(0),
        conversions: counts.get(1),
        clicks: tx
            .execute("DELETE FROM clicks WHERE site_id = $1", &site)
            .await?,
        postback_log: tx
            .execute("DELETE FROM postback_log WHERE site_id = $1", &site)
            .await?,
    };
    tx.execute("DELETE FROM report_click_pending WHERE site_id = $1", &site)
        .await?;
    tx.commit().await?;
    Ok(Some(removed))
}

/// Which of `site_ids` no longer exist (removed by another process).
pub async fn removed_among(
    client: &impl GenericClient,
    site_ids: &[String],
) -> Result<Vec<String>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT id FROM unnest($1::text[]) AS t(id) \
             WHERE NOT EXISTS (SELECT 1 FROM sites s WHERE s.id = t.id)",
            &[&site_ids],
        )
        .await?;
    Ok(rows.into_iter().map(|row| row.get(0)).collect())
}

/// Deletes clicks of sites that no longer exist: those a serve recorded
/// from links it still held in memory when their site was removed.
pub async fn delete_clicks_of_removed(
    client: &impl GenericClient,
    site_ids: &[String],
) -> Result<u64, tokio_postgres::Error> {
    client
        .execute(
            "DELETE FROM clicks WHERE site_id = ANY($1) \
             AND NOT EXISTS (SELECT 1 FROM sites s WHERE s.id = clicks.site_id)",
            &[&site_ids],
        )
        .await
}
