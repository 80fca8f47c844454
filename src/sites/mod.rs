//! Sites: creation (CLI), the settings the plugin reads and writes, and the
//! Bearer-key authentication every plugin endpoint goes through.

pub mod auth;
pub mod filters;
pub mod handlers;
pub mod model;
pub mod sql;

pub use model::{LinkRule, RelPolicy, RuleKind, Site, SiteSettings};
