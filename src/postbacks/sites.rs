//! What a postback needs of its site: the secret's digest, the currency and
//! the rates. Kept in memory and refreshed every few seconds, so a busy
//! network does not cost a site query per postback, and a site already
//! known keeps taking postbacks (into the spool) while the database is away.

use crate::ids::SiteId;
use crate::sites::sql::find_site;
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
    pub currency: String,
    /// Units of `currency` per one unit of the key.
    pub rates: BTreeMap<String, Decimal>,
}

impl PostbackSite {
    /// Compares digests, so neither the secret's length nor where a wrong
    /// token first differs shows in the time taken.
    pub fn token_matches(&self, token: &str) -> bool {
        let presented: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        presented.ct_eq(&self.secret_digest).into()
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
        Ok(site.map(|site| PostbackSite {
            id: site.id.as_str().to_owned(),
            secret_digest: Sha256::digest(site.postback_secret.as_bytes()).into(),
            currency: site.settings.currency,
            rates: site.settings.currency_rates,
        }))
    }
}
