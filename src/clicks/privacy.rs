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
}
