//! Who is asking: the peer, or the visitor behind a trusted proxy.

use std::net::IpAddr;

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
