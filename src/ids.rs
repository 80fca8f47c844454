//! Identifiers and secrets. Every random value comes from the thread-local
//! CSPRNG (ChaCha, seeded from the OS), and every identifier that arrives from
//! outside is parsed into a newtype before it reaches SQL or a log line.

use rand::RngExt;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};
use std::fmt;

fn random_alphanumeric(len: usize) -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

fn is_alphanumeric(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The id minted at click time and passed to the network as a sub-id.
///
/// Six characters of the minting second (base 36, digits and capitals, from
/// 2024; enough until 2093), then 16 random characters from 62 symbols: 95
/// random bits, above the 90 the contract asks for, 22 characters in all,
/// under ClickBank's 24-character `tid` limit.
///
/// Why the time first: `clicks` is keyed by the session id. Random keys put
/// each of a batch's inserts on another page of that index, all over it;
/// ids that grow with time land on the few rightmost pages, which stay in
/// cache and are written once per batch. Digits and capitals sort in the
/// same order in the C collation and in the usual language ones.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionId(String);

impl SessionId {
    pub const LEN: usize = Self::TIME_LEN + Self::RANDOM_LEN;
    pub const MAX_LEN: usize = 24;
    const TIME_LEN: usize = 6;
    const RANDOM_LEN: usize = 16;
    /// 2024-01-01T00:00:00Z.
    const EPOCH: i64 = 1_704_067_200;

    pub fn mint() -> Self {
        Self::mint_at(chrono::Utc::now().timestamp())
    }

    fn mint_at(unix_seconds: i64) -> Self {
        const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let mut id = String::with_capacity(Self::LEN);
        let mut seconds = (unix_seconds - Self::EPOCH).clamp(0, 36i64.pow(6) - 1);
        let mut prefix = [b'0'; Self::TIME_LEN];
        for digit in prefix.iter_mut().rev() {
            *digit = DIGITS[(seconds % 36) as usize];
            seconds /= 36;
        }
        id.extend(prefix.iter().map(|&b| char::from(b)));
        id.push_str(&random_alphanumeric(Self::RANDOM_LEN));
        Self(id)
    }

    /// Accepts what a network echoes back: 1 to 24 ASCII letters and digits.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() {
            return Err("is empty".into());
        }
        if raw.len() > Self::MAX_LEN {
            return Err(format!("is longer than {} characters", Self::MAX_LEN));
        }
        if !is_alphanumeric(raw) {
            return Err("may contain only letters and digits".into());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionId({})", self.0)
    }
}

/// A site's public id: part of every postback URL, so unguessable (119 bits).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SiteId(String);

impl SiteId {
    pub fn mint() -> Self {
        Self(random_alphanumeric(20))
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.len() != 20 || !is_alphanumeric(raw) {
            return Err("is not a site id".into());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For rows read back from our own database.
    pub fn from_trusted(raw: String) -> Self {
        Self(raw)
    }
}

impl fmt::Display for SiteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The `{id}` of `/go/{id}`: derived from what makes a link distinct, so the
/// same link on the same page with the same keyword keeps its id on every render.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LinkId(String);

impl LinkId {
    pub const LEN: usize = 11;

    pub fn derive(site: &SiteId, url: &str, page_url: &str, keyword: Option<&str>) -> Self {
        let mut hasher = Sha256::new();
        for part in [site.as_str(), url, page_url, keyword.unwrap_or("")] {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part.as_bytes());
        }
        let digest = hasher.finalize();
        let mut n = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
        let mut id = String::with_capacity(Self::LEN);
        for _ in 0..Self::LEN {
            id.push(BASE62[(n % 62) as usize] as char);
            n /= 62;
        }
        Self(id)
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.len() != Self::LEN || !is_alphanumeric(raw) {
            return Err("is not a link id".into());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn from_trusted(raw: String) -> Self {
        Self(raw)
    }
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A site's API key. Shown once at creation; only its SHA-256 is stored.
/// A fast hash is enough here: the key carries 238 random bits, so there is
/// nothing for a slow password hash to protect against.
pub struct ApiKey(String);

impl ApiKey {
    const PREFIX: &'static str = "afk_";

    pub fn mint() -> Self {
        Self(format!("{}{}", Self::PREFIX, random_alphanumeric(40)))
    }

    pub fn from_presented(raw: &str) -> Self {
        Self(raw.to_owned())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> Vec<u8> {
        Sha256::digest(self.0.as_bytes()).to_vec()
    }
}

/// The token a network appends to every postback.
pub fn mint_postback_secret() -> String {
    random_alphanumeric(32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn minted_session_ids_are_alphanumeric_and_short_enough_for_clickbank() {
        for _ in 0..1000 {
            let id = SessionId::mint();
            assert_eq!(id.as_str().len(), SessionId::LEN);
            assert!(SessionId::parse(id.as_str()).is_ok());
        }
        const { assert!(SessionId::LEN <= SessionId::MAX_LEN) };
        // The random part alone: 62^16 > 2^90.
        assert!((SessionId::RANDOM_LEN as f64) * 62f64.log2() >= 90.0);
    }

    #[test]
    fn session_ids_minted_later_sort_after_earlier_ones() {
        let start = SessionId::EPOCH + 86_400 * 1_000;
        let ids: Vec<SessionId> = [0, 1, 35, 36, 86_400, 86_400 * 365 * 30]
            .iter()
            .map(|s| SessionId::mint_at(start + s))
            .collect();
        for pair in ids.windows(2) {
            assert!(pair[0].as_str() < pair[1].as_str(), "{pair:?}");
            // The same order ignoring case, as language collations compare.
            assert!(pair[0].as_str().to_lowercase() < pair[1].as_str().to_lowercase());
        }
        let last = SessionId::mint_at(i64::MAX);
        assert!(last.as_str().starts_with("ZZZZZZ"));
        assert!(SessionId::parse(last.as_str()).is_ok());
    }

    #[test]
    fn minted_session_ids_differ() {
        let ids: std::collections::HashSet<_> = (0..10_000).map(|_| SessionId::mint()).collect();
        assert_eq!(ids.len(), 10_000);
    }

    #[test]
    fn link_ids_are_stable_and_distinct() {
        let site = SiteId::mint();
        let a = LinkId::derive(&site, "https://x.test/a", "https://blog.test/p", Some("k"));
        let b = LinkId::derive(&site, "https://x.test/a", "https://blog.test/p", Some("k"));
        let c = LinkId::derive(&site, "https://x.test/a", "https://blog.test/p", None);
        let d = LinkId::derive(&site, "https://x.test/a", "https://blog.test/q", Some("k"));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        assert!(LinkId::parse(a.as_str()).is_ok());
    }

    #[test]
    fn api_keys_hash_to_32_bytes_and_never_equal_the_key() {
        let key = ApiKey::mint();
        assert!(key.expose().starts_with("afk_"));
        assert_eq!(key.hash().len(), 32);
        assert_ne!(ApiKey::mint().hash(), key.hash());
    }

    proptest! {
        #[test]
        fn session_id_parse_accepts_exactly_short_alphanumerics(raw in "\\PC{0,30}") {
            let valid = !raw.is_empty() && raw.len() <= 24 && raw.bytes().all(|b| b.is_ascii_alphanumeric());
            prop_assert_eq!(SessionId::parse(&raw).is_ok(), valid);
        }

        #[test]
        fn link_id_parse_round_trips_derived_ids(url in "https://[a-z]{1,10}\\.test/[a-z0-9]{0,10}", kw in proptest::option::of("[a-z ]{0,12}")) {
            let site = SiteId::from_trusted("A".repeat(20));
            let id = LinkId::derive(&site, &url, "https://blog.test/", kw.as_deref());
            prop_assert!(LinkId::parse(id.as_str()).is_ok());
        }

        #[test]
        fn site_id_parse_rejects_anything_but_twenty_alphanumerics(raw in "[A-Za-z0-9/._-]{0,25}") {
            let valid = raw.len() == 20 && raw.bytes().all(|b| b.is_ascii_alphanumeric());
            prop_assert_eq!(SiteId::parse(&raw).is_ok(), valid);
        }
    }
}
