//! Reading and changing a site's settings, as the plugin sees them.

use super::model::Site;
use super::sql;
use crate::error::ApiError;
use crate::networks::PostbackTemplate;
use deadpool_postgres::Transaction;
use futures_util::future::BoxFuture;
use serde_json::{Value, json};

/// What else must change, in the same transaction, when a site's time zone
/// does. Reports count local days and rebuild their rollups (handed in by
/// the caller, so this feature does not reach into reports).
pub trait ZoneChange: Sync {
    fn zone_changed<'a>(
        &'a self,
        tx: &'a Transaction<'a>,
        site_id: &'a str,
    ) -> BoxFuture<'a, Result<(), tokio_postgres::Error>>;
}

impl Site {
    /// The base of this site's `/go/` links and postback URLs.
    pub fn tracking_base<'a>(&'a self, public_base: &'a str) -> &'a str {
        self.settings
            .tracking_base_url
            .as_deref()
            .unwrap_or(public_base)
    }

    pub fn postback_template(&self, public_base: &str) -> PostbackTemplate {
        PostbackTemplate {
            base: format!(
                "{}/api/v1/postbacks/{}",
                self.tracking_base(public_base),
                self.id
            ),
            token: self.postback_secret.clone(),
        }
    }

    /// `GET /api/v1/site`: the settings, the postback URL and the presets.
    pub fn settings_view(&self, public_base: &str) -> Value {
        let template = self.postback_template(public_base);
        let mut view = serde_json::to_value(&self.settings).expect("settings serialise");
        view["site_id"] = json!(self.id.as_str());
        view["settings_version"] = json!(self.settings_version);
        view["postback_url"] = json!(template.generic());
        view["networks"] = json!(template.presets());
        view
    }
}

/// Applies `patch` (validated field by field) and saves it, unless someone
/// saved other settings since `site` was read (409).
pub async fn change(
    client: &mut deadpool_postgres::Client,
    site: &mut Site,
    patch: &Value,
    zone_change: &dyn ZoneChange,
) -> Result<(), ApiError> {
    let old_zone = site.settings.time_zone.clone();
    let old_pool = site.settings.amazon_tracking_ids.clone();
    site.settings.apply_patch(patch)?;
    let tx = client.transaction().await?;
    site.settings_version =
        sql::update_settings(&tx, &site.id, site.settings_version, &site.settings)
            .await?
            .ok_or(ApiError::Conflict(
                "the settings changed while this change was made; reload them and try again",
            ))?;
    if site.settings.amazon_tracking_ids != old_pool {
        super::amazon::drop_removed(&tx, &site.id, &site.settings.amazon_tracking_ids).await?;
    }
    if site.settings.time_zone != old_zone {
        // Reports count local days: move every rollup to the new zone's days
        // before anyone can read the new zone with the old days.
        zone_change.zone_changed(&tx, site.id.as_str()).await?;
    }
    tx.commit().await?;
    Ok(())
}
