//! What a postback needs of its site: the secret's digest, the currency and
//! the rates. Kept in memory and refreshed every few seconds, so a busy
//! network does not cost a site query per postback, and a site already
//! known keeps taking postbacks (into the spool) while the database is away.

use crate::ids::SiteId;
use crate::sites::sql::find_site;
use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

pub struct PostbackSite {
    pub id: String,
    secret_digest: [u8; 32],
    /// The secret before the last rotation, and when it stops being taken.
    previous: Option<([u8; 32], DateTime<Utc>)>,
    pub currency: String,
    /// Units of `currency` per one unit of the key.
    pub rates: BTreeMap<String, Decimal>,
}

/// Which secret a postback's token was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretUsed {
    Current,
    /// The one before the last rotation, within its grace period.
    Previous,
}

impl PostbackSite {
    pub fn new(
        id: String,
        secret: &str,
        previous: Option<(&[u8], DateTime<Utc>)>,
        currency: String,
        rates: BTreeMap<String, Decimal>,
    ) -> Self {
        Self {
            id,
            secret_digest: Sha256::digest(secret.as_bytes()).into(),
            previous: previous
                .and_then(|(digest, until)| Some((<[u8; 32]>::try_from(digest).ok()?, until))),
            currency,
            rates,
        }
    }

    /// Compares digests, so neither the secret's length nor where a wrong
    /// token first differs shows in the time taken; both secrets are always
    /// compared, so neither does which one it was.
    pub fn check_token(&self, token: &str, now: DateTime<Utc>) -> Option<SecretUsed> {
        let presented: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let current = presented.ct_eq(&self.secret_digest);
        let (digest, until) = self.previous.unwrap_or(([0; 32], DateTime::<Utc>::MIN_UTC));
        let previous = presented.ct_eq(&digest) & subtle::Choice::from(u8::from(now < until));
        if bool::from(current) {
            Some(SecretUsed::Current)
        } else if bool::from(previous) {
            Some(SecretUsed::Previous)
        } else {
            None
        }
    }

    /// The amount in the site's currency; `None` when there is no rate.
    pub fn convert(&self, amount: Decimal, currency: Option<&str>) -> Option<Decimal> {
        match currency {
            None => Some(amount),
            Some(c) if c == self.currency => Some(amount),
            Some(c) => self.rates.get(c).map(|rate| (amount * rate).normalize()),
        }
    }
}

#[derive(Clone)]
struct Entry {
    site: Option<Arc<PostbackSite>>,
    fetched: Instant,
}

pub enum Lookup {
    Found(Arc<PostbackSite>),
    Unknown,
    /// Not known here and the database cannot say.
    Unavailable,
}

pub struct PostbackSites {
    entries: moka::sync::Cache<String, Entry>,
}

/// How stale a site may be before it is read again: rates and a rotated
/// secret take effect within this.
const FRESH: Duration = Duration::from_secs(5);

impl Default for PostbackSites {
    fn default() -> Self {
        Self {
            entries: moka::sync::Cache::builder().max_capacity(100_000).build(),
        }
    }
}

impl PostbackSites {
    pub async fn lookup(&self, pool: &Pool, site_id: &str) -> Lookup {
        let cached = self.entries.get(site_id);
        if let Some(entry) = &cached
            && entry.fetched.elapsed() < FRESH
        {
            return Self::answer(entry);
        }
        let Ok(id) = SiteId::parse(site_id) else {
            // Not even shaped like a site id: never worth a query.
            return Lookup::Unknown;
        };
        match Self::fetch(pool, &id).await {
            Ok(site) => {
                let entry = Entry {
                    site: site.map(Arc::new),
                    fetched: Instant::now(),
                };
                self.entries.insert(site_id.to_owned(), entry.clone());
                Self::answer(&entry)
            }
            Err(e) => {
                tracing::debug!(error = %e, "cannot read the site; using what is known");
                match cached {
                    Some(entry) => Self::answer(&entry),
                    None => Lookup::Unavailable,
                }
            }
        }
    }

    fn answer(entry: &Entry) -> Lookup {
        match &entry.site {
            Some(site) => Lookup::Found(site.clone()),
            None => Lookup::Unknown,
        }
    }

    async fn fetch(pool: &Pool, id: &SiteId) -> anyhow::Result<Option<PostbackSite>> {
        let client = tokio::time::timeout(Duration::from_secs(1), pool.get()).await??;
        let site = find_site(&client, id).await?;
        Ok(site.map(|site| {
            PostbackSite::new(
                site.id.as_str().to_owned(),
                &site.postback_secret,
                site.previous_secret
                    .as_ref()
                    .map(|p| (p.digest.as_slice(), p.expires_at)),
                site.settings.currency,
                site.settings.currency_rates,
            )
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn site(previous: Option<(&str, DateTime<Utc>)>) -> PostbackSite {
        let digest = previous.map(|(s, until)| (Sha256::digest(s.as_bytes()).to_vec(), until));
        PostbackSite::new(
            "s".into(),
            "new-secret",
            digest.as_ref().map(|(d, until)| (d.as_slice(), *until)),
            "USD".into(),
            BTreeMap::new(),
        )
    }

    #[test]
    fn the_previous_secret_is_taken_until_it_expires() {
        let now = Utc::now();
        let rotated = site(Some(("old-secret", now + Duration::days(14))));
        assert_eq!(
            rotated.check_token("new-secret", now),
            Some(SecretUsed::Current)
        );
        assert_eq!(
            rotated.check_token("old-secret", now),
            Some(SecretUsed::Previous)
        );
        assert_eq!(
            rotated.check_token("old-secret", now + Duration::days(14)),
            None
        );
        assert_eq!(rotated.check_token("other", now), None);
        assert_eq!(rotated.check_token("", now), None);
        let plain = site(None);
        assert_eq!(
            plain.check_token("new-secret", now),
            Some(SecretUsed::Current)
        );
        assert_eq!(plain.check_token("old-secret", now), None);
    }
}
