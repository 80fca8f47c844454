use super::handlers::{self, ClickRequest};
use crate::state::AppState;
use warp::Filter;
use warp::http::{HeaderMap, Method};

/// GET /go/{link_id} (also HEAD)
pub fn go(
    state: AppState,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("go" / String)
        .and(warp::get().or(warp::head()).unify())
        .and(warp::method())
        .and(warp::header::headers_cloned())
        .and(warp::addr::remote())
        .then(
            move |link_id: String,
                  method: Method,
                  headers: HeaderMap,
                  peer: Option<std::net::SocketAddr>| {
                let state = state.clone();
                async move {
                    handlers::go(
                        state,
                        ClickRequest {
                            link_id,
                            is_head: method == Method::HEAD,
                            headers,
                            peer: peer.map(|p| p.ip()),
                        },
                    )
                    .await
                }
            },
        )
}
