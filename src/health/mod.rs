//! A site's health as a blogger needs it: the facts (last click, the last
//! conversion of each network, the share of unmatched postbacks, the spool)
//! and the alerts they raise. `GET /api/v1/health` serves both; the plugin
//! shows the alerts and mails them to the blog's admin.
//!
//! Every alert condition is decided here, in `alerts`, from the facts and a
//! `now`, so each one is tested with a fixed clock. The one condition only
//! the plugin can see (the sidecar not answering it) is the plugin's.

pub mod sql;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

/// A network is silent after this long without a conversion...
pub const SILENT_AFTER_DAYS: i64 = 7;
/// ...when it reported at least one in this many days before that.
pub const BEFORE_DAYS: i64 = 28;

/// What the sidecar knows about a site's tracking, as `GET /api/v1/health`
/// answers it (with `alerts` added).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Facts {
    /// The site's latest click, when its id carries the time (clicks made
    /// before the time-ordered ids have only `last_click_day`).
    pub last_click_at: Option<DateTime<Utc>>,
    /// The site's local day of its latest click.
    pub last_click_day: Option<NaiveDate>,
    /// Every network whose links had billable clicks in the last seven days
    /// or that reported a conversion in the last five weeks, by id.
    pub networks: Vec<NetworkFacts>,
    pub postbacks_24h: PostbackFacts,
    pub spool: SpoolFacts,
    /// With automatic Amazon tracking-id assignment: pages with Amazon
    /// links that hold no id because every id of the pool is taken, and the
    /// pool's size. Only the alert shows it.
    #[serde(skip)]
    pub amazon_pool_exhausted: Option<(i64, i64)>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct NetworkFacts {
    pub network: String,
    /// Billable clicks on the network's links, the last seven local days
    /// (today included).
    pub clicks_7d: i64,
    /// New conversions the network reported in the last seven days.
    pub conversions_7d: i64,
    /// The latest of them (or of those before, within the five weeks).
    pub last_conversion_at: Option<DateTime<Utc>>,
    /// New conversions reported in the 28 days before the last seven.
    pub conversions_before: i64,
}

/// The new conversions of the last 24 hours, and how many of them still
/// match no click.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PostbackFacts {
    pub total: i64,
    pub unmatched: i64,
    /// `unmatched / total`, `null` when there was none.
    pub unmatched_share: Option<f64>,
}

impl PostbackFacts {
    pub fn new(total: i64, unmatched: i64) -> Self {
        Self {
            total,
            unmatched,
            unmatched_share: (total > 0).then(|| unmatched as f64 / total as f64),
        }
    }
}

/// The sidecar process's spool (shared by every site it serves).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct SpoolFacts {
    /// Records waiting to be written to the database.
    pub pending: u64,
    /// Records the database refused, kept in `spool/quarantine` for an operator.
    pub set_aside: u64,
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Warning,
    Error,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Alert {
    /// `network_silent`, `unmatched_postbacks`, `records_set_aside` or
    /// `amazon_pool_exhausted`.
    pub code: &'static str,
    pub severity: Severity,
    /// One or two sentences for the blogger: what is wrong, what to check.
    pub message: String,
    /// The network's id, for `network_silent` (and `amazon` for
    /// `amazon_pool_exhausted`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
}

/// The alerts the facts raise at `now`:
///
/// - `network_silent`: a network's links had clicks in the last seven days,
///   it reported no conversion in the last seven days, and it did report
///   some in the 28 days before (it used to).
/// - `unmatched_postbacks`: more than a fifth of the last 24 hours' new
///   conversions match no click.
/// - `records_set_aside`: the database refused spooled records.
/// - `amazon_pool_exhausted`: pages with Amazon links wait for a tracking id
///   and the pool has none left.
pub fn alerts(facts: &Facts, now: DateTime<Utc>) -> Vec<Alert> {
    let mut alerts = Vec::new();
    let silent_since = now - Duration::days(SILENT_AFTER_DAYS);
    for n in &facts.networks {
        let quiet = n.last_conversion_at.is_none_or(|at| at < silent_since);
        if n.clicks_7d > 0 && quiet && n.conversions_before > 0 {
            let name = network_name(&n.network);
            let last = n
                .last_conversion_at
                .map(|at| at.format("%Y-%m-%d").to_string())
                .unwrap_or_else(|| "more than a week".into());
            alerts.push(Alert {
                code: "network_silent",
                severity: Severity::Warning,
                message: format!(
                    "{name} has reported no conversion since {last}, although its links had {} clicks \
                     in the last 7 days and it reported {} conversions in the 4 weeks before. Check \
                     that the postback is still set up at {name}.",
                    n.clicks_7d, n.conversions_before
                ),
                network: Some(n.network.clone()),
            });
        }
    }
    let p = &facts.postbacks_24h;
    if p.total > 0 && p.unmatched * 5 > p.total {
        alerts.push(Alert {
            code: "unmatched_postbacks",
            severity: Severity::Warning,
            message: format!(
                "{} of the {} conversions reported in the last 24 hours match no click. Check that \
                 each network's postback URL sends the session id back (see Postback Setup).",
                p.unmatched, p.total
            ),
            network: None,
        });
    }
    if facts.spool.set_aside > 0 {
        alerts.push(Alert {
            code: "records_set_aside",
            severity: Severity::Error,
            message: format!(
                "The database refused {} clicks or postbacks the sidecar had kept during an outage. \
                 They are set aside in the sidecar's spool/quarantine directory for its operator \
                 (see the sidecar's operations guide).",
                facts.spool.set_aside
            ),
            network: None,
        });
    }
    if let Some((pages, pool)) = facts.amazon_pool_exhausted {
        alerts.push(Alert {
            code: "amazon_pool_exhausted",
            severity: Severity::Warning,
            message: format!(
                "{pages} pages with Amazon links have no tracking id of their own: all {pool} \
                 tracking ids of the site's pool are taken. Their Amazon sales cannot be told apart \
                 by page until you add tracking ids (create them in Associates Central) in \
                 Settings."
            ),
            network: Some("amazon".into()),
        });
    }
    alerts
}

fn network_name(id: &str) -> String {
    crate::networks::Network::from_id(id)
        .map(|n| n.profile().name.to_owned())
        .unwrap_or_else(|| id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 10, 12, 0, 0).unwrap()
    }

    fn healthy() -> Facts {
        Facts {
            last_click_at: Some(now() - Duration::minutes(5)),
            last_click_day: Some(now().date_naive()),
            networks: vec![NetworkFacts {
                network: "awin".into(),
                clicks_7d: 120,
                conversions_7d: 3,
                last_conversion_at: Some(now() - Duration::days(1)),
                conversions_before: 9,
            }],
            postbacks_24h: PostbackFacts::new(10, 2),
            spool: SpoolFacts::default(),
            amazon_pool_exhausted: None,
        }
    }

    #[test]
    fn an_exhausted_amazon_pool_is_a_warning() {
        let mut facts = healthy();
        facts.amazon_pool_exhausted = Some((3, 10));
        let raised = alerts(&facts, now());
        assert_eq!(raised.len(), 1);
        assert_eq!(raised[0].code, "amazon_pool_exhausted");
        assert_eq!(raised[0].severity, Severity::Warning);
        assert!(
            raised[0].message.starts_with("3 pages"),
            "{}",
            raised[0].message
        );
    }

    fn codes(facts: &Facts, at: DateTime<Utc>) -> Vec<&'static str> {
        alerts(facts, at).iter().map(|a| a.code).collect()
    }

    #[test]
    fn healthy_facts_raise_nothing() {
        assert!(alerts(&healthy(), now()).is_empty());
    }

    #[test]
    fn a_network_that_used_to_convert_and_went_quiet_for_a_week_is_silent() {
        let mut facts = healthy();
        let awin = &mut facts.networks[0];
        awin.conversions_7d = 0;
        awin.last_conversion_at = Some(now() - Duration::days(7) - Duration::minutes(1));
        let raised = alerts(&facts, now());
        assert_eq!(raised.len(), 1);
        assert_eq!(raised[0].code, "network_silent");
        assert_eq!(raised[0].severity, Severity::Warning);
        assert_eq!(raised[0].network.as_deref(), Some("awin"));
        assert!(
            raised[0]
                .message
                .starts_with("Awin has reported no conversion since 2026-03-03")
        );
        assert!(raised[0].message.contains("120 clicks"));
        // Two minutes earlier the last conversion was under a week old.
        assert!(codes(&facts, now() - Duration::minutes(2)).is_empty());
    }

    #[test]
    fn a_quiet_network_is_not_silent_without_clicks_or_without_a_past() {
        let mut facts = healthy();
        facts.networks[0].last_conversion_at = Some(now() - Duration::days(20));
        facts.networks[0].clicks_7d = 0;
        assert!(
            alerts(&facts, now()).is_empty(),
            "no clicks: nothing to convert"
        );
        facts.networks[0].clicks_7d = 50;
        facts.networks[0].conversions_before = 0;
        facts.networks[0].last_conversion_at = None;
        assert!(
            alerts(&facts, now()).is_empty(),
            "it never converted: no change to report"
        );
    }

    #[test]
    fn more_than_a_fifth_unmatched_raises_an_alert_and_a_fifth_does_not() {
        let mut facts = healthy();
        facts.postbacks_24h = PostbackFacts::new(10, 2);
        assert!(alerts(&facts, now()).is_empty(), "exactly a fifth");
        facts.postbacks_24h = PostbackFacts::new(10, 3);
        let raised = alerts(&facts, now());
        assert_eq!(codes(&facts, now()), ["unmatched_postbacks"]);
        assert!(raised[0].message.starts_with("3 of the 10 conversions"));
        facts.postbacks_24h = PostbackFacts::new(0, 0);
        assert!(alerts(&facts, now()).is_empty(), "no postbacks, no share");
        assert_eq!(facts.postbacks_24h.unmatched_share, None);
        assert_eq!(PostbackFacts::new(4, 1).unmatched_share, Some(0.25));
    }

    #[test]
    fn records_set_aside_are_an_error() {
        let mut facts = healthy();
        facts.spool.pending = 500;
        assert!(
            alerts(&facts, now()).is_empty(),
            "a spool draining is no alert"
        );
        facts.spool.set_aside = 2;
        let raised = alerts(&facts, now());
        assert_eq!(codes(&facts, now()), ["records_set_aside"]);
        assert_eq!(raised[0].severity, Severity::Error);
        assert!(raised[0].message.contains("refused 2 "));
    }

    #[test]
    fn alerts_serialise_without_an_empty_network() {
        let mut facts = healthy();
        facts.spool.set_aside = 1;
        let json = serde_json::to_value(alerts(&facts, now())).unwrap();
        assert_eq!(json[0]["code"], "records_set_aside");
        assert_eq!(json[0]["severity"], "error");
        assert!(json[0].get("network").is_none());
    }
}
