//! The conversion ledger as the blogger sees it: every conversion, whatever
//! brought it (`conversions.source`), listed; conversions typed in by hand
//! (source `manual`) created and edited; any conversion's status changed by
//! hand. Page credit for conversions no click claims is the database's
//! (migration 0014's trigger), so a manual conversion with a `page_url` is
//! credited like an Amazon report row with a tracking id.

pub mod sql;

use crate::error::ApiError;
use crate::ids::SessionId;
use crate::networks::Network;
use crate::sites::Site;
use crate::sites::model::validate_currency;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use std::str::FromStr;

pub const SOURCES: [&str; 5] = ["postback", "import", "api", "clickbank_ins", "manual"];
pub const STATUSES: [&str; 4] = ["approved", "pending", "rejected", "reversed"];
pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;
pub const MAX_OFFSET: i64 = 1_000_000;
const MAX_TEXT_CHARS: usize = 200;
const MAX_NOTE_CHARS: usize = 1000;
const MAX_PAGE_URL_BYTES: usize = 2048;

/// `GET /api/v1/conversions` filters and page.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListQuery {
    pub source: Option<String>,
    pub network: Option<String>,
    pub status: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

impl ListQuery {
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, ApiError> {
        let mut q = Self {
            limit: DEFAULT_LIMIT,
            ..Self::default()
        };
        let mut seen: Vec<&str> = Vec::new();
        for (name, value) in pairs {
            if seen.contains(&name.as_str()) {
                return Err(ApiError::invalid(name, "is given more than once"));
            }
            seen.push(name);
            match name.as_str() {
                "source" => q.source = Some(one_of(name, value, &SOURCES)?),
                "status" => q.status = Some(one_of(name, value, &STATUSES)?),
                "network" => q.network = Some(network(name, value)?),
                "limit" => q.limit = integer(name, value, 1, MAX_LIMIT)?,
                "offset" => q.offset = integer(name, value, 0, MAX_OFFSET)?,
                _ => {
                    return Err(ApiError::invalid(
                        name,
                        "is not a parameter of this endpoint (source, network, status, limit, offset)",
                    ));
                }
            }
        }
        Ok(q)
    }
}

fn one_of(name: &str, value: &str, allowed: &[&str]) -> Result<String, ApiError> {
    allowed
        .iter()
        .find(|a| **a == value)
        .map(|a| (*a).to_owned())
        .ok_or_else(|| ApiError::invalid(name, format!("must be one of {}", allowed.join(", "))))
}

fn integer(name: &str, value: &str, min: i64, max: i64) -> Result<i64, ApiError> {
    value
        .parse::<i64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| ApiError::invalid(name, format!("must be an integer from {min} to {max}")))
}

/// A network id: one of DESIGN.md's, or the blogger's own name for a
/// program we have no preset for (lower-case letters, digits, `_`, `-`).
pub fn network(name: &str, value: &str) -> Result<String, ApiError> {
    let v = value.trim().to_ascii_lowercase();
    if Network::from_id(&v).is_some()
        || (!v.is_empty()
            && v.len() <= 40
            && v
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'))
    {
        Ok(v)
    } else {
        Err(ApiError::invalid(
            name,
            "must be a network id such as amazon or cj (1 to 40 letters, digits, _ or -)",
        ))
    }
}

/// `YYYY-MM-DD` exactly.
fn date(name: &str, value: &Value) -> Result<NaiveDate, ApiError> {
    let text = string(name, value)?;
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    shaped
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| ApiError::invalid(name, format!("{text:?} is not a date (YYYY-MM-DD)")))
}

fn string<'a>(name: &str, value: &'a Value) -> Result<&'a str, ApiError> {
    value
        .as_str()
        .ok_or_else(|| ApiError::invalid(name, "must be a string"))
}

fn text(name: &str, value: &Value, max_chars: usize) -> Result<String, ApiError> {
    let t = string(name, value)?.trim();
    if t.is_empty() {
        return Err(ApiError::invalid(name, "must not be empty"));
    }
    crate::text::check(t, max_chars).map_err(|e| ApiError::invalid(name, e.to_string()))?;
    Ok(t.to_owned())
}

/// An amount as a decimal string (`"12.50"`; a JSON number could have
/// passed through a float), 0 or more.
fn amount(name: &str, value: &Value) -> Result<Decimal, ApiError> {
    let Value::String(t) = value else {
        return Err(ApiError::invalid(
            name,
            "must be a decimal string such as \"12.50\"",
        ));
    };
    crate::postbacks::params::parse_amount(t).map_err(|e| ApiError::invalid(name, e))
}

fn page_url(name: &str, value: &Value) -> Result<String, ApiError> {
    let t = string(name, value)?.trim();
    let url = url::Url::parse(t).map_err(|e| ApiError::invalid(name, format!("is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ApiError::invalid(name, "must be an http or https URL"));
    }
    if t.len() > MAX_PAGE_URL_BYTES {
        return Err(ApiError::invalid(
            name,
            format!("is longer than {MAX_PAGE_URL_BYTES} bytes"),
        ));
    }
    crate::text::check(t, MAX_PAGE_URL_BYTES).map_err(|e| ApiError::invalid(name, e.to_string()))?;
    // Stored as typed: it must equal the page URL the rewrite registered
    // (the plugin's permalink) to meet that page's rows.
    Ok(t.to_owned())
}

/// The moment a conversion dated `day` (the site's local day) is recorded
/// at: noon there, so the reports count it on that day whatever the zone.
pub fn moment_of(site: &Site, day: NaiveDate) -> DateTime<Utc> {
    let zone = chrono_tz::Tz::from_str(&site.settings.time_zone).unwrap_or(chrono_tz::UTC);
    let noon = day.and_time(NaiveTime::from_hms_opt(12, 0, 0).expect("noon"));
    zone.from_local_datetime(&noon)
        .earliest()
        .unwrap_or_else(|| Utc.from_utc_datetime(&noon).with_timezone(&zone))
        .with_timezone(&Utc)
}

/// The amount in the site's currency with the site's rates, as postbacks
/// convert it; `None` when the site has no rate for `currency`.
pub fn to_site_currency(site: &Site, amount: Decimal, currency: &str) -> Option<Decimal> {
    if currency == site.settings.currency {
        Some(amount)
    } else {
        site.settings
            .currency_rates
            .get(currency)
            .map(|rate| (amount * rate).normalize())
    }
}

/// A `POST /api/v1/conversions` body, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct NewManual {
    pub network: String,
    pub received_at: DateTime<Utc>,
    pub amount: Decimal,
    pub currency: String,
    pub amount_site: Option<Decimal>,
    pub status: String,
    pub session_id: Option<SessionId>,
    pub page_url: Option<String>,
    pub transaction_id: Option<String>,
    pub product: Option<String>,
    pub note: Option<String>,
}

fn object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::BadRequest(
            "the body must be a JSON object".into(),
        )),
        Err(e) => Err(ApiError::BadRequest(format!(
            "the body is not valid JSON: {e}"
        ))),
    }
}

/// Absent and `null` alike: the field was not given.
fn given<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    map.get(name).filter(|v| !v.is_null())
}

impl NewManual {
    pub fn parse(site: &Site, body: &[u8]) -> Result<Self, ApiError> {
        const FIELDS: [&str; 10] = [
            "network",
            "date",
            "amount",
            "currency",
            "status",
            "session_id",
            "page_url",
            "transaction_id",
            "product",
            "note",
        ];
        let map = object(body)?;
        if let Some(key) = map.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(ApiError::invalid(
                key,
                format!("is not a field of a conversion ({})", FIELDS.join(", ")),
            ));
        }
        let required = |name: &str| {
            given(&map, name).ok_or_else(|| ApiError::invalid(name, "is required"))
        };
        let network = network("network", string("network", required("network")?)?)?;
        let day = date("date", required("date")?)?;
        let amount = amount("amount", required("amount")?)?;
        let currency = match given(&map, "currency") {
            Some(v) => validate_currency("currency", string("currency", v)?)?,
            None => site.settings.currency.clone(),
        };
        let status = match given(&map, "status") {
            Some(v) => one_of("status", string("status", v)?, &STATUSES)?,
            None => "approved".to_owned(),
        };
        let session_id = given(&map, "session_id")
            .map(|v| {
                SessionId::parse(string("session_id", v)?.trim())
                    .map_err(|e| ApiError::invalid("session_id", e))
            })
            .transpose()?;
        let page_url = given(&map, "page_url")
            .map(|v| page_url("page_url", v))
            .transpose()?;
        let opt_text = |name: &str, max: usize| {
            given(&map, name).map(|v| text(name, v, max)).transpose()
        };
        Ok(Self {
            amount_site: to_site_currency(site, amount, &currency),
            received_at: moment_of(site, day),
            transaction_id: opt_text("transaction_id", MAX_TEXT_CHARS)?,
            product: opt_text("product", MAX_TEXT_CHARS)?,
            note: opt_text("note", MAX_NOTE_CHARS)?,
            network,
            amount,
            currency,
            status,
            session_id,
            page_url,
        })
    }
}

/// A `PUT /api/v1/conversions/{id}` body: any subset of the fields. `None`
/// for a field not given; `page_url: Some(None)` takes the page credit off.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Edit {
    pub amount: Option<Decimal>,
    pub currency: Option<String>,
    pub status: Option<String>,
    pub day: Option<NaiveDate>,
    pub page_url: Option<Option<String>>,
}

impl Edit {
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let map = object(body)?;
        let mut edit = Self::default();
        for (name, value) in &map {
            match name.as_str() {
                "amount" => edit.amount = Some(amount(name, value)?),
                "currency" => {
                    edit.currency = Some(validate_currency(name, string(name, value)?)?)
                }
                "status" => edit.status = Some(one_of(name, string(name, value)?, &STATUSES)?),
                "date" => edit.day = Some(date(name, value)?),
                "page_url" => {
                    edit.page_url = Some(match value {
                        Value::Null => None,
                        v => Some(page_url(name, v)?),
                    })
                }
                _ => {
                    return Err(ApiError::invalid(
                        name,
                        "is not a field that can be changed (amount, currency, status, date, page_url)",
                    ));
                }
            }
        }
        if map.is_empty() {
            return Err(ApiError::BadRequest(
                "nothing to change: send any of amount, currency, status, date, page_url".into(),
            ));
        }
        Ok(edit)
    }

    /// The field, if any, that only a manual conversion's edit may carry.
    pub fn manual_only_field(&self) -> Option<&'static str> {
        if self.amount.is_some() {
            Some("amount")
        } else if self.currency.is_some() {
            Some("currency")
        } else if self.day.is_some() {
            Some("date")
        } else if self.page_url.is_some() {
            Some("page_url")
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sites::SiteSettings;
    use serde_json::json;

    fn site() -> Site {
        let mut settings = SiteSettings::new("B", "https://b.test", "USD").unwrap();
        settings.time_zone = "America/New_York".into();
        settings
            .currency_rates
            .insert("EUR".into(), Decimal::from_str("1.10").unwrap());
        Site {
            id: crate::ids::SiteId::mint(),
            postback_secret: String::new(),
            previous_secret: None,
            settings_version: 1,
            settings,
        }
    }

    fn field_of(err: ApiError) -> String {
        match err {
            ApiError::InvalidField { field, .. } => field,
            other => panic!("expected an invalid field, got {other:?}"),
        }
    }

    #[test]
    fn a_manual_conversion_is_converted_and_dated_in_the_sites_zone() {
        let body = json!({"network": "CJ", "date": "2026-03-05", "amount": "10.00", "currency": "eur"});
        let m = NewManual::parse(&site(), body.to_string().as_bytes()).unwrap();
        assert_eq!(m.network, "cj");
        assert_eq!(m.currency, "EUR");
        assert_eq!(m.amount_site, Some(Decimal::from_str("11").unwrap()));
        assert_eq!(m.status, "approved");
        assert_eq!(m.received_at.to_rfc3339(), "2026-03-05T17:00:00+00:00");
    }

    #[test]
    fn bad_fields_are_named() {
        let cases = [
            (json!({"date": "2026-03-05", "amount": "1"}), "network"),
            (json!({"network": "cj", "amount": "1"}), "date"),
            (json!({"network": "cj", "date": "2026-3-5", "amount": "1"}), "date"),
            (json!({"network": "cj", "date": "2026-03-05"}), "amount"),
            (json!({"network": "cj", "date": "2026-03-05", "amount": 1.5}), "amount"),
            (json!({"network": "cj", "date": "2026-03-05", "amount": "-1"}), "amount"),
            (json!({"network": "c j", "date": "2026-03-05", "amount": "1"}), "network"),
            (json!({"network": "cj", "date": "2026-03-05", "amount": "1", "currency": "EURO"}), "currency"),
            (json!({"network": "cj", "date": "2026-03-05", "amount": "1", "status": "paid?"}), "status"),
            (json!({"network": "cj", "date": "2026-03-05", "amount": "1", "session_id": "a-b"}), "session_id"),
            (json!({"network": "cj", "date": "2026-03-05", "amount": "1", "page_url": "/p"}), "page_url"),
            (json!({"network": "cj", "date": "2026-03-05", "amount": "1", "colour": "red"}), "colour"),
            (json!({"network": "cj", "date": "2026-03-05", "amount": "1", "transaction_id": ""}), "transaction_id"),
        ];
        for (body, field) in cases {
            let err = NewManual::parse(&site(), body.to_string().as_bytes()).unwrap_err();
            assert_eq!(field_of(err), field, "{body}");
        }
    }

    #[test]
    fn an_edit_takes_any_subset() {
        let e = Edit::parse(br#"{"status": "reversed"}"#).unwrap();
        assert_eq!(e.status.as_deref(), Some("reversed"));
        assert_eq!(e.manual_only_field(), None);
        let e = Edit::parse(br#"{"page_url": null, "amount": "3"}"#).unwrap();
        assert_eq!(e.page_url, Some(None));
        assert_eq!(e.manual_only_field(), Some("amount"));
        assert_eq!(field_of(Edit::parse(br#"{"network": "cj"}"#).unwrap_err()), "network");
        assert!(Edit::parse(b"{}").is_err());
    }
}
