//! Answers from errors: a handler's `ApiError`, and the one place real
//! rejections (no route, wrong method, bad body) become answers.

use crate::error::ApiError;
use serde_json::json;
use std::convert::Infallible;
use warp::Rejection;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

impl Reply for ApiError {
    fn into_response(self) -> Response {
        match &self {
            Self::Unavailable(e) => tracing::warn!(error = %e, "database pool unavailable"),
            Self::Database(e) => tracing::error!(error = ?e, "database error"),
            Self::Internal(e) => tracing::error!(error = ?e, "internal error"),
            _ => {}
        }
        let mut body = json!({ "error": self.code(), "message": self.to_string() });
        if let Self::InvalidField { field, .. } | Self::ConflictField { field, .. } = &self {
            body["field"] = json!(field);
        }
        json_answer(self.status(), body)
    }
}

/// A JSON answer with its status, never cached: errors, and the postback
/// outcomes (which are answers, not errors).
pub fn json_answer(status: StatusCode, body: serde_json::Value) -> Response {
    let mut response = warp::reply::with_status(warp::reply::json(&body), status).into_response();
    response.headers_mut().insert(
        warp::http::header::CACHE_CONTROL,
        warp::http::HeaderValue::from_static("no-store"),
    );
    response
}

/// Turns a handler's `Result` into a response, so handler errors never go
/// through warp's rejection machinery (which would try the other routes).
pub fn respond<T: Reply>(result: Result<T, ApiError>) -> Response {
    match result {
        Ok(reply) => reply.into_response(),
        Err(error) => error.into_response(),
    }
}

/// The one place real rejections (no route, wrong method, bad body) become answers.
pub async fn recover(rejection: Rejection) -> Result<Response, Infallible> {
    let (status, code, message) = if rejection.is_not_found() {
        (
            StatusCode::NOT_FOUND,
            "not_found",
            "no such endpoint".to_string(),
        )
    } else if let Some(e) = rejection.find::<super::body::TooLarge>() {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is over the limit of {} bytes", e.limit),
        )
    } else if let Some(e) = rejection.find::<super::body::Unreadable>() {
        (
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("the request body could not be read: {}", e.0),
        )
    } else if let Some(e) = rejection.find::<warp::reject::MissingHeader>() {
        if e.name() == "authorization" {
            (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "missing or invalid API key".to_string(),
            )
        } else {
            (StatusCode::BAD_REQUEST, "bad_request", e.to_string())
        }
    } else if let Some(e) = rejection.find::<warp::reject::InvalidQuery>() {
        (StatusCode::BAD_REQUEST, "bad_request", e.to_string())
    } else if let Some(e) = rejection.find::<warp::reject::UnsupportedMediaType>() {
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            e.to_string(),
        )
    } else if rejection.find::<warp::reject::MethodNotAllowed>().is_some() {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "method not allowed".to_string(),
        )
    } else {
        tracing::error!(?rejection, "unhandled rejection");
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error".to_string(),
        )
    };
    Ok(json_answer(
        status,
        json!({ "error": code, "message": message }),
    ))
}
