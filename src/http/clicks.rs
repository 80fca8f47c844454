//! `GET /go/{link_id}`: the click. The visitor is redirected whenever the
//! link is known; the click is recorded on the way.

use super::client_addr::client_ip;
use super::filters::optional_header;
use super::state::AppState;
use crate::clicks::ClickRow;
use crate::ids::{LinkId, SessionId};
use crate::links::sql::{LinkTarget, find_link};
use crate::networks::Network;
use std::net::IpAddr;
use std::sync::Arc;
use warp::Filter;
use warp::http::{HeaderValue, Method, StatusCode, header};
use warp::reply::Response;

/// GET /go/{link_id} (also HEAD)
pub fn go(state: AppState) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    warp::path!("go" / String)
        .and(warp::get().or(warp::head()).unify())
        .and(warp::method())
        .and(click_headers())
        .and(warp::addr::remote())
        .and(super::with_state(state))
        .then(
            |link_id: String,
             method: Method,
             headers,
             peer: Option<std::net::SocketAddr>,
             state| {
                let request = ClickRequest {
                    link_id,
                    is_head: method == Method::HEAD,
                    headers,
                    peer: peer.map(|p| p.ip()),
                };
                handle(state, request)
            },
        )
}

/// The request headers a click reads, and nothing more.
fn click_headers() -> impl Filter<Extract = (ClickHeaders,), Error = std::convert::Infallible> + Copy
{
    optional_header("user-agent")
        .and(optional_header("referer"))
        .and(optional_header("x-forwarded-for"))
        .and(optional_header("sec-purpose"))
        .and(optional_header("purpose"))
        .and(optional_header("x-purpose"))
        .and(optional_header("x-moz"))
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

struct ClickRequest {
    link_id: String,
    is_head: bool,
    headers: ClickHeaders,
    peer: Option<IpAddr>,
}

struct ClickHeaders {
    user_agent: Option<String>,
    referrer: Option<String>,
    forwarded_for: Option<String>,
    /// `Sec-Purpose`, `Purpose`, `X-Purpose`, `X-Moz`.
    purposes: [Option<String>; 4],
}

/// The visitor is always redirected if the link is known: a click that could
/// not be recorded costs us a data point, never the blogger a sale.
async fn handle(state: AppState, request: ClickRequest) -> Response {
    let Ok(link_id) = LinkId::parse(&request.link_id) else {
        return not_found();
    };
    let link = match lookup(&state, &link_id).await {
        Ok(Some(link)) => link,
        Ok(None) => return not_found(),
        Err(e) => {
            tracing::warn!(error = %e, link = link_id.as_str(), "link lookup failed");
            return unavailable();
        }
    };
    let session = SessionId::mint();
    let location = link.redirect_to(&session);
    state.metrics.redirects.inc();
    if request.is_head || is_prefetch(&request.headers) {
        return redirect(&location);
    }
    let headers = request.headers;
    let user_agent = headers.user_agent.map(|v| truncate(v, 1024));
    let row = ClickRow {
        session_id: session,
        site_id: link.site_id.clone(),
        link_id: link.id.clone(),
        clicked_at: chrono::Utc::now(),
        page_url: link.page_url.clone(),
        keyword: link.keyword.clone(),
        keyword_source: link.keyword_source.clone(),
        network: link.network.map(Network::id).map(str::to_owned),
        referrer: headers.referrer.map(|v| truncate(v, 1024)),
        is_bot: state.bots.is_bot(user_agent.as_deref()),
        user_agent,
        visitor_hash: client_ip(
            request.peer,
            headers.forwarded_for.as_deref(),
            &state.trusted_proxies,
        )
        .map(|ip| state.visitors.hash(ip)),
    };
    if let Err(e) = state.clicks.record(row).await {
        tracing::error!(error = %e, link = link_id.as_str(), "redirecting an unrecorded click");
    }
    redirect(&location)
}

async fn lookup(state: &AppState, id: &LinkId) -> anyhow::Result<Option<Arc<LinkTarget>>> {
    if let Some(link) = state.links.get(id).await {
        return Ok(Some(link));
    }
    let client = state.pool.get().await?;
    let Some(link) = find_link(&client, id).await? else {
        return Ok(None);
    };
    let link = Arc::new(link);
    state.links.remember(link.clone()).await;
    Ok(Some(link))
}

/// Speculative loads (`Sec-Purpose: prefetch`, the older `Purpose` and
/// `X-Moz`) are redirected but not counted: nobody clicked yet.
fn is_prefetch(headers: &ClickHeaders) -> bool {
    headers.purposes.iter().flatten().any(|v| {
        let v = v.to_ascii_lowercase();
        v.contains("prefetch") || v.contains("preview")
    })
}

fn truncate(mut value: String, max: usize) -> String {
    if value.len() > max {
        let mut end = max;
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        value.truncate(end);
    }
    value
}

fn with_common_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer-when-downgrade"),
    );
    response
}

fn redirect(location: &str) -> Response {
    let mut response = Response::new("".into());
    *response.status_mut() = StatusCode::FOUND;
    match HeaderValue::from_str(location) {
        Ok(value) => {
            response.headers_mut().insert(header::LOCATION, value);
        }
        Err(_) => return unavailable(),
    }
    with_common_headers(response)
}

fn html_page(status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><meta name=\"robots\" content=\"noindex\">\
         <title>{title}</title><body style=\"font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem\">\
         <h1>{title}</h1><p>{text}</p></body></html>"
    );
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    with_common_headers(response)
}

fn not_found() -> Response {
    html_page(
        StatusCode::NOT_FOUND,
        "Link not found",
        "This link does not exist or is no longer tracked. Go back to the page you came from.",
    )
}

fn unavailable() -> Response {
    let mut response = html_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Try again in a moment",
        "This link cannot be followed right now. Please go back and try again shortly.",
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    response
}
