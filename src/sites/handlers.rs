use super::auth::authenticate;
use super::model::Site;
use super::sql;
use crate::error::ApiError;
use crate::networks::PostbackTemplate;
use crate::state::AppState;
use bytes::Bytes;
use serde_json::{Value, json};
use warp::Reply;

pub async fn get_site(state: AppState, key: Option<String>) -> Result<impl Reply, ApiError> {
    let site = authenticate(&state, key).await?;
    Ok(warp::reply::json(&settings_view(&state, &site)))
}

pub async fn put_site(
    state: AppState,
    key: Option<String>,
    body: Bytes,
) -> Result<impl Reply, ApiError> {
    let mut site = authenticate(&state, key).await?;
    let patch: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    let old_zone = site.settings.time_zone.clone();
    site.settings.apply_patch(&patch)?;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    site.settings_version =
        sql::update_settings(&tx, &site.id, site.settings_version, &site.settings)
            .await?
            .ok_or(ApiError::Conflict(
                "the settings changed while this change was made; reload them and try again",
            ))?;
    if site.settings.time_zone != old_zone {
        // Reports count local days: move every rollup to the new zone's days
        // before anyone can read the new zone with the old days.
        crate::reports::sql::rebuild(&tx, site.id.as_str()).await?;
    }
    tx.commit().await?;
    Ok(warp::reply::json(&settings_view(&state, &site)))
}

pub fn tracking_base<'a>(state: &'a AppState, site: &'a Site) -> &'a str {
    site.settings
        .tracking_base_url
        .as_deref()
        .unwrap_or(&state.public_base)
}

pub fn postback_template(base: &str, site: &Site) -> PostbackTemplate {
    PostbackTemplate {
        base: format!("{base}/api/v1/postbacks/{}", site.id),
        token: site.postback_secret.clone(),
    }
}

fn settings_view(state: &AppState, site: &Site) -> Value {
    let template = postback_template(tracking_base(state, site), site);
    let mut view = serde_json::to_value(&site.settings).expect("settings serialise");
    view["site_id"] = json!(site.id.as_str());
    view["settings_version"] = json!(site.settings_version);
    view["postback_url"] = json!(template.generic());
    view["networks"] = json!(template.presets());
    view
}
