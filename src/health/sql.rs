//! The facts, each from a cheap indexed read: no query here scans `clicks`,
//! `conversions` or the postback log beyond a bounded range.
//!
//! - The last click: the rollups' latest local day with clicks (the primary
//!   key of `report_site_day`), then that day's range of the `clicks` key,
//!   read backwards to the site's first row (session ids sort by their
//!   minting time, `SessionId::time_prefix`).
//! - Clicks per network: the link rollup `report_day` of the last seven
//!   local days (its primary key), joined to each link's network.
//! - Conversions per network and the unmatched share: the postback log rows
//!   of the site in the window (`postback_log_site_idx`, or its BRIN index on
//!   `received_at`), each joined to its conversion and link by primary key.
//!   Only new conversions count (`matched`, `unmatched`); a conversion that
//!   found its click later is no longer unmatched. The log is kept
//!   `AFFRANK_POSTBACK_LOG_RETENTION_DAYS` (90): kept fewer than 35 days, the
//!   "before" window of a network shrinks with it.

use super::{BEFORE_DAYS, Facts, NetworkFacts, PostbackFacts, SILENT_AFTER_DAYS, SpoolFacts};
use crate::ids::{SessionId, SiteId};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use deadpool_postgres::GenericClient;
use std::collections::BTreeMap;

/// A 4 ms tick, the resolution of the time in a session id.
const TICK: Duration = Duration::milliseconds(4);

#[tracing::instrument(skip(client, spool))]
pub async fn facts(
    client: &impl GenericClient,
    site: &SiteId,
    now: DateTime<Utc>,
    spool: SpoolFacts,
) -> Result<Facts, tokio_postgres::Error> {
    let (last_click_day, last_click_at) = last_click(client, site).await?;
    Ok(Facts {
        last_click_at,
        last_click_day,
        networks: networks(client, site, now).await?,
        postbacks_24h: postbacks_24h(client, site, now).await?,
        spool,
        amazon_pool_exhausted: crate::sites::amazon::exhausted(client, site.as_str()).await?,
    })
}

async fn last_click(
    client: &impl GenericClient,
    site: &SiteId,
) -> Result<(Option<NaiveDate>, Option<DateTime<Utc>>), tokio_postgres::Error> {
    let day = client
        .query_opt(
            "SELECT d.day, d.day::timestamp AT TIME ZONE s.time_zone, \
                    (d.day + 1)::timestamp AT TIME ZONE s.time_zone \
             FROM (SELECT day FROM report_site_day WHERE site_id = $1 AND attributed \
                   GROUP BY day HAVING sum(clicks) + sum(bot_clicks) > 0 \
                   ORDER BY day DESC LIMIT 1) d \
             JOIN sites s ON s.id = $1",
            &[site],
        )
        .await?;
    let Some(day) = day else {
        return Ok((None, None));
    };
    let (starts, ends): (DateTime<Utc>, DateTime<Utc>) = (day.get(1), day.get(2));
    // Ids minted in the day's last tick share its prefix with the next day's
    // first: the range ends a tick later, and nothing after the day has
    // clicks (it is the last day with any). Within one tick ids are in no
    // order: the latest of the last id's tick is the last click.
    let at = client
        .query_one(
            "WITH last AS ( \
                 SELECT session_id FROM clicks \
                 WHERE session_id >= $2 AND session_id < $3 AND site_id = $1 \
                 ORDER BY session_id DESC LIMIT 1) \
             SELECT max(c.clicked_at) FROM last, clicks c \
             WHERE c.session_id >= left(last.session_id, 7) AND c.session_id < $3 \
               AND c.site_id = $1",
            &[
                site,
                &SessionId::time_prefix(starts),
                &SessionId::time_prefix(ends + TICK),
            ],
        )
        .await?;
    Ok((Some(day.get(0)), at.get(0)))
}

async fn networks(
    client: &impl GenericClient,
    site: &SiteId,
    now: DateTime<Utc>,
) -> Result<Vec<NetworkFacts>, tokio_postgres::Error> {
    let mut by_network: BTreeMap<String, NetworkFacts> = BTreeMap::new();
    let blank = |network: &str| NetworkFacts {
        network: network.to_owned(),
        clicks_7d: 0,
        conversions_7d: 0,
        last_conversion_at: None,
        conversions_before: 0,
    };
    let clicks = client
        .query(
            "SELECT l.network, sum(d.clicks)::bigint \
             FROM report_day d \
             JOIN report_key k ON k.id = d.key_id \
             JOIN links l ON l.id = k.key \
             JOIN sites s ON s.id = d.site_id \
             WHERE d.site_id = $1 AND d.dim = 'l' \
               AND d.day > ($2::timestamptz AT TIME ZONE s.time_zone)::date - $3::int \
               AND l.network IS NOT NULL \
             GROUP BY l.network",
            &[site, &now, &(SILENT_AFTER_DAYS as i32)],
        )
        .await?;
    for row in clicks {
        let network: String = row.get(0);
        by_network
            .entry(network.clone())
            .or_insert_with(|| blank(&network))
            .clicks_7d = row.get(1);
    }
    let recent = now - Duration::days(SILENT_AFTER_DAYS);
    let conversions = client
        .query(
            "SELECT l.network, max(p.received_at), \
                    count(*) FILTER (WHERE p.received_at >= $3), \
                    count(*) FILTER (WHERE p.received_at < $3) \
             FROM postback_log p \
             JOIN conversions c ON c.id = p.conversion_id \
             JOIN links l ON l.id = c.link_id \
             WHERE p.site_id = $1 AND p.received_at >= $2 AND p.received_at <= $4 \
               AND p.outcome IN ('matched', 'unmatched') AND l.network IS NOT NULL \
             GROUP BY l.network",
            &[site, &(recent - Duration::days(BEFORE_DAYS)), &recent, &now],
        )
        .await?;
    for row in conversions {
        let network: String = row.get(0);
        let entry = by_network
            .entry(network.clone())
            .or_insert_with(|| blank(&network));
        entry.last_conversion_at = row.get(1);
        entry.conversions_7d = row.get(2);
        entry.conversions_before = row.get(3);
    }
    Ok(by_network.into_values().collect())
}

async fn postbacks_24h(
    client: &impl GenericClient,
    site: &SiteId,
    now: DateTime<Utc>,
) -> Result<PostbackFacts, tokio_postgres::Error> {
    let row = client
        .query_one(
            "SELECT count(*), count(*) FILTER (WHERE c.id IS NOT NULL AND c.clicked_at IS NULL) \
             FROM postback_log p \
             LEFT JOIN conversions c ON c.id = p.conversion_id \
             WHERE p.site_id = $1 AND p.received_at >= $2 AND p.received_at <= $3 \
               AND p.outcome IN ('matched', 'unmatched')",
            &[site, &(now - Duration::hours(24)), &now],
        )
        .await?;
    Ok(PostbackFacts::new(row.get(0), row.get(1)))
}
