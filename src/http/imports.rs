//! `POST /api/v1/imports` (a network's report as the raw body) and
//! `GET /api/v1/imports/presets` (the plugin's dropdown).

use super::auth::authenticate;
use super::filters::api_key;
use super::recover::{json_answer, respond};
use super::state::AppState;
use super::with_state;
use crate::error::ApiError;
use crate::imports::{self, ImportError, Options, SiteFacts};
use bytes::Buf;
use futures_util::{Stream, TryStreamExt};
use std::collections::HashMap;
use std::io::{Seek, SeekFrom, Write};
use warp::Filter;
use warp::http::StatusCode;
use warp::reply::Response;

pub fn routes(
    state: AppState,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    presets(state.clone()).or(upload(state)).unify()
}

/// GET /api/v1/imports/presets
fn presets(state: AppState) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    warp::path!("api" / "v1" / "imports" / "presets")
        .and(warp::get())
        .and(with_state(state))
        .and(api_key())
        .then(|state: AppState, key| async move {
            respond(
                authenticate(&state, key)
                    .await
                    .map(|_| warp::reply::json(&imports::preset_list())),
            )
        })
}

/// POST /api/v1/imports?preset=|columns=&dry_run=1&skip_rejected=1&currency=&file_name=
fn upload(state: AppState) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    warp::path!("api" / "v1" / "imports")
        .and(warp::post())
        .and(with_state(state))
        .and(api_key())
        .and(warp::query::<HashMap<String, String>>().or(warp::any().map(HashMap::new)).unify())
        .and(warp::header::optional::<u64>("content-length"))
        .and(warp::body::stream())
        .then(|state, key, query, declared, body| async move {
            respond(receive(state, key, query, declared, body).await)
        })
}

const PARAMETERS: [&str; 6] = ["preset", "columns", "dry_run", "skip_rejected", "currency", "file_name"];

fn flag(query: &HashMap<String, String>, name: &str) -> Result<bool, ApiError> {
    match query.get(name).map(String::as_str) {
        None | Some("0") | Some("false") | Some("") => Ok(false),
        Some("1") | Some("true") => Ok(true),
        Some(_) => Err(ApiError::invalid(name, "is 1 or 0")),
    }
}

async fn receive<B: Buf>(
    state: AppState,
    key: Option<String>,
    query: HashMap<String, String>,
    declared: Option<u64>,
    body: impl Stream<Item = Result<B, warp::Error>> + Send,
) -> Result<Response, ApiError> {
    let site = authenticate(&state, key).await?;
    if let Some(unknown) = query.keys().find(|k| !PARAMETERS.contains(&k.as_str())) {
        return Err(ApiError::invalid(unknown.clone(), "is not a parameter of this endpoint"));
    }
    let source = imports::source(
        query.get("preset").map(String::as_str),
        query.get("columns").map(String::as_str),
    )
    .map_err(|e| ApiError::invalid(e.field, e.message))?;
    let currency = query
        .get("currency")
        .filter(|c| !c.is_empty())
        .map(|c| imports::currency_code(c))
        .transpose()
        .map_err(|e| ApiError::invalid("currency", e))?;
    let options = Options {
        dry_run: flag(&query, "dry_run")?,
        skip_rejected: flag(&query, "skip_rejected")?,
        currency,
        file_name: query
            .get("file_name")
            .map(|n| crate::text::storable(n, 200).into_owned()),
        via: "api",
    };
    let limit = state.import_max_body_bytes;
    if declared.is_some_and(|length| length > limit) {
        return Ok(too_large(limit));
    }
    let file = match spool_body(body, limit).await {
        Ok(file) => file,
        Err(SpoolError::TooLarge) => return Ok(too_large(limit)),
        Err(SpoolError::Unreadable(e)) => return Err(ApiError::BadRequest(e)),
        Err(SpoolError::Io(e)) => return Err(anyhow::anyhow!("storing the upload: {e}").into()),
    };
    let result = imports::import(&state.pool, SiteFacts::from(&site), source, file, options.clone())
        .await
        .map_err(|e| match e {
            ImportError::Invalid(message) => ApiError::BadRequest(message),
            ImportError::Unavailable(e) => ApiError::Unavailable(e),
            ImportError::Database(e) => ApiError::Database(e),
            ImportError::Internal(e) => ApiError::Internal(e),
        })?;
    let status = if result.applied || options.dry_run {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = serde_json::to_value(&result).map_err(anyhow::Error::from)?;
    Ok(json_answer(status, body))
}

fn too_large(limit: u64) -> Response {
    // The answer `recover` gives every other body over its limit.
    json_answer(
        StatusCode::PAYLOAD_TOO_LARGE,
        serde_json::json!({
            "error": "payload_too_large",
            "message": format!("the request body is over the limit of {limit} bytes \
                                (AFFRANK_IMPORT_MAX_BODY_BYTES)"),
        }),
    )
}

enum SpoolError {
    TooLarge,
    Unreadable(String),
    Io(std::io::Error),
}

/// The body into an unnamed temporary file (gone when closed), never more
/// than `limit` bytes, never whole in memory.
async fn spool_body<B: Buf>(
    body: impl Stream<Item = Result<B, warp::Error>>,
    limit: u64,
) -> Result<std::fs::File, SpoolError> {
    let file = tokio::task::spawn_blocking(tempfile::tempfile)
        .await
        .map_err(|e| SpoolError::Io(std::io::Error::other(e)))?
        .map_err(SpoolError::Io)?;
    let mut file = tokio::fs::File::from_std(file);
    let mut written: u64 = 0;
    let mut body = std::pin::pin!(body);
    while let Some(mut chunk) = body
        .try_next()
        .await
        .map_err(|e| SpoolError::Unreadable(format!("the upload could not be read: {e}")))?
    {
        written += chunk.remaining() as u64;
        if written > limit {
            return Err(SpoolError::TooLarge);
        }
        while chunk.has_remaining() {
            let part = chunk.chunk();
            tokio::io::AsyncWriteExt::write_all(&mut file, part)
                .await
                .map_err(SpoolError::Io)?;
            let n = part.len();
            chunk.advance(n);
        }
    }
    let mut file = file.into_std().await;
    file.flush().map_err(SpoolError::Io)?;
    file.seek(SeekFrom::Start(0)).map_err(SpoolError::Io)?;
    Ok(file)
}
