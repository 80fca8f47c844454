//! What every handler shares. Cloned per request, so it is one `Arc`.

use crate::clicks::bots::BotDetector;
use crate::clicks::privacy::VisitorHasher;
use crate::clicks::writer::ClickWriter;
use crate::links::cache::{LinkCache, PageTags, RulesCache};
use crate::postbacks::limits::Limits;
use crate::postbacks::sites::PostbackSites;
use crate::postbacks::writer::PostbackWriter;
use crate::spool::Spool;
use crate::telemetry::Metrics;
use deadpool_postgres::Pool;
use std::net::IpAddr;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState(Arc<SharedState>);

impl AppState {
    pub fn new(shared: SharedState) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.0
    }
}

pub struct SharedState {
    pub pool: Pool,
    /// `{public_url}` without a trailing slash.
    pub public_base: Arc<str>,
    pub max_body_bytes: u64,
    pub trusted_proxies: Arc<[IpAddr]>,
    /// `/go/` answers from here, so redirects keep working while the
    /// database is away.
    pub links: Arc<LinkCache>,
    pub rules: RulesCache,
    /// Each page's Amazon tracking id, for the rewrite.
    pub page_tags: PageTags,
    pub clicks: ClickWriter,
    pub postbacks: PostbackWriter,
    /// Read for `GET /api/v1/health` (its depth and what it set aside).
    pub spool: Arc<Spool>,
    pub postback_sites: PostbackSites,
    pub postback_limits: Limits,
    pub postback_max_body_bytes: u64,
    pub import_max_body_bytes: u64,
    pub bots: Arc<BotDetector>,
    pub visitors: Arc<VisitorHasher>,
    pub metrics: Arc<Metrics>,
}
