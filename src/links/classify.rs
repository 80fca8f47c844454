//! Which URLs count as affiliate links for a site: its own rules first (they
//! map custom tracking domains to networks), then the built-in networks.

use crate::networks::Network;
use crate::sites::model::{compile_regex, split_host_pattern};
use crate::sites::{LinkRule, RuleKind};
use url::Url;

enum Matcher {
    Host { host: String, path_prefix: String },
    Regex(regex::Regex),
}

pub struct CompiledRules {
    rules: Vec<(Matcher, Option<Network>)>,
}

/// An affiliate link, and the network whose sub-id it gets (if known).
#[derive(Debug, PartialEq, Eq)]
pub struct Affiliate {
    pub network: Option<Network>,
}

impl CompiledRules {
    /// Rules were validated when saved; one that no longer compiles is skipped.
    pub fn compile(rules: &[LinkRule]) -> Self {
        let rules = rules
            .iter()
            .filter_map(|rule| {
                let matcher = match rule.kind {
                    RuleKind::Host => {
                        let (host, path) = split_host_pattern(&rule.pattern);
                        Matcher::Host {
                            host: host.trim_start_matches("*.").to_ascii_lowercase(),
                            path_prefix: path.to_owned(),
                        }
                    }
                    RuleKind::Regex => Matcher::Regex(compile_regex(&rule.pattern).ok()?),
                };
                let network = rule.network.as_deref().and_then(Network::from_id);
                Some((matcher, network))
            })
            .collect();
        Self { rules }
    }

    pub fn classify(&self, url: &Url) -> Option<Affiliate> {
        if !matches!(url.scheme(), "http" | "https") {
            return None;
        }
        let host = url.host_str()?.trim_end_matches('.').to_ascii_lowercase();
        for (matcher, network) in &self.rules {
            let hit = match matcher {
                Matcher::Host {
                    host: h,
                    path_prefix,
                } => {
                    (host == *h || host.ends_with(&format!(".{h}")))
                        && url.path().starts_with(path_prefix.as_str())
                }
                Matcher::Regex(re) => re.is_match(url.as_str()),
            };
            if hit {
                return Some(Affiliate { network: *network });
            }
        }
        Network::recognise(url).map(|network| Affiliate {
            network: Some(network),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(list: &[(RuleKind, &str, Option<&str>)]) -> CompiledRules {
        CompiledRules::compile(
            &list
                .iter()
                .map(|(kind, pattern, network)| LinkRule {
                    kind: *kind,
                    pattern: pattern.to_string(),
                    network: network.map(str::to_owned),
                })
                .collect::<Vec<_>>(),
        )
    }

    fn classify(rules: &CompiledRules, url: &str) -> Option<Option<Network>> {
        rules.classify(&Url::parse(url).unwrap()).map(|a| a.network)
    }

    #[test]
    fn site_rules_map_custom_tracking_domains() {
        let r = rules(&[
            (RuleKind::Host, "*.trk.test", Some("everflow")),
            (RuleKind::Host, "partner.test/go/", None),
            (RuleKind::Regex, r"^https://cake\.test/\?a=", Some("cake")),
        ]);
        assert_eq!(
            classify(&r, "https://x.trk.test/c?x=1"),
            Some(Some(Network::Everflow))
        );
        assert_eq!(
            classify(&r, "https://trk.test/c"),
            Some(Some(Network::Everflow))
        );
        assert_eq!(classify(&r, "https://partner.test/go/shoes"), Some(None));
        assert_eq!(classify(&r, "https://partner.test/about"), None);
        assert_eq!(
            classify(&r, "https://cake.test/?a=1&b=2"),
            Some(Some(Network::Cake))
        );
        assert_eq!(
            classify(&r, "https://hop.clickbank.net/?x"),
            Some(Some(Network::ClickBank))
        );
        assert_eq!(classify(&r, "https://example.com/"), None);
        assert_eq!(classify(&r, "mailto:a@trk.test"), None);
    }

    #[test]
    fn a_site_rule_wins_over_the_built_in_network() {
        let r = rules(&[(RuleKind::Host, "shareasale.com", None)]);
        assert_eq!(classify(&r, "https://shareasale.com/r.cfm?b=1"), Some(None));
    }
}
