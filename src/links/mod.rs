//! Links: deciding which URLs are affiliate links, rewriting post HTML so
//! they point at `/go/{id}`, and registering them.

pub mod classify;
pub mod filters;
pub mod handlers;
pub mod rewrite;
pub mod snapshot;
pub mod sql;

pub use classify::CompiledRules;
