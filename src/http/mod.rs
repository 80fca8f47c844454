//! The HTTP layer: every route, the state handlers share, authentication,
//! body limits, and the one `recover`. Feature modules below it hold the
//! domain and its SQL and never import from here.

mod amazon;
pub mod auth;
pub mod body;
mod clicks;
mod conversions;
pub mod client_addr;
pub mod filters;
mod health;
mod imports;
mod links;
mod ops;
mod postbacks;
pub mod recover;
mod reports;
mod sites;
pub mod state;
mod untracked;

use state::AppState;
use warp::Filter;

/// Every route in order, one root `recover`, and per-route request metrics.
pub fn routes(
    state: AppState,
) -> impl Filter<Extract = (impl warp::Reply,), Error = std::convert::Infallible> + Clone {
    let metrics = state.metrics.clone();
    let log = warp::log::custom(move |info| {
        metrics.observe(
            info.path(),
            info.status().as_u16(),
            info.elapsed().as_secs_f64(),
        );
    });
    clicks::go(state.clone())
        .or(links::rewrite(state.clone()))
        .unify()
        .or(links::map(state.clone()))
        .unify()
        .or(untracked::report(state.clone()))
        .unify()
        .or(sites::routes(state.clone()))
        .unify()
        .or(postbacks::routes(state.clone()))
        .unify()
        .or(reports::routes(state.clone()))
        .unify()
        .or(conversions::routes(state.clone()))
        .unify()
        .or(amazon::routes(state.clone()))
        .unify()
        .or(health::route(state.clone()))
        .unify()
        .or(imports::routes(state.clone()))
        .unify()
        .or(ops::routes(state))
        .unify()
        .recover(recover::recover)
        .unify()
        .with(log)
}

/// Hands each request its own clone of the shared state (one `Arc`).
fn with_state(
    state: AppState,
) -> impl Filter<Extract = (AppState,), Error = std::convert::Infallible> + Clone {
    warp::any().map(move || state.clone())
}
