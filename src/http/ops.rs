//! Liveness, readiness and metrics.

use super::state::AppState;
use super::with_state;
use warp::Filter;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

pub fn routes(
    state: AppState,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    healthz()
        .or(readyz(state.clone()))
        .unify()
        .or(metrics(state))
        .unify()
}

/// GET /healthz
fn healthz() -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    warp::path!("healthz")
        .and(warp::get())
        .map(|| warp::reply::json(&serde_json::json!({"status": "ok"})).into_response())
}

/// GET /readyz
fn readyz(state: AppState) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    warp::path!("readyz")
        .and(warp::get())
        .and(with_state(state))
        .then(ready)
}

async fn ready(state: AppState) -> Response {
    let (status, body) = if crate::db::is_ready(&state.pool).await {
        (StatusCode::OK, serde_json::json!({"status": "ready"}))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({"status": "database unreachable"}),
        )
    };
    warp::reply::with_status(warp::reply::json(&body), status).into_response()
}

/// GET /metrics
fn metrics(state: AppState) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    warp::path!("metrics").and(warp::get()).map(move || {
        warp::reply::with_header(
            state.metrics.render(),
            "content-type",
            "text/plain; version=0.0.4; charset=utf-8",
        )
        .into_response()
    })
}
