//! `GET` and `PUT /api/v1/amazon/pages`: which page holds which of the
//! site's Amazon tracking ids (`sites::amazon`).

use super::auth::authenticate;
use super::body::limited;
use super::filters::api_key;
use super::recover::respond;
use super::state::AppState;
use super::with_state;
use crate::error::ApiError;
use crate::sites::Site;
use crate::sites::amazon;
use bytes::Bytes;
use serde_json::json;
use warp::{Filter, Reply};

pub fn routes(
    state: AppState,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    let limit = state.max_body_bytes;
    let get = warp::path!("api" / "v1" / "amazon" / "pages")
        .and(warp::get())
        .and(with_state(state.clone()))
        .and(api_key())
        .then(|state, key| async move { respond(show(state, key).await) });
    let put = warp::path!("api" / "v1" / "amazon" / "pages")
        .and(warp::put())
        .and(with_state(state))
        .and(api_key())
        .and(limited(limit))
        .then(|state, key, body| async move { respond(change(state, key, body).await) });
    get.or(put).unify()
}

async fn listing(
    client: &deadpool_postgres::Client,
    site: &Site,
) -> Result<warp::reply::Response, ApiError> {
    let rows = amazon::pages(client, &site.id).await?;
    let unassigned = amazon::unassigned_ids(client, &site.id).await?;
    let mut response = warp::reply::json(&json!({
        "rows": rows,
        "unassigned_ids": unassigned,
    }))
    .into_response();
    response.headers_mut().insert(
        warp::http::header::CACHE_CONTROL,
        warp::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

async fn show(state: AppState, key: Option<String>) -> Result<warp::reply::Response, ApiError> {
    let site = authenticate(&state, key).await?;
    let client = state.pool.get().await?;
    listing(&client, &site).await
}

async fn change(
    state: AppState,
    key: Option<String>,
    body: Bytes,
) -> Result<warp::reply::Response, ApiError> {
    let site = authenticate(&state, key).await?;
    let assignments = amazon::parse_assignments(&body)?;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    amazon::assign(
        &tx,
        &site.id,
        &site.settings.amazon_tracking_ids,
        &assignments,
    )
    .await?;
    tx.commit().await?;
    listing(&client, &site).await
}
