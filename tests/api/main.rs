//! Every integration test, in one binary: the real server on a random port,
//! each test on a fresh PostgreSQL database it creates and drops.

mod amazon;
mod cli;
mod clicks;
mod conflicts;
mod corpus;
mod demo;
mod embedded;
mod health;
mod helpers;
mod hostile;
mod imports;
mod link_map;
mod manual_entry;
mod multi;
mod network_reports;
mod ops;
mod ownership;
mod pinned;
mod postback_durability;
mod postback_params;
mod postbacks;
mod reports;
mod retention;
mod rewrite;
mod schema;
mod site_admin;
mod sites;
mod spool;
