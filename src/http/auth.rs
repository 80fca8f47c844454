//! `Authorization: Bearer <api key>` → the site it belongs to.
//!
//! The key is never compared as a string: its SHA-256 is looked up through a
//! unique index, so no byte-by-byte comparison of the secret leaks timing.

use super::state::AppState;
use crate::error::ApiError;
use crate::ids::ApiKey;
use crate::sites::Site;
use crate::sites::sql::find_site_by_key_hash;

pub async fn authenticate(state: &AppState, header: Option<String>) -> Result<Site, ApiError> {
    let key = header
        .as_deref()
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 200)
        .ok_or(ApiError::Unauthorized)?;
    let client = state.pool.get().await?;
    find_site_by_key_hash(&client, &ApiKey::from_presented(key).hash())
        .await?
        .ok_or(ApiError::Unauthorized)
}
