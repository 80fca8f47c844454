use super::handlers::{self, LogQuery, PostbackRequest};
use crate::error::respond;
use crate::state::AppState;
use bytes::Bytes;
use std::convert::Infallible;
use std::net::SocketAddr;
use warp::Filter;

pub fn routes(
    state: AppState,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    log(state.clone()).or(receive(state)).unify()
}

fn optional_header(
    name: &'static str,
) -> impl Filter<Extract = (Option<String>,), Error = Infallible> + Copy {
    warp::header::optional::<String>(name).or_else(|_| async { Ok::<_, Infallible>((None,)) })
}

/// The query string as sent, still percent-encoded; empty when there is none.
fn raw_query() -> impl Filter<Extract = (String,), Error = Infallible> + Copy {
    warp::query::raw().or(warp::any().map(String::new)).unify()
}

/// GET /api/v1/postbacks/{site_id} and POST (query string, form or JSON body)
pub fn receive(
    state: AppState,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    let limit = state.postback_max_body_bytes;
    let get = warp::get().map(|| ("GET", Bytes::new()));
    let post = warp::post()
        .and(crate::body::limited(limit))
        .map(|body| ("POST", body));
    warp::path!("api" / "v1" / "postbacks" / String)
        .and(get.or(post).unify())
        .and(raw_query())
        .and(optional_header("content-type"))
        .and(optional_header("x-forwarded-for"))
        .and(warp::addr::remote())
        .then(
            move |site_id: String,
                  (method, body): (&'static str, Bytes),
                  query: String,
                  content_type: Option<String>,
                  forwarded_for: Option<String>,
                  peer: Option<SocketAddr>| {
                let state = state.clone();
                let request = PostbackRequest {
                    site_id,
                    method: method.to_owned(),
                    query,
                    content_type,
                    body,
                    peer: peer.map(|p| p.ip()),
                    forwarded_for,
                };
                handlers::receive(state, request)
            },
        )
}

/// GET /api/v1/postbacks/log?limit=&status=
pub fn log(
    state: AppState,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("api" / "v1" / "postbacks" / "log")
        .and(warp::get())
        .and(warp::header::optional::<String>("authorization"))
        .and(warp::query::<LogQuery>())
        .then(move |key, query| {
            let state = state.clone();
            async move { respond(handlers::log(state, key, query).await) }
        })
}
