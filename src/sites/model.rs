//! A site's settings and their validation. Every rejected value names its field.

use crate::error::ApiError;
use crate::ids::SiteId;
use crate::networks::Network;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::str::FromStr;

#[derive(Clone, Debug)]
pub struct Site {
    pub id: SiteId,
    pub postback_secret: String,
    /// The secret before the last rotation, still taken until it expires.
    pub previous_secret: Option<PreviousSecret>,
    pub settings_version: i32,
    pub settings: SiteSettings,
}

/// A rotated-out postback secret: only its SHA-256 is kept (it is compared,
/// never shown), with the end of its grace period.
#[derive(Clone, Debug)]
pub struct PreviousSecret {
    pub digest: Vec<u8>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SiteSettings {
    pub name: String,
    pub url: String,
    pub currency: String,
    pub time_zone: String,
    /// `None`: links point at the sidecar's public URL.
    pub tracking_base_url: Option<String>,
    pub rel_policy: RelPolicy,
    pub exclude_bots: bool,
    pub link_rules: Vec<LinkRule>,
    /// Units of the site's currency per one unit of the keyed currency.
    pub currency_rates: BTreeMap<String, Decimal>,
    /// Days after which a click's user agent and referrer are dropped.
    pub click_detail_retention_days: u32,
    /// The blogger's Amazon tracking ids (`name-20`), in the order pages
    /// take them (`sites::amazon`).
    pub amazon_tracking_ids: Vec<String>,
    pub amazon_tracking_assignment: AmazonAssignment,
}

/// How a page gets its Amazon tracking id: the next free one of the pool on
/// its first rewrite, or only as the blogger assigns them.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AmazonAssignment {
    #[default]
    Auto,
    Manual,
}

impl AmazonAssignment {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Manual => "manual",
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RelPolicy {
    SponsoredNofollow,
    None,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct LinkRule {
    pub kind: RuleKind,
    pub pattern: String,
    /// A DESIGN.md network id, or `None` for "affiliate, network unknown".
    pub network: Option<String>,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// `shop.example.com`, `*.example.com` or `example.com/aff/`: the host or
    /// any subdomain of it, optionally under a path prefix.
    Host,
    /// A regular expression matched against the whole URL.
    Regex,
}

pub const MAX_RULES: usize = 200;
/// A privacy policy's usual period; the first and last accepted values.
pub const DEFAULT_CLICK_DETAIL_RETENTION_DAYS: u32 = 90;
pub const CLICK_DETAIL_RETENTION_DAYS: std::ops::RangeInclusive<u32> = 1..=3650;
pub const MAX_REGEX_BYTES: usize = 1 << 20;
/// Amazon lets an account create a few hundred tracking ids; a pool of this
/// many covers any blog we know of and keeps the settings row small.
pub const MAX_AMAZON_TRACKING_IDS: usize = 2000;

/// An Amazon tracking id as Associates Central makes them (`name-20`):
/// 1 to 64 letters, digits, `_` or `-`.
pub fn validate_tracking_id(field: &str, raw: &str) -> Result<String, ApiError> {
    let id = raw.trim();
    if id.is_empty()
        || id.len() > 64
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(ApiError::invalid(
            field,
            format!("{raw:?} is not a tracking id: 1 to 64 letters, digits, _ or - (like name-20)"),
        ));
    }
    Ok(id.to_owned())
}

fn parse_tracking_ids(value: &Value) -> Result<Vec<String>, ApiError> {
    const FIELD: &str = "amazon_tracking_ids";
    let items = value
        .as_array()
        .ok_or_else(|| ApiError::invalid(FIELD, "must be an array of tracking ids"))?;
    if items.len() > MAX_AMAZON_TRACKING_IDS {
        return Err(ApiError::invalid(
            FIELD,
            format!("at most {MAX_AMAZON_TRACKING_IDS} tracking ids"),
        ));
    }
    let mut ids: Vec<String> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let field = format!("{FIELD}[{i}]");
        let id = validate_tracking_id(&field, string(&field, item)?)?;
        // Amazon's ids are case-insensitive; two spellings are one id.
        if ids.iter().any(|known| known.eq_ignore_ascii_case(&id)) {
            return Err(ApiError::invalid(
                field,
                format!("{id:?} is in the list twice"),
            ));
        }
        ids.push(id);
    }
    Ok(ids)
}

/// The ISO 4217 codes in circulation.
const CURRENCIES: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL";

pub fn validate_currency(field: &str, code: &str) -> Result<String, ApiError> {
    let upper = code.trim().to_ascii_uppercase();
    if upper.len() == 3 && CURRENCIES.split(' ').any(|c| c == upper) {
        Ok(upper)
    } else {
        Err(ApiError::invalid(
            field,
            format!("{code:?} is not an ISO 4217 currency code"),
        ))
    }
}

/// A site's name: 1 to 200 characters (bytes, as before), no control
/// character (`text::check`).
fn validate_name(field: &str, raw: &str) -> Result<String, ApiError> {
    let name = raw.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(ApiError::invalid(field, "must be 1 to 200 characters"));
    }
    crate::text::check(name, 200).map_err(|e| ApiError::invalid(field, e.to_string()))?;
    Ok(name.to_owned())
}

pub fn validate_url(field: &str, raw: &str) -> Result<String, ApiError> {
    let url = url::Url::parse(raw.trim())
        .map_err(|e| ApiError::invalid(field, format!("is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ApiError::invalid(field, "must be an http or https URL"));
    }
    Ok(url.to_string())
}

impl SiteSettings {
    pub fn new(name: &str, url: &str, currency: &str) -> Result<Self, ApiError> {
        Ok(Self {
            name: validate_name("name", name)?,
            url: validate_url("url", url)?,
            currency: validate_currency("currency", currency)?,
            time_zone: "UTC".into(),
            tracking_base_url: None,
            rel_policy: RelPolicy::SponsoredNofollow,
            exclude_bots: true,
            link_rules: Vec::new(),
            currency_rates: BTreeMap::new(),
            click_detail_retention_days: DEFAULT_CLICK_DETAIL_RETENTION_DAYS,
            amazon_tracking_ids: Vec::new(),
            amazon_tracking_assignment: AmazonAssignment::Auto,
        })
    }

    /// Applies a `PUT /api/v1/site` body: any subset of the fields.
    pub fn apply_patch(&mut self, body: &Value) -> Result<(), ApiError> {
        let Value::Object(fields) = body else {
            return Err(ApiError::BadRequest(
                "the body must be a JSON object".into(),
            ));
        };
        for (key, value) in fields {
            self.apply_field(key, value)?;
        }
        Ok(())
    }

    fn apply_field(&mut self, key: &str, value: &Value) -> Result<(), ApiError> {
        match key {
            "name" => self.name = validate_name(key, string(key, value)?)?,
            "url" => self.url = validate_url(key, string(key, value)?)?,
            "currency" => self.currency = validate_currency(key, string(key, value)?)?,
            "time_zone" => {
                let tz = string(key, value)?;
                chrono_tz::Tz::from_str(tz).map_err(|_| {
                    ApiError::invalid(key, format!("{tz:?} is not an IANA time zone"))
                })?;
                self.time_zone = tz.to_owned();
            }
            "tracking_base_url" => {
                self.tracking_base_url = match value {
                    Value::Null => None,
                    _ => {
                        let url = validate_url(key, string(key, value)?)?;
                        let parsed = url::Url::parse(&url).expect("validated");
                        if parsed.query().is_some() || parsed.fragment().is_some() {
                            return Err(ApiError::invalid(
                                key,
                                "must not have a query or fragment",
                            ));
                        }
                        Some(url.trim_end_matches('/').to_owned())
                    }
                }
            }
            "rel_policy" => {
                self.rel_policy = serde_json::from_value(value.clone()).map_err(|_| {
                    ApiError::invalid(key, "must be \"sponsored_nofollow\" or \"none\"")
                })?
            }
            "exclude_bots" => {
                self.exclude_bots = value
                    .as_bool()
                    .ok_or_else(|| ApiError::invalid(key, "must be true or false"))?
            }
            "link_rules" => self.link_rules = parse_rules(value)?,
            "currency_rates" => self.currency_rates = parse_rates(value)?,
            "click_detail_retention_days" => {
                let range = CLICK_DETAIL_RETENTION_DAYS;
                self.click_detail_retention_days = value
                    .as_u64()
                    .and_then(|days| u32::try_from(days).ok())
                    .filter(|days| range.contains(days))
                    .ok_or_else(|| {
                        ApiError::invalid(
                            key,
                            format!(
                                "must be a whole number of days from {} to {}",
                                range.start(),
                                range.end()
                            ),
                        )
                    })?
            }
            "amazon_tracking_ids" => self.amazon_tracking_ids = parse_tracking_ids(value)?,
            "amazon_tracking_assignment" => {
                self.amazon_tracking_assignment = serde_json::from_value(value.clone())
                    .map_err(|_| ApiError::invalid(key, "must be \"auto\" or \"manual\""))?
            }
            _ => return Err(ApiError::invalid(key, "is not a setting")),
        }
        Ok(())
    }
}

fn string<'a>(field: &str, value: &'a Value) -> Result<&'a str, ApiError> {
    value
        .as_str()
        .ok_or_else(|| ApiError::invalid(field, "must be a string"))
}

fn parse_rules(value: &Value) -> Result<Vec<LinkRule>, ApiError> {
    let items = value
        .as_array()
        .ok_or_else(|| ApiError::invalid("link_rules", "must be an array"))?;
    if items.len() > MAX_RULES {
        return Err(ApiError::invalid(
            "link_rules",
            format!("at most {MAX_RULES} rules"),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| parse_rule(&format!("link_rules[{i}]"), item))
        .collect()
}

fn parse_rule(field: &str, item: &Value) -> Result<LinkRule, ApiError> {
    let Value::Object(map) = item else {
        return Err(ApiError::invalid(
            field,
            "must be an object with kind, pattern, network",
        ));
    };
    if let Some(key) = map
        .keys()
        .find(|k| !["kind", "pattern", "network"].contains(&k.as_str()))
    {
        return Err(ApiError::invalid(
            format!("{field}.{key}"),
            "is not a rule field",
        ));
    }
    let kind = match map.get("kind").and_then(Value::as_str) {
        Some("host") => RuleKind::Host,
        Some("regex") => RuleKind::Regex,
        _ => {
            return Err(ApiError::invalid(
                format!("{field}.kind"),
                "must be \"host\" or \"regex\"",
            ));
        }
    };
    let pattern = field_str(map, field, "pattern")?.trim().to_owned();
    let pattern_field = format!("{field}.pattern");
    // A regex matches a control character by its escape (`\x00`); the
    // character itself has no business in a stored pattern.
    crate::text::check(&pattern, usize::MAX)
        .map_err(|e| ApiError::invalid(&pattern_field, e.to_string()))?;
    match kind {
        RuleKind::Host => validate_host_pattern(&pattern_field, &pattern)?,
        RuleKind::Regex => {
            compile_regex(&pattern).map_err(|e| ApiError::invalid(&pattern_field, e))?;
        }
    }
    let network = match map.get("network") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) if Network::from_id(id).is_some() => Some(id.clone()),
        Some(other) => {
            let known: Vec<_> = Network::ALL.iter().map(|n| n.id()).collect();
            return Err(ApiError::invalid(
                format!("{field}.network"),
                format!("{other} is not one of {} (or null)", known.join(", ")),
            ));
        }
    };
    Ok(LinkRule {
        kind,
        pattern,
        network,
    })
}

fn field_str<'a>(map: &'a Map<String, Value>, field: &str, key: &str) -> Result<&'a str, ApiError> {
    map.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::invalid(format!("{field}.{key}"), "must be a string"))
}

pub fn compile_regex(pattern: &str) -> Result<regex::Regex, String> {
    if pattern.is_empty() {
        return Err("must not be empty".into());
    }
    regex::RegexBuilder::new(pattern)
        .size_limit(MAX_REGEX_BYTES)
        .build()
        .map_err(|e| format!("is not a valid regular expression: {e}"))
}

fn validate_host_pattern(field: &str, pattern: &str) -> Result<(), ApiError> {
    let (host, _path) = split_host_pattern(pattern);
    let host = host.strip_prefix("*.").unwrap_or(host);
    let valid_label = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if host.contains('.') && host.split('.').all(valid_label) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            field,
            format!(
                "{pattern:?} is not a host pattern such as example.com, *.example.com or example.com/go/"
            ),
        ))
    }
}

/// `example.com/aff/` → (`example.com`, `/aff/`); the scheme, if typed, is ignored.
pub fn split_host_pattern(pattern: &str) -> (&str, &str) {
    let rest = pattern
        .strip_prefix("https://")
        .or_else(|| pattern.strip_prefix("http://"))
        .unwrap_or(pattern);
    match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    }
}

fn parse_rates(value: &Value) -> Result<BTreeMap<String, Decimal>, ApiError> {
    let Value::Object(map) = value else {
        return Err(ApiError::invalid(
            "currency_rates",
            "must be an object such as {\"EUR\": \"1.08\"}",
        ));
    };
    map.iter()
        .map(|(code, rate)| {
            let field = format!("currency_rates.{code}");
            let code = validate_currency(&field, code)?;
            // Rates arrive as strings so no float ever touches them.
            let rate = rate
                .as_str()
                .ok_or_else(|| {
                    ApiError::invalid(&field, "must be a decimal string such as \"1.08\"")
                })
                .and_then(|s| {
                    Decimal::from_str_exact(s.trim()).map_err(|_| {
                        ApiError::invalid(&field, format!("{s:?} is not a decimal number"))
                    })
                })?;
            if rate <= Decimal::ZERO {
                return Err(ApiError::invalid(&field, "must be greater than zero"));
            }
            Ok((code, rate.normalize()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn settings() -> SiteSettings {
        SiteSettings::new("Blog", "https://blog.test", "usd").unwrap()
    }

    fn field_of(err: ApiError) -> String {
        match err {
            ApiError::InvalidField { field, .. } => field,
            other => panic!("expected an invalid field, got {other:?}"),
        }
    }

    #[test]
    fn new_settings_normalise_the_currency() {
        assert_eq!(settings().currency, "USD");
        assert_eq!(settings().click_detail_retention_days, 90);
        assert_eq!(
            field_of(SiteSettings::new("B", "https://b.test", "XXQ").unwrap_err()),
            "currency"
        );
        assert_eq!(
            field_of(SiteSettings::new("B", "ftp://b.test", "USD").unwrap_err()),
            "url"
        );
    }

    #[test]
    fn a_valid_patch_applies_every_field() {
        let mut s = settings();
        s.apply_patch(&json!({
            "time_zone": "Europe/Berlin",
            "tracking_base_url": "https://blog.test/",
            "rel_policy": "none",
            "exclude_bots": false,
            "link_rules": [
                {"kind": "host", "pattern": "*.trk.test", "network": "everflow"},
                {"kind": "regex", "pattern": "^https://x\\.test/go/", "network": null}
            ],
            "currency_rates": {"eur": "1.0800"},
            "click_detail_retention_days": 30
        }))
        .unwrap();
        assert_eq!(s.click_detail_retention_days, 30);
        assert_eq!(s.time_zone, "Europe/Berlin");
        assert_eq!(s.tracking_base_url.as_deref(), Some("https://blog.test"));
        assert_eq!(s.rel_policy, RelPolicy::None);
        assert_eq!(s.link_rules.len(), 2);
        assert_eq!(s.currency_rates["EUR"].to_string(), "1.08");
    }

    #[test]
    fn tracking_ids_keep_their_order() {
        let mut s = settings();
        s.apply_patch(&json!({
            "amazon_tracking_ids": [" blog-20", "blog_b-21", "x"],
            "amazon_tracking_assignment": "manual"
        }))
        .unwrap();
        assert_eq!(s.amazon_tracking_ids, ["blog-20", "blog_b-21", "x"]);
        assert_eq!(s.amazon_tracking_assignment, AmazonAssignment::Manual);
    }

    #[test]
    fn invalid_values_name_their_field() {
        let cases = [
            (json!({"time_zone": "Mars/Base"}), "time_zone"),
            (json!({"rel_policy": "maybe"}), "rel_policy"),
            (json!({"exclude_bots": "yes"}), "exclude_bots"),
            (json!({"colour": "red"}), "colour"),
            (
                json!({"link_rules": [{"kind": "regex", "pattern": "("}]}),
                "link_rules[0].pattern",
            ),
            (
                json!({"link_rules": [{"kind": "host", "pattern": "ok.test"}, {"kind": "host", "pattern": "not a host"}]}),
                "link_rules[1].pattern",
            ),
            (
                json!({"link_rules": [{"kind": "glob", "pattern": "x"}]}),
                "link_rules[0].kind",
            ),
            (
                json!({"link_rules": [{"kind": "host", "pattern": "a.test", "network": "ebay"}]}),
                "link_rules[0].network",
            ),
            (
                json!({"currency_rates": {"EUR": 1.08}}),
                "currency_rates.EUR",
            ),
            (
                json!({"currency_rates": {"EUR": "-1"}}),
                "currency_rates.EUR",
            ),
            (
                json!({"currency_rates": {"EURO": "1"}}),
                "currency_rates.EURO",
            ),
            (
                json!({"tracking_base_url": "https://t.test/?a=b"}),
                "tracking_base_url",
            ),
            (json!({"name": "Blog\0"}), "name"),
            (json!({"name": "Blog\u{7} name"}), "name"),
            (
                json!({"link_rules": [{"kind": "regex", "pattern": "^a\0"}]}),
                "link_rules[0].pattern",
            ),
            (
                json!({"link_rules": [{"kind": "host", "pattern": "a.test/p\0/"}]}),
                "link_rules[0].pattern",
            ),
            (
                json!({"click_detail_retention_days": 0}),
                "click_detail_retention_days",
            ),
            (
                json!({"click_detail_retention_days": 3651}),
                "click_detail_retention_days",
            ),
            (
                json!({"click_detail_retention_days": 30.5}),
                "click_detail_retention_days",
            ),
            (
                json!({"click_detail_retention_days": "30"}),
                "click_detail_retention_days",
            ),
            (
                json!({"click_detail_retention_days": -1}),
                "click_detail_retention_days",
            ),
            (
                json!({"amazon_tracking_ids": "a-20"}),
                "amazon_tracking_ids",
            ),
            (
                json!({"amazon_tracking_ids": ["a-20", "b 20"]}),
                "amazon_tracking_ids[1]",
            ),
            (
                json!({"amazon_tracking_ids": ["a-20", "A-20"]}),
                "amazon_tracking_ids[1]",
            ),
            (
                json!({"amazon_tracking_ids": [""]}),
                "amazon_tracking_ids[0]",
            ),
            (
                json!({"amazon_tracking_ids": ["x".repeat(65)]}),
                "amazon_tracking_ids[0]",
            ),
            (
                json!({"amazon_tracking_assignment": "random"}),
                "amazon_tracking_assignment",
            ),
        ];
        for (body, field) in cases {
            let mut s = settings();
            assert_eq!(field_of(s.apply_patch(&body).unwrap_err()), field, "{body}");
        }
    }

    #[test]
    fn a_failed_patch_is_reported_before_anything_is_saved() {
        // The handler saves only after the whole patch applied; a partial
        // application on the in-memory copy is discarded with it.
        let mut s = settings();
        assert!(
            s.apply_patch(&json!({"time_zone": "UTC", "currency": "NOPE"}))
                .is_err()
        );
    }

    #[test]
    fn huge_regexes_are_refused() {
        assert!(compile_regex(&"(a|b|c|d)".repeat(100_000)).is_err());
    }
}
