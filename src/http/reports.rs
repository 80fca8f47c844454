//! `GET /api/v1/reports/…`: Revenue Mapping's figures, as JSON or CSV.

use super::auth::authenticate;
use super::filters::api_key;
use super::recover::respond;
use super::state::AppState;
use super::with_state;
use crate::error::ApiError;
use crate::reports::Dimension;
use crate::reports::answer::{self, Answer};
use crate::reports::params::{Report, ReportQuery};
use warp::Filter;
use warp::http::{HeaderValue, header};
use warp::reply::{Reply, Response};

/// The query string as name/value pairs, kept in order so that a parameter
/// given twice is noticed.
type Query = Vec<(String, String)>;

pub fn routes(
    state: AppState,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    one(state.clone(), "summary", Report::Summary)
        .or(one(state.clone(), "timeseries", Report::Timeseries))
        .unify()
        .or(one(
            state.clone(),
            Dimension::Keyword.name(),
            Report::List(Dimension::Keyword),
        ))
        .unify()
        .or(one(
            state.clone(),
            Dimension::Page.name(),
            Report::List(Dimension::Page),
        ))
        .unify()
        .or(one(
            state.clone(),
            Dimension::Link.name(),
            Report::List(Dimension::Link),
        ))
        .unify()
        .or(one(state, "networks", Report::Networks))
        .unify()
}

/// GET /api/v1/reports/{summary,timeseries,keywords,pages,links,networks}
fn one(
    state: AppState,
    name: &'static str,
    report: Report,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    warp::path("api")
        .and(warp::path("v1"))
        .and(warp::path("reports"))
        .and(warp::path(name))
        .and(warp::path::end())
        .and(warp::get())
        .and(with_state(state))
        .and(api_key())
        .and(warp::query::<Query>())
        .then(move |state, key, query| async move {
            respond(handle(state, key, report, query).await)
        })
}

async fn handle(
    state: AppState,
    key: Option<String>,
    report: Report,
    query: Query,
) -> Result<Response, ApiError> {
    let site = authenticate(&state, key).await?;
    let q = answer::read_query(&site, report, &query)?;
    let mut client = state.pool.get().await?;
    let answer = match report {
        Report::Summary => answer::summary(&client, &site, &q).await?,
        Report::Timeseries => answer::timeseries(&client, &site, &q).await?,
        Report::List(dim) => answer::list(&mut client, &site, dim, &q).await?,
        Report::Networks => crate::reports::by_network::networks(&mut client, &site, &q).await?,
    };
    Ok(match answer {
        Answer::Json(body) => json_reply(&body),
        Answer::Csv { name, text } => csv_reply(name, &q, text),
    })
}

fn json_reply(body: &serde_json::Value) -> Response {
    let mut response = warp::reply::json(body).into_response();
    no_store(&mut response);
    response
}

fn csv_reply(name: &str, q: &ReportQuery, body: String) -> Response {
    let mut response = Response::new(body.into());
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    let disposition = format!(
        "attachment; filename=\"affrank-{name}-{}-{}.csv\"",
        q.from, q.to
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).expect("ASCII file name"),
    );
    no_store(&mut response);
    response
}

fn no_store(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}
