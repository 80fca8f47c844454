//! `GET`/`POST /api/v1/postbacks/{site_id}` (the networks' calls) and
//! `GET /api/v1/postbacks/log` (the plugin's troubleshooting view).

use super::auth::authenticate;
use super::body::limited;
use super::client_addr::client_ip;
use super::filters::{api_key, optional_header, raw_query};
use super::recover::{json_answer, respond};
use super::state::AppState;
use super::with_state;
use crate::error::ApiError;
use crate::postbacks::limits::RetryAfter;
use crate::postbacks::params::{PostbackParams, RawParams};
use crate::postbacks::sites::{Lookup, PostbackSite, SecretUsed};
use crate::postbacks::sql::{click_exists, recent_log};
use crate::postbacks::{NewConversion, Outcome, PostbackRecord, Settled};
use bytes::Bytes;
use chrono::Utc;
use serde_json::json;
use std::net::{IpAddr, SocketAddr};
use warp::Filter;
use warp::http::{HeaderValue, StatusCode, header};
use warp::reply::{Reply, Response};

pub fn routes(
    state: AppState,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    log(state.clone()).or(receive(state)).unify()
}

/// GET /api/v1/postbacks/{site_id} and POST (query string, form or JSON body)
fn receive(state: AppState) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    let limit = state.postback_max_body_bytes;
    let get = warp::get().map(|| ("GET", Bytes::new()));
    let post = warp::post().and(limited(limit)).map(|body| ("POST", body));
    warp::path!("api" / "v1" / "postbacks" / String)
        .and(get.or(post).unify())
        .and(raw_query())
        .and(optional_header("content-type"))
        .and(optional_header("x-forwarded-for"))
        .and(warp::addr::remote())
        .and(with_state(state))
        .then(
            |site_id: String,
             (method, body): (&'static str, Bytes),
             query: String,
             content_type: Option<String>,
             forwarded_for: Option<String>,
             peer: Option<SocketAddr>,
             state: AppState| {
                let request = PostbackRequest {
                    site_id,
                    method: method.to_owned(),
                    query,
                    content_type,
                    body,
                    peer: peer.map(|p| p.ip()),
                    forwarded_for,
                };
                settle_request(state, request)
            },
        )
}

/// GET /api/v1/postbacks/log?limit=&status=
fn log(state: AppState) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    warp::path!("api" / "v1" / "postbacks" / "log")
        .and(warp::get())
        .and(with_state(state))
        .and(api_key())
        .and(warp::query::<LogQuery>())
        .then(|state, key, query| async move { respond(recent(state, key, query).await) })
}

struct PostbackRequest {
    site_id: String,
    method: String,
    query: String,
    content_type: Option<String>,
    body: Bytes,
    peer: Option<IpAddr>,
    forwarded_for: Option<String>,
}

/// Longest query string read; networks send a few hundred bytes.
pub const MAX_QUERY_BYTES: usize = 8 * 1024;

/// The order matters: the address limit protects everything behind it; the
/// site and token come before any word about the parameters, so a caller
/// without the secret learns nothing but 404 or 401; the site's own limit
/// counts only postbacks that carry its secret.
async fn settle_request(state: AppState, request: PostbackRequest) -> Response {
    let source = client_ip(
        request.peer,
        request.forwarded_for.as_deref(),
        &state.trusted_proxies,
    );
    if let Some(address) = source
        && let Err(wait) = state.postback_limits.check_address(address)
    {
        return rate_limited(&state, wait);
    }
    if request.query.len() > MAX_QUERY_BYTES {
        return answer(
            StatusCode::URI_TOO_LONG,
            Outcome::Invalid,
            &format!("the query string is longer than {MAX_QUERY_BYTES} bytes"),
            Some("query string"),
        );
    }
    let mut raw = RawParams::from_query(request.query.as_bytes());
    raw.add_body(request.content_type.as_deref(), &request.body);
    let mut record = PostbackRecord {
        received_at: Utc::now(),
        site_id: request.site_id.chars().take(64).collect(),
        source_addr: source.map(|a| a.to_string()),
        method: request.method,
        params: raw.for_log(),
        conversion: None,
        outcome: Outcome::Invalid,
        message: String::new(),
    };
    let site = match state
        .postback_sites
        .lookup(&state.pool, &request.site_id)
        .await
    {
        Lookup::Found(site) => site,
        Lookup::Unknown => {
            return refuse(&state, record, Outcome::UnknownSite, "no such site", None).await;
        }
        Lookup::Unavailable => return unavailable(),
    };
    let used = raw.token().and_then(|t| site.check_token(t, Utc::now()));
    if used == Some(SecretUsed::Previous)
        && let Some(token) = record.params.get_mut("token")
    {
        // The log shows which networks still send the rotated-out secret.
        *token = json!("*** (previous secret)");
    }
    if used.is_none() {
        return refuse(
            &state,
            record,
            Outcome::Unauthorized,
            "token missing or wrong",
            None,
        )
        .await;
    }
    if let Err(wait) = state.postback_limits.check_site(&site.id) {
        return rate_limited(&state, wait);
    }
    let params = match raw.validate() {
        Ok(params) => params,
        Err(e) => {
            let message = e.to_string();
            return refuse(
                &state,
                record,
                Outcome::Invalid,
                &message,
                Some(&e.parameter),
            )
            .await;
        }
    };
    if params.test {
        let message = test_message(&state, &site.id, params.session_id.as_str()).await;
        return refuse(&state, record, Outcome::Test, &message, None).await;
    }
    record.conversion = Some(conversion(&site, params));
    settle(&state, record, None).await
}

/// A test counts nothing, but says whether its session id would have been
/// matched, so a set-up check covers the click side too.
async fn test_message(state: &AppState, site_id: &str, session_id: &str) -> String {
    let found = async {
        let client = state.pool.get().await?;
        anyhow::Ok(click_exists(&client, site_id, session_id).await?)
    };
    let click = match found.await {
        Ok(true) => "its session id matches a click, so a real postback would be attributed",
        Ok(false) => "no click has its session id, so a real postback would be unattributed",
        Err(_) => "whether a click has its session id could not be checked",
    };
    format!("test postback received: the URL and token work and nothing was counted; {click}")
}

fn conversion(site: &PostbackSite, params: PostbackParams) -> NewConversion {
    let amount = params.amount;
    NewConversion {
        amount_site: site.convert(amount.unwrap_or_default(), params.currency.as_deref()),
        is_lead: amount.is_none_or(|a| a.is_zero()),
        session_id: params.session_id,
        transaction_id: params.transaction_id,
        event: params.event,
        status: params.status,
        amount,
        currency: params.currency,
    }
}

/// Answers a request that counts nothing, once its log row is durable.
async fn refuse(
    state: &AppState,
    mut record: PostbackRecord,
    outcome: Outcome,
    message: &str,
    parameter: Option<&str>,
) -> Response {
    record.outcome = outcome;
    record.message = message.to_owned();
    settle(state, record, parameter).await
}

async fn settle(state: &AppState, record: PostbackRecord, parameter: Option<&str>) -> Response {
    match state.postbacks.submit(record).await {
        Ok(Settled {
            outcome, message, ..
        }) => {
            let status = StatusCode::from_u16(outcome.http_status()).expect("valid status");
            answer(status, outcome, &message, parameter)
        }
        Err(_) => unavailable(),
    }
}

fn answer(
    status: StatusCode,
    outcome: Outcome,
    message: &str,
    parameter: Option<&str>,
) -> Response {
    let mut body = json!({ "status": outcome.as_str(), "message": message });
    if let Some(parameter) = parameter {
        body["parameter"] = json!(parameter);
    }
    json_answer(status, body)
}

fn rate_limited(state: &AppState, wait: RetryAfter) -> Response {
    state.metrics.count_postback(Outcome::RateLimited.as_str());
    let mut response = answer(
        StatusCode::TOO_MANY_REQUESTS,
        Outcome::RateLimited,
        "over the postback rate limit; try again later",
        None,
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(wait.seconds()));
    response
}

/// Not acknowledged, so the network retries: nothing is lost.
fn unavailable() -> Response {
    let mut response = json_answer(
        StatusCode::SERVICE_UNAVAILABLE,
        json!({"status": "unavailable", "message": "cannot take postbacks right now; try again"}),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    response
}

#[derive(Debug, serde::Deserialize)]
struct LogQuery {
    limit: Option<String>,
    status: Option<String>,
}

async fn recent(
    state: AppState,
    key: Option<String>,
    query: LogQuery,
) -> Result<impl Reply, ApiError> {
    let site = authenticate(&state, key).await?;
    let limit = match query.limit.as_deref() {
        None | Some("") => 50,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=500).contains(n))
            .ok_or_else(|| ApiError::invalid("limit", "a whole number from 1 to 500"))?,
    };
    let status = match query.status.as_deref() {
        None | Some("") => None,
        Some(text) => Some(
            Outcome::ALL
                .iter()
                .find(|o| o.as_str() == text)
                .ok_or_else(|| {
                    ApiError::invalid(
                        "status",
                        "one of matched, unmatched, duplicate, updated, test, queued, invalid, unauthorized, unknown_site",
                    )
                })?
                .as_str(),
        ),
    };
    let client = state.pool.get().await?;
    let rows = recent_log(&client, site.id.as_str(), status, limit).await?;
    Ok(warp::reply::json(&json!({ "rows": rows })))
}
