use super::handlers::{self, ClickHeaders, ClickRequest};
use crate::state::AppState;
use std::convert::Infallible;
use warp::Filter;
use warp::http::Method;

fn header(
    name: &'static str,
) -> impl Filter<Extract = (Option<String>,), Error = Infallible> + Copy {
    warp::header::optional::<String>(name).or_else(|_| async { Ok::<_, Infallible>((None,)) })
}

/// The request headers a click reads, and nothing more.
fn click_headers() -> impl Filter<Extract = (ClickHeaders,), Error = Infallible> + Copy {
    header("user-agent")
        .and(header("referer"))
        .and(header("x-forwarded-for"))
        .and(header("sec-purpose"))
        .and(header("purpose"))
        .and(header("x-purpose"))
        .and(header("x-moz"))
        .map(
            |user_agent, referrer, forwarded_for, sec_purpose, purpose, x_purpose, x_moz| {
                ClickHeaders {
                    user_agent,
                    referrer,
                    forwarded_for,
                    purposes: [sec_purpose, purpose, x_purpose, x_moz],
                }
            },
        )
}

/// GET /go/{link_id} (also HEAD)
pub fn go(
    state: AppState,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("go" / String)
        .and(warp::get().or(warp::head()).unify())
        .and(warp::method())
        .and(click_headers())
        .and(warp::addr::remote())
        .then(
            move |link_id: String, method: Method, headers, peer: Option<std::net::SocketAddr>| {
                let state = state.clone();
                async move {
                    let request = ClickRequest {
                        link_id,
                        is_head: method == Method::HEAD,
                        headers,
                        peer: peer.map(|p| p.ip()),
                    };
                    handlers::go(state, request).await
                }
            },
        )
}
