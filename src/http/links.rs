//! `POST /api/v1/rewrite`: the plugin's post HTML with its affiliate links
//! pointed at `/go/{id}`, each link registered. `GET /api/v1/links`: the
//! site's link map, a page at a time, for the plugin's own copy.

use super::auth::authenticate;
use super::body::limited;
use super::filters::api_key;
use super::recover::respond;
use super::state::AppState;
use super::with_state;
use crate::error::ApiError;
use crate::links::rewrite::{
    FoundLink, MAX_KEYWORD_CHARS, RewriteContext, rewrite as rewrite_html,
};
use crate::links::sql::{self, LinkTarget};
use crate::links::sync::{self, Cursor};
use crate::links::tagging::with_amazon_tag;
use crate::networks::Network;
use crate::sites::amazon;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use warp::{Filter, Reply};

/// POST /api/v1/rewrite
pub fn rewrite(
    state: AppState,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    let limit = state.max_body_bytes;
    warp::path!("api" / "v1" / "rewrite")
        .and(warp::post())
        .and(with_state(state))
        .and(api_key())
        .and(limited(limit))
        .then(|state, key, body| async move { respond(handle(state, key, body).await) })
}

/// GET /api/v1/links?since=&limit=
pub fn map(
    state: AppState,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("api" / "v1" / "links")
        .and(warp::get())
        .and(with_state(state))
        .and(api_key())
        .and(warp::query::<Vec<(String, String)>>())
        .then(|state, key, query| async move { respond(map_page(state, key, query).await) })
}

async fn map_page(
    state: AppState,
    key: Option<String>,
    query: Vec<(String, String)>,
) -> Result<warp::reply::Response, ApiError> {
    let site = authenticate(&state, key).await?;
    let (since, limit) = map_query(&query)?;
    let client = state.pool.get().await?;
    let page = sync::page(&client, &site.id, since.as_ref(), limit).await?;
    let links: Vec<_> = page
        .links
        .iter()
        .map(|l| json!({"id": l.id.as_str(), "url": l.url, "network": l.network}))
        .collect();
    let mut response = warp::reply::json(&json!({
        "links": links,
        "next": page.next.as_ref().map(Cursor::to_text),
        "more": page.more,
    }))
    .into_response();
    response.headers_mut().insert(
        warp::http::header::CACHE_CONTROL,
        warp::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// `since` (a cursor a page gave; absent: from the start) and `limit`
/// (1 to 5,000; default 1,000). Anything else, or a name given twice, is a
/// 400 naming it.
fn map_query(query: &[(String, String)]) -> Result<(Option<Cursor>, i64), ApiError> {
    let mut since = None;
    let mut limit = None;
    for (name, value) in query {
        match name.as_str() {
            "since" if since.is_none() => {
                since = Some(if value.is_empty() {
                    None
                } else {
                    Some(Cursor::parse(value).map_err(|e| ApiError::invalid("since", e))?)
                });
            }
            "limit" if limit.is_none() => {
                limit = Some(
                    value
                        .parse::<i64>()
                        .ok()
                        .filter(|n| (1..=sync::MAX_LIMIT).contains(n))
                        .ok_or_else(|| {
                            ApiError::invalid(
                                "limit",
                                format!("must be a whole number from 1 to {}", sync::MAX_LIMIT),
                            )
                        })?,
                );
            }
            "since" | "limit" => return Err(ApiError::invalid(name, "is given more than once")),
            _ => {
                return Err(ApiError::invalid(
                    name,
                    "is not a parameter of this endpoint (since, limit)",
                ));
            }
        }
    }
    Ok((since.flatten(), limit.unwrap_or(sync::DEFAULT_LIMIT)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RewriteRequest {
    html: String,
    page_url: String,
    #[serde(default)]
    post_id: Option<i64>,
    #[serde(default)]
    keyword: Option<String>,
    #[serde(default)]
    keyword_source: Option<String>,
}

/// The longest page URL, in bytes: it is a key of the page report, whose
/// index entries PostgreSQL limits to about 2,700 bytes.
const MAX_PAGE_URL_BYTES: usize = 2048;
const MAX_KEYWORD_SOURCE_CHARS: usize = 40;

async fn handle(state: AppState, key: Option<String>, body: Bytes) -> Result<impl Reply, ApiError> {
    let site = authenticate(&state, key).await?;
    let mut request = parse_request(&body)?;
    // Parsing megabytes of HTML (and compiling a site's rules) is CPU work:
    // off the async workers, so clicks keep flowing meanwhile.
    let rewritten = {
        let (state, site) = (state.clone(), site.clone());
        let html = std::mem::take(&mut request.html);
        let page_url = request.page_url.clone();
        let keyword = request.keyword.clone();
        let keyword_source = request.keyword_source.clone();
        tokio::task::spawn_blocking(move || {
            let rules = state.rules.get_or_compile(&site);
            let keyword = keyword.as_deref().map(str::trim).filter(|k| !k.is_empty());
            rewrite_html(
                &html,
                &RewriteContext {
                    site: &site.id,
                    rules: &rules,
                    tracking_base: site.tracking_base(&state.public_base),
                    rel_policy: site.settings.rel_policy,
                    page_url: &page_url,
                    keyword,
                    keyword_source: keyword.and(keyword_source.as_deref()),
                },
            )
        })
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("the rewrite task failed: {e}")))?
        .map_err(|e| ApiError::invalid("html", e.to_string()))?
    };

    let client = state.pool.get().await?;
    let mut rewritten = rewritten;
    tag_amazon_links(&state, &client, &site, &request, &mut rewritten.links).await?;
    sql::upsert_links(
        &client,
        &site.id,
        &request.page_url,
        request.post_id,
        &rewritten.links,
    )
    .await?;
    for link in &rewritten.links {
        let target = LinkTarget {
            id: link.id.clone(),
            site_id: site.id.clone(),
            url: link.url.clone(),
            page_url: request.page_url.clone(),
            keyword: link.keyword.clone(),
            keyword_source: link.keyword_source.clone(),
            network: link.network,
            redirect: Default::default(),
        };
        state.links.remember(Arc::new(target)).await;
    }
    let links: Vec<_> = rewritten
        .links
        .iter()
        .map(|l| json!({"id": l.id.as_str(), "url": l.url, "network": l.network.map(Network::id)}))
        .collect();
    Ok(warp::reply::json(&json!({
        "html": rewritten.html,
        "links": links,
        "settings_version": site.settings_version,
    })))
}

/// Sets the `tag=` of the page's Amazon links to the page's tracking id
/// (giving the page one first, when the site assigns them automatically).
/// Only a page with Amazon links, on a site with a pool, asks: from the
/// cache after its first rewrite, so a rewrite costs no extra round trip.
/// A page without an id keeps its links' own tags.
async fn tag_amazon_links(
    state: &AppState,
    client: &deadpool_postgres::Client,
    site: &crate::sites::Site,
    request: &RewriteRequest,
    links: &mut [FoundLink],
) -> Result<(), ApiError> {
    let is_amazon = |l: &FoundLink| l.network == Some(Network::Amazon);
    if site.settings.amazon_tracking_ids.is_empty() || !links.iter().any(is_amazon) {
        return Ok(());
    }
    let tag = match state.page_tags.get(site, &request.page_url) {
        Some(tag) => tag,
        None => {
            let tag = amazon::page_tag(client, &site.id, &request.page_url, request.post_id)
                .await?
                .map(Arc::<str>::from);
            state
                .page_tags
                .remember(site, &request.page_url, tag.clone());
            tag
        }
    };
    if let Some(tag) = tag {
        for link in links.iter_mut().filter(|l| is_amazon(l)) {
            link.url = with_amazon_tag(&link.url, &tag);
        }
    }
    Ok(())
}

fn text_field(field: &str, value: &str, max_chars: usize) -> Result<(), ApiError> {
    crate::text::check(value, max_chars).map_err(|e| ApiError::invalid(field, e.to_string()))
}

fn parse_request(body: &[u8]) -> Result<RewriteRequest, ApiError> {
    if let Err(e) = std::str::from_utf8(body) {
        return Err(ApiError::BadRequest(format!(
            "the body is not valid UTF-8 (byte {}): send the HTML as UTF-8",
            e.valid_up_to()
        )));
    }
    let request: RewriteRequest = serde_json::from_slice(body).map_err(|e| {
        ApiError::BadRequest(format!("the body is not a valid rewrite request: {e}"))
    })?;
    let page = url::Url::parse(&request.page_url)
        .map_err(|e| ApiError::invalid("page_url", format!("is not a URL: {e}")))?;
    if !matches!(page.scheme(), "http" | "https") {
        return Err(ApiError::invalid(
            "page_url",
            "must be an http or https URL",
        ));
    }
    // Stored as sent (a link's id is derived from it), so held to the text
    // rule, which the URL parser would have let through percent-encoded.
    text_field("page_url", &request.page_url, MAX_PAGE_URL_BYTES)?;
    if request.page_url.len() > MAX_PAGE_URL_BYTES {
        return Err(ApiError::invalid(
            "page_url",
            format!("is longer than {MAX_PAGE_URL_BYTES} bytes"),
        ));
    }
    if let Some(keyword) = &request.keyword {
        text_field("keyword", keyword, MAX_KEYWORD_CHARS)?;
    }
    if let Some(source) = &request.keyword_source {
        text_field("keyword_source", source, MAX_KEYWORD_SOURCE_CHARS)?;
    }
    Ok(request)
}
