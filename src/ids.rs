//! Identifiers and secrets. Every random value comes from the thread-local
//! CSPRNG (ChaCha, seeded from the OS), and every identifier that arrives from
//! outside is parsed into a newtype before it reaches SQL or a log line.

use rand::RngExt;
use rand::distr::Alphanumeric;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
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
/// Seven characters of the minting time, then 16 random characters from 62
/// symbols: 95 random bits, above the 90 the contract asks for, 23
/// characters in all, under ClickBank's 24-character `tid` limit. All 62
/// symbols in ASCII order (digits, capitals, small letters), so ids compare
/// as the `clicks` key compares them (the C collation, migration 0009).
///
/// Why the time first: `clicks` is keyed by the session id. Random keys put
/// each of a batch's inserts on another page of that index, all over it.
/// Ids that grow with time all land on its rightmost page, where PostgreSQL
/// appends without searching the tree and splits pages full rather than
/// half. The time counts 4 ms ticks since 2024 (a page of the index holds
/// about that long of clicks at full load), from an offset that makes every
/// id start with a small letter: ids of the earlier format (six characters
/// of the second, digits and capitals) all sort before them, so an upgraded
/// database appends after its old ids too. 26 × 62⁶ ticks last until 2211.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionId(String);

impl SessionId {
    pub const LEN: usize = Self::TIME_LEN + Self::RANDOM_LEN;
    pub const MAX_LEN: usize = 24;
    const TIME_LEN: usize = 7;
    const RANDOM_LEN: usize = 16;
    /// 2024-01-01T00:00:00Z, in milliseconds.
    const EPOCH_MILLIS: i64 = 1_704_067_200_000;
    const TICK_MILLIS: i64 = 4;
    /// The first time character is base-62 digit 36, `a`.
    const TICKS_OFFSET: i64 = 36 * 62i64.pow(Self::TIME_LEN as u32 - 1);

    pub fn mint() -> Self {
        Self::mint_at(chrono::Utc::now().timestamp_millis())
    }

    fn mint_at(unix_millis: i64) -> Self {
        let mut id = Self::time_prefix_millis(unix_millis);
        id.push_str(&random_alphanumeric(Self::RANDOM_LEN));
        Self(id)
    }

    /// The seven time characters of an id minted at `at`. Every id minted
    /// before `at`'s 4 ms tick sorts before it, every id minted at or after
    /// it sorts at or after it, and ids of the earlier format sort before
    /// all of them: `session_id < time_prefix(t)` is a range of the `clicks`
    /// key holding the clicks made before `t` (and every earlier-format one,
    /// whose time must be read from `clicked_at`).
    pub fn time_prefix(at: chrono::DateTime<chrono::Utc>) -> String {
        Self::time_prefix_millis(at.timestamp_millis())
    }

    fn time_prefix_millis(unix_millis: i64) -> String {
        let ticks = unix_millis.saturating_sub(Self::EPOCH_MILLIS).max(0) / Self::TICK_MILLIS;
        let mut time = ticks
            .saturating_add(Self::TICKS_OFFSET)
            .min(62i64.pow(Self::TIME_LEN as u32) - 1);
        let mut prefix = [b'0'; Self::TIME_LEN];
        for digit in prefix.iter_mut().rev() {
            *digit = BASE62[(time % 62) as usize];
            time /= 62;
        }
        prefix.iter().map(|&b| char::from(b)).collect()
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

/// Ids travel as plain strings (the spool, JSON) and are parsed again on
/// the way in, so a record read back is held to the same rule as a request.
macro_rules! serde_as_parsed_string {
    ($($id:ident),*) => {$(
        impl Serialize for $id {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $id {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(deserializer)?;
                Self::parse(&raw).map_err(|e| {
                    serde::de::Error::custom(format!("{} {e}", stringify!($id)))
                })
            }
        }
    )*};
}

serde_as_parsed_string!(SessionId, SiteId, LinkId);

/// Ids are `text` columns.
macro_rules! to_sql_as_text {
    ($($id:ident),*) => {$(
        impl tokio_postgres::types::ToSql for $id {
            fn to_sql(
                &self,
                ty: &tokio_postgres::types::Type,
                out: &mut bytes::BytesMut,
            ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
                self.0.as_str().to_sql(ty, out)
            }

            fn accepts(ty: &tokio_postgres::types::Type) -> bool {
                <&str as tokio_postgres::types::ToSql>::accepts(ty)
            }

            tokio_postgres::types::to_sql_checked!();
        }
    )*};
}

to_sql_as_text!(SessionId, SiteId, LinkId);

/// In ASCII order, so base-62 numbers of one length sort bytewise as numbers.
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
        let start = SessionId::EPOCH_MILLIS;
        let later = [0, 3, 4, 8, 1_000, 86_400_000, 86_400_000 * 365 * 150];
        let ids: Vec<SessionId> = later
            .iter()
            .map(|ms| SessionId::mint_at(start + ms))
            .collect();
        for pair in ids.windows(2) {
            let (a, b) = (&pair[0].as_str()[..7], &pair[1].as_str()[..7]);
            // Bytewise, as the C collation compares; 0 and 3 ms share a tick.
            assert!(a <= b, "{pair:?}");
        }
        assert!(ids[1].as_str()[..7] == ids[0].as_str()[..7]);
        assert!(ids[2].as_str()[..7] > ids[1].as_str()[..7]);
        assert!(
            ids.iter()
                .all(|id| id.as_str().starts_with(|c: char| c.is_ascii_lowercase()))
        );
        let last = SessionId::mint_at(i64::MAX);
        assert!(last.as_str().starts_with("zzzzzzz"));
        assert!(SessionId::parse(last.as_str()).is_ok());
        let first = SessionId::mint_at(i64::MIN);
        assert!(first.as_str().starts_with("a000000"));
    }

    #[test]
    fn session_ids_sort_after_those_of_the_earlier_format() {
        // Six base-36 characters of the second, then 16 random: the last
        // one that format could make, and one made now.
        let old_last = "ZZZZZZzzzzzzzzzzzzzzzz";
        let old_now = "1ABCDEzzzzzzzzzzzzzzzz";
        let new = SessionId::mint_at(SessionId::EPOCH_MILLIS);
        assert!(new.as_str() > old_last && new.as_str() > old_now);
    }

    #[test]
    fn the_time_prefix_bounds_the_ids_minted_before_and_after_it() {
        use chrono::TimeZone;
        let at = chrono::Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap();
        let millis = at.timestamp_millis();
        let bound = SessionId::time_prefix(at);
        assert_eq!(bound.len(), 7);
        let before = SessionId::mint_at(millis - SessionId::TICK_MILLIS);
        let same_tick = SessionId::mint_at(millis);
        let after = SessionId::mint_at(millis + 60_000);
        assert!(before.as_str() < bound.as_str());
        assert!(same_tick.as_str() >= bound.as_str() && same_tick.as_str().starts_with(&bound));
        assert!(after.as_str() > bound.as_str());
        assert!(
            "ZZZZZZzzzzzzzzzzzzzzzz" < bound.as_str(),
            "earlier-format ids sort before"
        );
        let epoch = chrono::Utc
            .timestamp_millis_opt(SessionId::EPOCH_MILLIS)
            .unwrap();
        assert_eq!(
            SessionId::time_prefix(epoch - chrono::Duration::days(1)),
            "a000000"
        );
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
        fn a_later_session_id_never_sorts_before_an_earlier_one(
            a in 0i64..5_900_000_000_000, b in 0i64..5_900_000_000_000,
        ) {
            // Up to 2211, where the time part reaches its last value.
            let (earlier, later) = (a.min(b), a.max(b));
            let first = SessionId::mint_at(SessionId::EPOCH_MILLIS + earlier);
            let second = SessionId::mint_at(SessionId::EPOCH_MILLIS + later);
            prop_assert!(first.as_str()[..7] <= second.as_str()[..7]);
            if later / 4 > earlier / 4 {
                // A later tick sorts after, whatever the random part.
                prop_assert!(first.as_str() < second.as_str());
            }
            prop_assert_eq!(second.as_str().len(), SessionId::LEN);
            prop_assert!(SessionId::parse(second.as_str()).is_ok());
        }

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
