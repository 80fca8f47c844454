//! One error type for every API handler; each variant knows its status and
//! its code. `http::recover` turns it into an answer, logging database
//! failures there and answering them with an opaque 500/503.

use warp::http::StatusCode;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("missing or invalid API key")]
    Unauthorized,
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{field}: {message}")]
    InvalidField { field: String, message: String },
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(&'static str),
    /// A value that clashes with what is stored (an id another row holds).
    #[error("{field}: {message}")]
    ConflictField { field: String, message: String },
    /// A resource addressed by id that is not the caller's (or not there).
    #[error("{0}")]
    NotFoundText(String),
    #[error("database unavailable")]
    Unavailable(#[from] deadpool_postgres::PoolError),
    #[error("database error")]
    Database(#[from] tokio_postgres::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidField {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn conflict(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::ConflictField {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::NotFound(_) | Self::NotFoundText(_) => StatusCode::NOT_FOUND,
            Self::InvalidField { .. } | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Conflict(_) | Self::ConflictField { .. } => StatusCode::CONFLICT,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Database(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::NotFound(_) | Self::NotFoundText(_) => "not_found",
            Self::InvalidField { .. } => "invalid_field",
            Self::BadRequest(_) => "bad_request",
            Self::Conflict(_) | Self::ConflictField { .. } => "conflict",
            Self::Unavailable(_) => "unavailable",
            Self::Database(_) | Self::Internal(_) => "internal",
        }
    }
}
