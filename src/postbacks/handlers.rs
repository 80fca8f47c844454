use super::limits::RetryAfter;
use super::params::RawParams;
use super::sites::{Lookup, PostbackSite};
use super::sql::recent_log;
use super::{NewConversion, Outcome, PostbackRecord, Settled};
use crate::clicks::privacy::client_ip;
use crate::error::ApiError;
use crate::sites::auth::authenticate;
use crate::state::AppState;
use bytes::Bytes;
use chrono::Utc;
use serde_json::json;
use std::net::IpAddr;
use warp::http::{HeaderValue, StatusCode, header};
use warp::reply::{Reply, Response};

pub struct PostbackRequest {
    pub site_id: String,
    pub method: String,
    pub query: String,
    pub content_type: Option<String>,
    pub body: Bytes,
    pub peer: Option<IpAddr>,
    pub forwarded_for: Option<String>,
}

/// Longest query string read; networks send a few hundred bytes.
pub const MAX_QUERY_BYTES: usize = 8 * 1024;

/// The order matters: the address limit protects everything behind it; the
/// site and token come before any word about the parameters, so a caller
/// without the secret learns nothing but 404 or 401; the site's own limit
/// counts only postbacks that carry its secret.
pub async fn receive(state: AppState, request: PostbackRequest) -> Response {
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
    if !raw.token().is_some_and(|t| site.token_matches(t)) {
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
        let message = test_message(&state, &site.id, &params.session_id).await;
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
        anyhow::Ok(super::sql::click_exists(&client, site_id, session_id).await?)
    };
    let click = match found.await {
        Ok(true) => "its session id matches a click, so a real postback would be attributed",
        Ok(false) => "no click has its session id, so a real postback would be unattributed",
        Err(_) => "whether a click has its session id could not be checked",
    };
    format!("test postback received: the URL and token work and nothing was counted; {click}")
}

fn conversion(site: &PostbackSite, params: super::params::PostbackParams) -> NewConversion {
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
    crate::error::json_error(status, body)
}

fn rate_limited(state: &AppState, wait: RetryAfter) -> Response {
    state.metrics.count_postback(Outcome::RateLimited);
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
    let mut response = crate::error::json_error(
        StatusCode::SERVICE_UNAVAILABLE,
        json!({"status": "unavailable", "message": "cannot take postbacks right now; try again"}),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    response
}

#[derive(Debug, serde::Deserialize)]
pub struct LogQuery {
    pub limit: Option<String>,
    pub status: Option<String>,
}

pub async fn log(
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
