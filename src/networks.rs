//! The affiliate networks of DESIGN.md: how a link is recognised, which
//! sub-id carries our session id, and how the network calls us back.

use serde::Serialize;
use url::Url;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Network {
    ClickBank,
    Cj,
    Impact,
    ShareASale,
    Rakuten,
    Awin,
    Everflow,
    Cake,
    Tune,
    Partnerize,
    Amazon,
}

/// How a network reports a conversion to a publisher.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PostbackSupport {
    /// It calls a URL with macros.
    Supported,
    /// It sends its own notification (ClickBank's encrypted INS).
    OwnNotification,
    /// Nothing is sent to publishers.
    None,
}

pub struct Profile {
    pub id: &'static str,
    pub name: &'static str,
    pub sub_id: &'static str,
    pub recognised_by: &'static str,
    pub support: PostbackSupport,
    /// Session id, amount and transaction id macros, where the network has them.
    pub macros: Option<(&'static str, &'static str, &'static str)>,
    pub setup: &'static str,
    pub note: &'static str,
}

impl Network {
    pub const ALL: [Network; 11] = [
        Network::ShareASale,
        Network::Cj,
        Network::Impact,
        Network::Rakuten,
        Network::ClickBank,
        Network::Awin,
        Network::Everflow,
        Network::Cake,
        Network::Tune,
        Network::Partnerize,
        Network::Amazon,
    ];

    pub fn profile(self) -> Profile {
        use PostbackSupport::*;
        match self {
            Network::ClickBank => Profile {
                id: "clickbank",
                name: "ClickBank",
                sub_id: "tid",
                recognised_by: "hop.clickbank.net and *.hop.clickbank.net",
                support: OwnNotification,
                macros: Option::None,
                setup: "Account Settings → My Site → Advanced Tools",
                note: "ClickBank sends its own encrypted Instant Notification, not a postback URL; AffRank does not receive it yet.",
            },
            Network::Cj => Profile {
                id: "cj",
                name: "CJ Affiliate",
                sub_id: "sid",
                recognised_by: "anrdoezrs.net, dpbolvw.net, jdoqocy.com, kqzyfj.com, tkqlhce.com",
                support: None,
                macros: Option::None,
                setup: "—",
                note: "CJ has no publisher postback: commissions have to be pulled from CJ's API.",
            },
            Network::Impact => Profile {
                id: "impact",
                name: "Impact",
                sub_id: "subId1",
                recognised_by: "*.sjv.io, *.pxf.io, *.7eer.net, *.evyy.net",
                support: Supported,
                macros: Some(("{SubId1}", "{Payout}", "{ActionId}")),
                setup: "Settings → Tracking → Postback URLs",
                note: "",
            },
            Network::ShareASale => Profile {
                id: "shareasale",
                name: "ShareASale",
                sub_id: "afftrack",
                recognised_by: "shareasale.com/r.cfm",
                support: Supported,
                macros: Some(("!!afftrack!!", "!!commission!!", "!!transID!!")),
                setup: "On request to ShareASale",
                note: "",
            },
            Network::Rakuten => Profile {
                id: "rakuten",
                name: "Rakuten Advertising",
                sub_id: "u1",
                recognised_by: "click.linksynergy.com",
                support: Supported,
                macros: Option::None,
                setup: "Set up by Rakuten on request: send them the postback URL",
                note: "Rakuten fills in its own macros when it sets the postback up.",
            },
            Network::Awin => Profile {
                id: "awin",
                name: "Awin",
                sub_id: "clickref",
                recognised_by: "awin1.com/cread.php",
                support: Supported,
                macros: Some(("!!!clickRef!!!", "!!!commission!!!", "!!!transactionId!!!")),
                setup: "Transaction Notifications, on request to Awin",
                note: "",
            },
            Network::Everflow => Profile {
                id: "everflow",
                name: "Everflow",
                sub_id: "sub1",
                recognised_by: "a site rule mapping its tracking domain",
                support: Supported,
                macros: Some(("{sub1}", "{payout}", "{transaction_id}")),
                setup: "Partner postback settings",
                note: "",
            },
            Network::Cake => Profile {
                id: "cake",
                name: "CAKE",
                sub_id: "s2",
                recognised_by: "a site rule mapping its tracking domain",
                support: Supported,
                macros: Some(("#s2#", "#price#", "#tid#")),
                setup: "Affiliate portal → pixels/postbacks",
                note: "",
            },
            Network::Tune => Profile {
                id: "tune",
                name: "TUNE (HasOffers)",
                sub_id: "aff_click_id",
                recognised_by: "a site rule mapping its tracking domain",
                support: Supported,
                macros: Some(("{aff_click_id}", "{payout}", "{transaction_id}")),
                setup: "Affiliate portal → postbacks",
                note: "",
            },
            Network::Partnerize => Profile {
                id: "partnerize",
                name: "Partnerize",
                sub_id: "pubref",
                recognised_by: "prf.hn",
                support: None,
                macros: Option::None,
                setup: "—",
                note: "No publisher postback is documented.",
            },
            Network::Amazon => Profile {
                id: "amazon",
                name: "Amazon Associates",
                sub_id: "ascsubtag",
                recognised_by: "amazon.* hosts with a tag= parameter",
                support: None,
                macros: Option::None,
                setup: "—",
                note: "Amazon sends no postback; ascsubtag shows in its reports for approved publishers.",
            },
        }
    }

    pub fn id(self) -> &'static str {
        self.profile().id
    }

    pub fn sub_id(self) -> &'static str {
        self.profile().sub_id
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.id() == id)
    }

    /// The built-in recognition of DESIGN.md's network table.
    pub fn recognise(url: &Url) -> Option<Self> {
        let host = url.host_str()?.trim_end_matches('.').to_ascii_lowercase();
        let is = |domain: &str| host == domain || host.ends_with(&format!(".{domain}"));
        let path = url.path().to_ascii_lowercase();
        if is("hop.clickbank.net") {
            Some(Network::ClickBank)
        } else if [
            "anrdoezrs.net",
            "dpbolvw.net",
            "jdoqocy.com",
            "kqzyfj.com",
            "tkqlhce.com",
        ]
        .iter()
        .any(|d| is(d))
        {
            Some(Network::Cj)
        } else if ["sjv.io", "pxf.io", "7eer.net", "evyy.net"]
            .iter()
            .any(|d| is(d))
        {
            Some(Network::Impact)
        } else if is("shareasale.com") && path == "/r.cfm" {
            Some(Network::ShareASale)
        } else if host == "click.linksynergy.com" {
            Some(Network::Rakuten)
        } else if is("awin1.com") && path == "/cread.php" {
            Some(Network::Awin)
        } else if is("prf.hn") {
            Some(Network::Partnerize)
        } else if is_amazon_host(&host) && url.query_pairs().any(|(k, _)| k == "tag") {
            Some(Network::Amazon)
        } else {
            None
        }
    }
}

/// Amazon's storefronts: `amazon.<suffix>` or a subdomain of one.
fn is_amazon_host(host: &str) -> bool {
    const SUFFIXES: &[&str] = &[
        "com", "ca", "com.mx", "com.br", "co.uk", "de", "fr", "it", "es", "nl", "se", "pl",
        "com.be", "com.tr", "ae", "sa", "eg", "in", "co.jp", "sg", "com.au", "cn",
    ];
    let labels: Vec<&str> = host.split('.').collect();
    labels.iter().enumerate().any(|(i, label)| {
        *label == "amazon" && SUFFIXES.contains(&labels[i + 1..].join(".").as_str())
    })
}

#[derive(Serialize)]
pub struct NetworkPreset {
    pub id: &'static str,
    pub name: &'static str,
    pub sub_id: &'static str,
    pub recognised_by: &'static str,
    pub postback: PostbackSupport,
    pub postback_url: Option<String>,
    pub setup: &'static str,
    pub note: &'static str,
}

/// The postback URL template with our placeholders, and each network's
/// version with its own macros filled in.
pub struct PostbackTemplate {
    pub base: String,
    pub token: String,
}

impl PostbackTemplate {
    pub fn with_macros(&self, session: &str, amount: &str, transaction: &str) -> String {
        format!(
            "{}?sessionId={session}&amount={amount}&transaction_id={transaction}&token={}",
            self.base, self.token
        )
    }

    pub fn generic(&self) -> String {
        self.with_macros("{SESSION_ID}", "{COMMISSION}", "{TRANSACTION_ID}")
    }

    pub fn presets(&self) -> Vec<NetworkPreset> {
        Network::ALL
            .iter()
            .map(|network| {
                let p = network.profile();
                let postback_url = match (p.support, p.macros) {
                    (PostbackSupport::Supported, Some((s, a, t))) => {
                        Some(self.with_macros(s, a, t))
                    }
                    (PostbackSupport::Supported, None) => Some(self.generic()),
                    _ => None,
                };
                NetworkPreset {
                    id: p.id,
                    name: p.name,
                    sub_id: p.sub_id,
                    recognised_by: p.recognised_by,
                    postback: p.support,
                    postback_url,
                    setup: p.setup,
                    note: p.note,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recognise(url: &str) -> Option<Network> {
        Network::recognise(&Url::parse(url).unwrap())
    }

    #[test]
    fn recognises_every_built_in_network() {
        let cases = [
            (
                "https://hop.clickbank.net/?affiliate=a&vendor=b",
                Network::ClickBank,
            ),
            ("https://aff.vendor.hop.clickbank.net/", Network::ClickBank),
            ("https://www.anrdoezrs.net/click-1-2", Network::Cj),
            ("http://www.dpbolvw.net/click-1-2", Network::Cj),
            ("https://www.jdoqocy.com/x", Network::Cj),
            ("https://www.kqzyfj.com/x", Network::Cj),
            ("https://www.tkqlhce.com/x", Network::Cj),
            ("https://brand.sjv.io/c/1/2/3", Network::Impact),
            ("https://brand.pxf.io/x", Network::Impact),
            ("https://x.7eer.net/c/1", Network::Impact),
            ("https://x.evyy.net/c/1", Network::Impact),
            (
                "https://shareasale.com/r.cfm?b=1&u=2&m=3",
                Network::ShareASale,
            ),
            ("https://www.shareasale.com/r.cfm?b=1", Network::ShareASale),
            (
                "https://click.linksynergy.com/deeplink?id=a",
                Network::Rakuten,
            ),
            (
                "https://www.awin1.com/cread.php?awinmid=1&awinaffid=2",
                Network::Awin,
            ),
            ("https://prf.hn/click/camref:1", Network::Partnerize),
            ("https://www.amazon.com/dp/B0?tag=me-20", Network::Amazon),
            ("https://www.amazon.co.uk/dp/B0?tag=me-21", Network::Amazon),
            ("https://smile.amazon.de/dp/B0?tag=me-21", Network::Amazon),
        ];
        for (url, network) in cases {
            assert_eq!(recognise(url), Some(network), "{url}");
        }
    }

    #[test]
    fn leaves_look_alikes_alone() {
        for url in [
            "https://shareasale.com/info",
            "https://www.awin1.com/",
            "https://www.amazon.com/dp/B0",
            "https://amazon.example.com/?tag=x",
            "https://notclickbank.net/",
            "https://evilsjv.io/",
            "https://example.com/?u=https://hop.clickbank.net/",
        ] {
            assert_eq!(recognise(url), None, "{url}");
        }
    }

    #[test]
    fn presets_fill_each_networks_macros_and_omit_networks_without_postbacks() {
        let t = PostbackTemplate {
            base: "https://t.test/api/v1/postbacks/S".into(),
            token: "TOK".into(),
        };
        let presets = t.presets();
        let by_id = |id: &str| presets.iter().find(|p| p.id == id).unwrap();
        assert_eq!(
            by_id("shareasale").postback_url.as_deref(),
            Some(
                "https://t.test/api/v1/postbacks/S?sessionId=!!afftrack!!&amount=!!commission!!&transaction_id=!!transID!!&token=TOK"
            )
        );
        assert!(
            by_id("impact")
                .postback_url
                .as_deref()
                .unwrap()
                .contains("sessionId={SubId1}")
        );
        assert_eq!(by_id("cj").postback_url, None);
        assert_eq!(by_id("cj").postback, PostbackSupport::None);
        assert_eq!(
            by_id("clickbank").postback,
            PostbackSupport::OwnNotification
        );
        assert_eq!(by_id("clickbank").postback_url, None);
    }
}
