//! `POST /api/v1/rewrite`: the plugin's post HTML with its affiliate links
//! pointed at `/go/{id}`, each link registered.

use super::auth::authenticate;
use super::body::limited;
use super::filters::api_key;
use super::recover::respond;
use super::state::AppState;
use super::with_state;
use crate::error::ApiError;
use crate::links::rewrite::{RewriteContext, rewrite as rewrite_html};
use crate::links::sql::{self, LinkTarget};
use crate::networks::Network;
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

const MAX_KEYWORD_CHARS: usize = 200;

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
    if request
        .keyword
        .as_ref()
        .is_some_and(|k| k.chars().count() > MAX_KEYWORD_CHARS)
    {
        return Err(ApiError::invalid(
            "keyword",
            format!("is longer than {MAX_KEYWORD_CHARS} characters"),
        ));
    }
    if request
        .keyword_source
        .as_ref()
        .is_some_and(|s| s.len() > 40)
    {
        return Err(ApiError::invalid(
            "keyword_source",
            "is longer than 40 characters",
        ));
    }
    Ok(request)
}
