//! Clicks: the `/go/{id}` redirect, the session id minted there, and the
//! group-commit writer that makes every recorded click durable.

pub mod bots;
pub mod filters;
pub mod handlers;
pub mod privacy;
pub mod sql;
pub mod tagging;
pub mod writer;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One click as written to `clicks` (and, while the database is away, to the spool).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ClickRow {
    pub session_id: String,
    pub site_id: String,
    pub link_id: String,
    pub clicked_at: DateTime<Utc>,
    pub page_url: String,
    pub keyword: Option<String>,
    pub keyword_source: Option<String>,
    pub network: Option<String>,
    pub referrer: Option<String>,
    pub user_agent: Option<String>,
    pub visitor_hash: Option<String>,
    pub is_bot: bool,
}
