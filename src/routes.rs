//! Every route, one root `recover`, and per-route request metrics.

use crate::error::recover;
use crate::state::AppState;
use crate::{clicks, links, ops, postbacks, reports, sites};
use warp::Filter;

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
    clicks::filters::go(state.clone())
        .or(links::filters::rewrite(state.clone()))
        .unify()
        .or(sites::filters::routes(state.clone()))
        .unify()
        .or(postbacks::filters::routes(state.clone()))
        .unify()
        .or(reports::filters::routes(state.clone()))
        .unify()
        .or(ops::routes(state))
        .unify()
        .recover(recover)
        .unify()
        .with(log)
}
