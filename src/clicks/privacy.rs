//! A visitor's address is never stored. It is hashed with a salt that is
//! drawn at random each UTC day and kept only in memory, so a hash links the
//! clicks of one visitor on one day and nothing more, and cannot be reversed
//! by trying all addresses once the day is over.

use chrono::{NaiveDate, Utc};
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::sync::RwLock;

pub struct VisitorHasher {
    salt: RwLock<(NaiveDate, [u8; 32])>,
}

impl VisitorHasher {
    pub fn new() -> Self {
        Self {
            salt: RwLock::new((Utc::now().date_naive(), rand::random())),
        }
    }

    pub fn hash(&self, ip: IpAddr) -> String {
        let today = Utc::now().date_naive();
        let salt = {
            let current = self.salt.read().expect("salt lock");
            (current.0 == today).then_some(current.1)
        };
        let salt = salt.unwrap_or_else(|| {
            let mut current = self.salt.write().expect("salt lock");
            if current.0 != today {
                *current = (today, rand::random());
            }
            current.1
        });
        let mut hasher = Sha256::new();
        hasher.update(salt);
        match ip {
            IpAddr::V4(v4) => hasher.update(v4.octets()),
            IpAddr::V6(v6) => hasher.update(v6.octets()),
        }
        hex::encode(&hasher.finalize()[..12])
    }
}

impl Default for VisitorHasher {
    fn default() -> Self {
        Self::new()
    }
}

/// The visitor's address: the peer, or the last untrusted hop of
/// `X-Forwarded-For` when the peer is a trusted proxy.
pub fn client_ip(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let Some(chain) = forwarded_for else {
        return Some(peer);
    };
    let mut hops = chain.split(',').rev().map(str::trim);
    let mut last = peer;
    for hop in hops.by_ref() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => last = ip,
            Ok(ip) => return Some(ip),
            Err(_) => return Some(last),
        }
    }
    Some(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_address_hashes_alike_within_a_day_and_never_to_itself() {
        let h = VisitorHasher::new();
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(h.hash(ip), h.hash(ip));
        assert_ne!(h.hash(ip), h.hash("203.0.113.10".parse().unwrap()));
        assert!(!h.hash(ip).contains("203"));
        assert_ne!(
            VisitorHasher::new().hash(ip),
            h.hash(ip),
            "salts are random"
        );
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted: Vec<IpAddr> = vec!["127.0.0.1".parse().unwrap()];
        let local = Some("127.0.0.1".parse().unwrap());
        let remote = Some("198.51.100.7".parse().unwrap());
        assert_eq!(
            client_ip(local, Some("203.0.113.1"), &trusted),
            "203.0.113.1".parse().ok()
        );
        assert_eq!(
            client_ip(local, Some("6.6.6.6, 203.0.113.1"), &trusted),
            "203.0.113.1".parse().ok()
        );
        assert_eq!(client_ip(remote, Some("203.0.113.1"), &trusted), remote);
        assert_eq!(client_ip(local, None, &trusted), local);
        assert_eq!(client_ip(local, Some("garbage"), &trusted), local);
    }
}
