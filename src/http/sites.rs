//! `GET` and `PUT /api/v1/site`: the settings the plugin reads and writes.

use super::auth::authenticate;
use super::body::limited;
use super::filters::api_key;
use super::recover::respond;
use super::state::AppState;
use super::with_state;
use crate::error::ApiError;
use crate::sites::settings::{self, ZoneChange};
use bytes::Bytes;
use deadpool_postgres::Transaction;
use futures_util::future::BoxFuture;
use serde_json::Value;
use warp::{Filter, Reply};

pub fn routes(
    state: AppState,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    get_site(state.clone()).or(put_site(state)).unify()
}

/// GET /api/v1/site
fn get_site(
    state: AppState,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("api" / "v1" / "site")
        .and(warp::get())
        .and(with_state(state))
        .and(api_key())
        .then(|state, key| async move { respond(show(state, key).await) })
}

/// PUT /api/v1/site
fn put_site(
    state: AppState,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    let limit = state.max_body_bytes;
    warp::path!("api" / "v1" / "site")
        .and(warp::put())
        .and(with_state(state))
        .and(api_key())
        .and(limited(limit))
        .then(|state, key, body| async move { respond(change(state, key, body).await) })
}

async fn show(state: AppState, key: Option<String>) -> Result<impl Reply, ApiError> {
    let site = authenticate(&state, key).await?;
    Ok(warp::reply::json(&site.settings_view(&state.public_base)))
}

async fn change(state: AppState, key: Option<String>, body: Bytes) -> Result<impl Reply, ApiError> {
    let mut site = authenticate(&state, key).await?;
    let patch: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    let mut client = state.pool.get().await?;
    settings::change(&mut client, &mut site, &patch, &RebuildRollups).await?;
    Ok(warp::reply::json(&site.settings_view(&state.public_base)))
}

/// A new time zone moves every rollup of the site to the new zone's days.
struct RebuildRollups;

impl ZoneChange for RebuildRollups {
    fn zone_changed<'a>(
        &'a self,
        tx: &'a Transaction<'a>,
        site_id: &'a str,
    ) -> BoxFuture<'a, Result<(), tokio_postgres::Error>> {
        Box::pin(crate::reports::sql::rebuild(tx, site_id))
    }
}
