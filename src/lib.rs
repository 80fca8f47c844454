//! AffRank sidecar: rewrites affiliate links, serves the click redirect,
//! and keeps every click durable even while PostgreSQL is away.
// The route chain's filter types nest deep enough (warp's And/Or/Unify per
// route) that an optimised build needs more than the default 128 levels to
// prove their futures Unpin.
#![recursion_limit = "256"]

pub mod chores;
pub mod cli;
pub mod clicks;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod group_commit;
pub mod health;
pub mod http;
pub mod ids;
pub mod imports;
pub mod ledger;
pub mod links;
pub mod networks;
pub mod postbacks;
pub mod reports;
pub mod sites;
pub mod spool;
pub mod startup;
pub mod telemetry;
pub mod text;
