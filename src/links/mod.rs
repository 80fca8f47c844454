//! Links: deciding which URLs are affiliate links, rewriting post HTML so
//! they point at `/go/{id}`, registering them, and tagging their
//! destination with the session id when one is clicked.

pub mod cache;
pub mod classify;
pub mod rewrite;
pub mod snapshot;
pub mod sql;
pub mod tagging;

pub use classify::CompiledRules;
