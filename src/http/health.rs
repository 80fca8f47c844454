//! `GET /api/v1/health`: the site's health facts and the alerts they raise.

use super::auth::authenticate;
use super::filters::api_key;
use super::recover::respond;
use super::state::AppState;
use super::with_state;
use crate::error::ApiError;
use crate::health::{self, SpoolFacts};
use serde_json::json;
use warp::Filter;
use warp::reply::{Reply, Response};

/// GET /api/v1/health
pub fn route(
    state: AppState,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    warp::path!("api" / "v1" / "health")
        .and(warp::get())
        .and(with_state(state))
        .and(api_key())
        .then(|state, key| async move { respond(show(state, key).await) })
}

async fn show(state: AppState, key: Option<String>) -> Result<impl Reply, ApiError> {
    let site = authenticate(&state, key).await?;
    let spool = state.spool.clone();
    let set_aside = tokio::task::spawn_blocking(move || spool.set_aside_records())
        .await
        .map_err(|e| anyhow::anyhow!("counting the set-aside records: {e}"))?
        .map_err(|e| anyhow::anyhow!("counting the set-aside records: {e}"))?;
    let spool = SpoolFacts {
        pending: state.spool.pending(),
        set_aside,
    };
    let now = chrono::Utc::now();
    let client = state.pool.get().await?;
    // The site's pending clicks count from the moment they were made, as
    // in the reports.
    crate::reports::sql::fold(&client, Some(site.id.as_str())).await?;
    let facts = health::sql::facts(&client, &site.id, now, spool).await?;
    let mut body = serde_json::to_value(&facts).map_err(anyhow::Error::from)?;
    body["checked_at"] = json!(now);
    body["alerts"] = json!(health::alerts(&facts, now));
    let mut response = warp::reply::json(&body).into_response();
    response.headers_mut().insert(
        warp::http::header::CACHE_CONTROL,
        warp::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}
