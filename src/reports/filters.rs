use super::Dimension;
use super::handlers::{self, Query};
use crate::error::respond;
use crate::sites::filters::api_key;
use crate::state::AppState;
use warp::Filter;

pub fn routes(
    state: AppState,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    summary(state.clone())
        .or(timeseries(state.clone()))
        .unify()
        .or(list(state.clone(), Dimension::Keyword))
        .unify()
        .or(list(state.clone(), Dimension::Page))
        .unify()
        .or(list(state, Dimension::Link))
        .unify()
}

/// The query string as name/value pairs, kept in order so that a parameter
/// given twice is noticed.
fn query() -> impl Filter<Extract = (Query,), Error = warp::Rejection> + Clone {
    warp::query::<Query>()
}

/// GET /api/v1/reports/summary
pub fn summary(
    state: AppState,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("api" / "v1" / "reports" / "summary")
        .and(warp::get())
        .and(api_key())
        .and(query())
        .then(move |key, query| {
            let state = state.clone();
            async move { respond(handlers::summary(state, key, query).await) }
        })
}

/// GET /api/v1/reports/timeseries
pub fn timeseries(
    state: AppState,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("api" / "v1" / "reports" / "timeseries")
        .and(warp::get())
        .and(api_key())
        .and(query())
        .then(move |key, query| {
            let state = state.clone();
            async move { respond(handlers::timeseries(state, key, query).await) }
        })
}

/// GET /api/v1/reports/keywords, GET /api/v1/reports/pages, GET /api/v1/reports/links
pub fn list(
    state: AppState,
    dim: Dimension,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path("api")
        .and(warp::path("v1"))
        .and(warp::path("reports"))
        .and(warp::path(dim.name()))
        .and(warp::path::end())
        .and(warp::get())
        .and(api_key())
        .and(query())
        .then(move |key, query| {
            let state = state.clone();
            async move { respond(handlers::list(state, key, dim, query).await) }
        })
}
