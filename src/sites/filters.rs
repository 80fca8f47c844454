use super::handlers;
use crate::error::respond;
use crate::state::AppState;
use warp::Filter;

pub fn api_key() -> impl Filter<Extract = (Option<String>,), Error = warp::Rejection> + Clone {
    warp::header::optional::<String>("authorization")
}

pub fn routes(
    state: AppState,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    get_site(state.clone()).or(put_site(state)).unify()
}

/// GET /api/v1/site
pub fn get_site(
    state: AppState,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("api" / "v1" / "site")
        .and(warp::get())
        .and(api_key())
        .then(move |key| {
            let state = state.clone();
            async move { respond(handlers::get_site(state, key).await) }
        })
}

/// PUT /api/v1/site
pub fn put_site(
    state: AppState,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    let limit = state.max_body_bytes;
    warp::path!("api" / "v1" / "site")
        .and(warp::put())
        .and(api_key())
        .and(crate::body::limited(limit))
        .then(move |key, body| {
            let state = state.clone();
            async move { respond(handlers::put_site(state, key, body).await) }
        })
}
