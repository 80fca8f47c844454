//! Extractors several routes share. Filters only extract; handlers decide.

use std::convert::Infallible;
use warp::Filter;

/// A header's value, or `None` when it is absent or not visible ASCII
/// (never a rejection: a hostile header must not turn a click into a 400).
pub fn optional_header(
    name: &'static str,
) -> impl Filter<Extract = (Option<String>,), Error = Infallible> + Copy {
    warp::header::optional::<String>(name).or_else(|_| async { Ok::<_, Infallible>((None,)) })
}

/// The `Authorization` header, checked by `auth::authenticate`.
pub fn api_key() -> impl Filter<Extract = (Option<String>,), Error = Infallible> + Copy {
    optional_header("authorization")
}

/// The query string as sent, still percent-encoded; empty when there is none.
pub fn raw_query() -> impl Filter<Extract = (String,), Error = Infallible> + Copy {
    warp::query::raw().or(warp::any().map(String::new)).unify()
}
