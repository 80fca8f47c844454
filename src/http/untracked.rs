//! `POST /api/v1/clicks/untracked`: the plugin reports the clicks it
//! redirected from its own link map while `/go/` could not be answered.

use super::auth::authenticate;
use super::body::limited;
use super::filters::api_key;
use super::recover::respond;
use super::state::AppState;
use super::with_state;
use crate::clicks::untracked;
use crate::error::ApiError;
use bytes::Bytes;
use serde_json::json;
use warp::Filter;

/// POST /api/v1/clicks/untracked
pub fn report(
    state: AppState,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    let limit = state.max_body_bytes;
    warp::path!("api" / "v1" / "clicks" / "untracked")
        .and(warp::post())
        .and(with_state(state))
        .and(api_key())
        .and(limited(limit))
        .then(|state, key, body| async move { respond(handle(state, key, body).await) })
}

async fn handle(
    state: AppState,
    key: Option<String>,
    body: Bytes,
) -> Result<impl warp::Reply, ApiError> {
    let site = authenticate(&state, key).await?;
    let counts = untracked::parse(&body, chrono::Utc::now().date_naive())?;
    let client = state.pool.get().await?;
    let accepted = untracked::store(&client, &site.id, &counts).await?;
    Ok(warp::reply::json(&json!({
        "accepted": accepted,
        "ignored": counts.len() as i64 - accepted,
    })))
}
