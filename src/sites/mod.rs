//! Sites: creation (CLI), their settings and how they change, the
//! lookups authentication goes through, and their administration (list,
//! key rotation, removal: `admin`).

pub mod admin;
pub mod amazon;
pub mod model;
pub mod settings;
pub mod sql;

pub use model::{
    AmazonAssignment, LinkRule, PreviousSecret, RelPolicy, RuleKind, Site, SiteSettings,
};
