//! Clicks: what a click records (bots flagged, the visitor's address only
//! as a daily-salted hash), and the group-commit writer that makes every
//! recorded click durable; and how long its user agent and referrer are kept.

pub mod bots;
pub mod privacy;
pub mod replay;
pub mod retention;
pub mod sql;
pub mod untracked;
pub mod writer;

use crate::ids::{LinkId, SessionId, SiteId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One click as written to `clicks` (and, while the database is away, to the spool).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ClickRow {
    pub session_id: SessionId,
    pub site_id: SiteId,
    pub link_id: LinkId,
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
