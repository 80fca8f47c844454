use super::handlers;
use crate::error::respond;
use crate::state::AppState;
use warp::Filter;

/// POST /api/v1/rewrite
pub fn rewrite(
    state: AppState,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    let limit = state.max_body_bytes;
    warp::path!("api" / "v1" / "rewrite")
        .and(warp::post())
        .and(warp::header::optional::<String>("authorization"))
        .and(crate::body::limited(limit))
        .then(move |key, body| {
            let state = state.clone();
            async move { respond(handlers::rewrite(state, key, body).await) }
        })
}
