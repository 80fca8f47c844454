//! Sites: creation (CLI), their settings and how they change, and the
//! lookups authentication goes through.

pub mod model;
pub mod settings;
pub mod sql;

pub use model::{LinkRule, RelPolicy, RuleKind, Site, SiteSettings};
