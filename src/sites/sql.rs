//! One small function per query, each taking whatever client it is given.

use super::model::{AmazonAssignment, LinkRule, PreviousSecret, RelPolicy, Site, SiteSettings};
use crate::ids::SiteId;
use deadpool_postgres::GenericClient;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use tokio_postgres::Row;

const SITE_COLUMNS: &str = "id, postback_secret, settings_version, name, url, currency, time_zone, \
     tracking_base_url, rel_policy, exclude_bots, link_rules, currency_rates, \
     previous_postback_secret_hash, previous_secret_expires_at, click_detail_retention_days, \
     amazon_tracking_ids, amazon_tracking_assignment";

#[tracing::instrument(skip(client, api_key_hash, postback_secret, settings))]
pub async fn insert_site(
    client: &impl GenericClient,
    id: &SiteId,
    api_key_hash: &[u8],
    postback_secret: &str,
    settings: &SiteSettings,
) -> Result<(), tokio_postgres::Error> {
    client
        .execute(
            "INSERT INTO sites (id, api_key_hash, postback_secret, name, url, currency) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &id.as_str(),
                &api_key_hash,
                &postback_secret,
                &settings.name,
                &settings.url,
                &settings.currency,
            ],
        )
        .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn find_site_by_key_hash(
    client: &impl GenericClient,
    api_key_hash: &[u8],
) -> Result<Option<Site>, tokio_postgres::Error> {
    let sql = format!("SELECT {SITE_COLUMNS} FROM sites WHERE api_key_hash = $1");
    let row = client.query_opt(&sql, &[&api_key_hash]).await?;
    row.map(site_from_row).transpose()
}

#[tracing::instrument(skip(client))]
pub async fn find_site(
    client: &impl GenericClient,
    id: &SiteId,
) -> Result<Option<Site>, tokio_postgres::Error> {
    let sql = format!("SELECT {SITE_COLUMNS} FROM sites WHERE id = $1");
    let row = client.query_opt(&sql, &[&id.as_str()]).await?;
    row.map(site_from_row).transpose()
}

/// Saves every setting and bumps the version the plugin keys its cache on,
/// unless the version is no longer `read_version` (someone saved meanwhile):
/// then `None`, and nothing is written.
#[tracing::instrument(skip(client, settings))]
pub async fn update_settings(
    client: &impl GenericClient,
    id: &SiteId,
    read_version: i32,
    settings: &SiteSettings,
) -> Result<Option<i32>, tokio_postgres::Error> {
    let rules = serde_json::to_value(&settings.link_rules).expect("rules serialise");
    let rates = serde_json::to_value(&settings.currency_rates).expect("rates serialise");
    let rel = serde_json::to_value(settings.rel_policy).expect("policy serialises");
    let row = client
        .query_opt(
            "UPDATE sites SET name = $2, url = $3, currency = $4, time_zone = $5, \
             tracking_base_url = $6, rel_policy = $7, exclude_bots = $8, link_rules = $9, \
             currency_rates = $10, click_detail_retention_days = $12, \
             amazon_tracking_ids = $13, amazon_tracking_assignment = $14, \
             settings_version = settings_version + 1, updated_at = now() \
             WHERE id = $1 AND settings_version = $11 RETURNING settings_version",
            &[
                &id.as_str(),
                &settings.name,
                &settings.url,
                &settings.currency,
                &settings.time_zone,
                &settings.tracking_base_url,
                &rel.as_str(),
                &settings.exclude_bots,
                &rules,
                &rates,
                &read_version,
                &(settings.click_detail_retention_days as i32),
                &settings.amazon_tracking_ids,
                &settings.amazon_tracking_assignment.as_str(),
            ],
        )
        .await?;
    Ok(row.map(|row| row.get(0)))
}

fn site_from_row(row: Row) -> Result<Site, tokio_postgres::Error> {
    let rules: serde_json::Value = row.try_get("link_rules")?;
    let rates: serde_json::Value = row.try_get("currency_rates")?;
    let rel: String = row.try_get("rel_policy")?;
    // These columns are written only by `update_settings`; a row that does not
    // parse was edited by hand, and falling back beats refusing to serve.
    let link_rules: Vec<LinkRule> = serde_json::from_value(rules).unwrap_or_else(|e| {
        tracing::error!(error = %e, "sites.link_rules does not parse; ignoring the rules");
        Vec::new()
    });
    let currency_rates: BTreeMap<String, Decimal> =
        serde_json::from_value(rates).unwrap_or_else(|e| {
            tracing::error!(error = %e, "sites.currency_rates does not parse; ignoring the rates");
            BTreeMap::new()
        });
    Ok(Site {
        id: SiteId::from_trusted(row.try_get("id")?),
        postback_secret: row.try_get("postback_secret")?,
        previous_secret: match (
            row.try_get("previous_postback_secret_hash")?,
            row.try_get("previous_secret_expires_at")?,
        ) {
            (Some(digest), Some(expires_at)) => Some(PreviousSecret { digest, expires_at }),
            _ => None,
        },
        settings_version: row.try_get("settings_version")?,
        settings: SiteSettings {
            name: row.try_get("name")?,
            url: row.try_get("url")?,
            currency: row.try_get("currency")?,
            time_zone: row.try_get("time_zone")?,
            tracking_base_url: row.try_get("tracking_base_url")?,
            rel_policy: if rel == "none" {
                RelPolicy::None
            } else {
                RelPolicy::SponsoredNofollow
            },
            exclude_bots: row.try_get("exclude_bots")?,
            link_rules,
            currency_rates,
            // The column's CHECK keeps it within 1..=3650.
            click_detail_retention_days: row
                .try_get::<_, i32>("click_detail_retention_days")?
                .unsigned_abs(),
            amazon_tracking_ids: row.try_get("amazon_tracking_ids")?,
            amazon_tracking_assignment: if row.try_get::<_, &str>("amazon_tracking_assignment")?
                == "manual"
            {
                AmazonAssignment::Manual
            } else {
                AmazonAssignment::Auto
            },
        },
    })
}
