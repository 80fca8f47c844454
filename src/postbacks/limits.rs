//! Rate limits on postbacks (governor): one limiter per source address,
//! checked before anything else, and one per site, checked once the token
//! is right, so nobody without the secret can spend a site's quota.
//!
//! Each key's limiter lives in a bounded cache: a flood from many addresses
//! evicts the least recently seen keys instead of growing memory. An evicted
//! key starts again with a full burst, which the per-site limit still caps.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

const MAX_KEYS: u64 = 100_000;

pub struct Limits {
    per_address: moka::sync::Cache<IpAddr, Arc<DefaultDirectRateLimiter>>,
    per_site: moka::sync::Cache<String, Arc<DefaultDirectRateLimiter>>,
    address_quota: Quota,
    site_quota: Quota,
}

/// Over the limit; try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds for the `Retry-After` header, at least 1.
    pub fn seconds(self) -> u64 {
        self.0.as_secs_f64().ceil().max(1.0) as u64
    }
}

fn quota(rate: u32, burst: u32) -> Quota {
    let nonzero = |n: u32| NonZeroU32::new(n.max(1)).expect("at least 1");
    Quota::per_second(nonzero(rate)).allow_burst(nonzero(burst))
}

impl Limits {
    pub fn new(site_rate: u32, site_burst: u32, address_rate: u32, address_burst: u32) -> Self {
        Self {
            per_address: bounded(),
            per_site: bounded(),
            address_quota: quota(address_rate, address_burst),
            site_quota: quota(site_rate, site_burst),
        }
    }

    pub fn check_address(&self, address: IpAddr) -> Result<(), RetryAfter> {
        let key = address_key(address);
        let limiter = self
            .per_address
            .get_with(key, || Arc::new(RateLimiter::direct(self.address_quota)));
        check(&limiter)
    }

    pub fn check_site(&self, site_id: &str) -> Result<(), RetryAfter> {
        let limiter = match self.per_site.get(site_id) {
            Some(limiter) => limiter,
            None => self.per_site.get_with(site_id.to_owned(), || {
                Arc::new(RateLimiter::direct(self.site_quota))
            }),
        };
        check(&limiter)
    }

    /// Keys held now (after pending evictions), for tests and metrics.
    pub fn address_keys(&self) -> u64 {
        self.per_address.run_pending_tasks();
        self.per_address.entry_count()
    }
}

fn bounded<K>() -> moka::sync::Cache<K, Arc<DefaultDirectRateLimiter>>
where
    K: std::hash::Hash + Eq + Send + Sync + 'static,
{
    moka::sync::Cache::builder()
        .max_capacity(MAX_KEYS)
        .time_to_idle(Duration::from_secs(600))
        .build()
}

fn check(limiter: &DefaultDirectRateLimiter) -> Result<(), RetryAfter> {
    limiter
        .check()
        .map_err(|not_until| RetryAfter(not_until.wait_time_from(DefaultClock::default().now())))
}

/// An IPv6 host usually has a whole /64 to pick addresses from: it is one key.
fn address_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return IpAddr::V4(v4);
            }
            let mut octets = v6.octets();
            octets[8..].fill(0);
            IpAddr::V6(octets.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_limit_answers_with_a_wait() {
        let limits = Limits::new(10, 5, 1, 3);
        let address: IpAddr = "203.0.113.7".parse().unwrap();
        for _ in 0..3 {
            assert!(limits.check_address(address).is_ok());
        }
        let wait = limits.check_address(address).unwrap_err();
        assert!(wait.seconds() >= 1);
        assert!(limits.check_address("203.0.113.8".parse().unwrap()).is_ok());
        for _ in 0..5 {
            assert!(limits.check_site("s").is_ok());
        }
        assert!(limits.check_site("s").is_err());
    }

    #[test]
    fn one_ipv6_slash_64_is_one_key() {
        let limits = Limits::new(10, 10, 1, 1);
        assert!(limits.check_address("2001:db8::1".parse().unwrap()).is_ok());
        assert!(
            limits
                .check_address("2001:db8::ffff:2".parse().unwrap())
                .is_err()
        );
        assert!(
            limits
                .check_address("2001:db8:0:1::1".parse().unwrap())
                .is_ok()
        );
    }

    #[test]
    fn a_flood_of_addresses_holds_bounded_memory() {
        let limits = Limits::new(10, 10, 10, 10);
        for n in 0..(MAX_KEYS + 20_000) {
            let address = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + n as u32));
            let _ = limits.check_address(address);
        }
        assert!(
            limits.address_keys() <= MAX_KEYS,
            "{}",
            limits.address_keys()
        );
    }
}
