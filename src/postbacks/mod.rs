//! Postbacks: the networks' server-to-server calls that report conversions.
//!
//! A request is read (`params`), its site found and its token checked
//! (`sites`), held to the rate limits (`limits`), then handed to the
//! group-commit writer (`writer`), which settles a whole batch in one
//! transaction (`sql`): dedupe, status changes, matching to the click, the
//! log row. While the database is away the record is spooled and settled
//! by the same code when it is back, so a replay is deduplicated too.

pub mod limits;
pub mod params;
pub mod replay;
pub mod sites;
pub mod sql;
pub mod symbols;
pub mod writer;

use crate::ids::SessionId;
use chrono::{DateTime, Utc};
use params::Status;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// DESIGN.md's outcomes, plus `test` (a set-up check that counts nothing)
/// and `queued` (spooled while the database is away; settled later).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Matched,
    Unmatched,
    Duplicate,
    Updated,
    Test,
    Queued,
    Invalid,
    Unauthorized,
    UnknownSite,
    RateLimited,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Matched => "matched",
            Self::Unmatched => "unmatched",
            Self::Duplicate => "duplicate",
            Self::Updated => "updated",
            Self::Test => "test",
            Self::Queued => "queued",
            Self::Invalid => "invalid",
            Self::Unauthorized => "unauthorized",
            Self::UnknownSite => "unknown_site",
            Self::RateLimited => "rate_limited",
        }
    }

    pub fn http_status(self) -> u16 {
        match self {
            Self::Invalid => 400,
            Self::Unauthorized => 401,
            Self::UnknownSite => 404,
            Self::RateLimited => 429,
            _ => 200,
        }
    }

    pub const ALL: [Outcome; 10] = [
        Self::Matched,
        Self::Unmatched,
        Self::Duplicate,
        Self::Updated,
        Self::Test,
        Self::Queued,
        Self::Invalid,
        Self::Unauthorized,
        Self::UnknownSite,
        Self::RateLimited,
    ];
}

/// A conversion as the network reported it, already in the site's currency.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewConversion {
    pub session_id: SessionId,
    pub transaction_id: Option<String>,
    pub event: String,
    pub status: Status,
    pub amount: Option<Decimal>,
    pub currency: Option<String>,
    /// `None` when the site has no rate for `currency`.
    pub amount_site: Option<Decimal>,
    pub is_lead: bool,
}

/// One postback request that reached the handler: what the log keeps, and
/// the conversion to settle when there is one. This is also what the spool
/// holds, so a replay settles it exactly as the live path would have.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PostbackRecord {
    pub received_at: DateTime<Utc>,
    pub site_id: String,
    pub source_addr: Option<String>,
    pub method: String,
    /// What was sent, the token masked.
    pub params: serde_json::Value,
    /// `None`: nothing to settle; `outcome` and `message` are final.
    pub conversion: Option<NewConversion>,
    pub outcome: Outcome,
    pub message: String,
}

/// How a record was settled.
#[derive(Clone, Debug, PartialEq)]
pub struct Settled {
    pub outcome: Outcome,
    pub conversion_id: Option<i64>,
    pub message: String,
}
