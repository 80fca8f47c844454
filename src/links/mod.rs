//! Links: deciding which URLs are affiliate links, rewriting post HTML so
//! they point at `/go/{id}`, registering them, tagging their destination
//! with the session id when one is clicked, and handing the plugin the
//! link map it redirects from when `/go/` cannot be answered.

pub mod cache;
pub mod classify;
pub mod rewrite;
pub mod snapshot;
pub mod sql;
pub mod sync;
pub mod tagging;

pub use classify::CompiledRules;
