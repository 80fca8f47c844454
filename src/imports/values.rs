//! Cell values as the networks' exports write them: money, dates, the
//! session id / label split. docs/import-formats.md, "Common rules".

use crate::ids::SessionId;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};
use rust_decimal::Decimal;
use std::str::FromStr;

/// How a file writes its numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoneyStyle {
    /// `1,234.56`
    Point,
    /// `1.234,56`
    Comma,
}

/// The amount as the file states it: symbols and spaces dropped, the
/// thousands separator removed, `(12.50)` and `-12.50` negative. Exact
/// decimal; the digits the file gives are kept (`0.90` stays `0.90`).
pub fn money(raw: &str, style: MoneyStyle, column: &str) -> Result<Decimal, String> {
    let mut s: String = raw.trim().replace('\u{a0}', " ");
    if s.is_empty() {
        return Err(format!("missing amount in {column}"));
    }
    let not_a_number = || format!("amount '{}' in {column} is not a number", raw.trim());
    let mut negative = false;
    if s.starts_with('(') && s.ends_with(')') && s.len() >= 2 {
        negative = true;
        s = s[1..s.len() - 1].to_owned();
    }
    let mut s: String = s
        .chars()
        .filter(|c| !matches!(c, '$' | '€' | '£' | ' '))
        .collect();
    if let Some(rest) = s.strip_prefix('-') {
        negative = !negative;
        s = rest.to_owned();
    }
    let (decimal, thousands) = match style {
        MoneyStyle::Point => ('.', ','),
        MoneyStyle::Comma => (',', '.'),
    };
    let (whole, fraction) = match s.split_once(decimal) {
        Some((w, f)) => (w, Some(f)),
        None => (s.as_str(), None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let whole_ok = digits(whole) || {
        // `1,234,567`: a group of 1-3 digits, then groups of exactly 3.
        let mut groups = whole.split(thousands);
        let first = groups.next().unwrap_or("");
        let rest: Vec<&str> = groups.collect();
        !rest.is_empty()
            && digits(first)
            && first.len() <= 3
            && rest.iter().all(|g| g.len() == 3 && digits(g))
    };
    if !whole_ok || fraction.is_some_and(|f| !digits(f)) {
        return Err(not_a_number());
    }
    let mut text: String = whole.chars().filter(|c| *c != thousands).collect();
    if let Some(f) = fraction {
        text.push('.');
        text.push_str(f);
    }
    let value = Decimal::from_str(&text).map_err(|_| not_a_number())?;
    Ok(if negative { -value } else { value })
}

/// A point in time as precise as the file gives it.
#[derive(Clone, Debug, PartialEq)]
pub enum When {
    /// A day: reported on that day in the site's time zone.
    Day(NaiveDate),
    /// A date and time with no zone: the preset's zone, else the site's.
    Local(NaiveDateTime),
    /// A date and time with its offset; `text` is the ISO form shown.
    Fixed(DateTime<FixedOffset>, String),
}

impl When {
    /// ISO 8601 text, as precise as the file.
    pub fn text(&self) -> String {
        match self {
            Self::Day(d) => d.format("%Y-%m-%d").to_string(),
            Self::Local(t) => t.format("%Y-%m-%dT%H:%M:%S").to_string(),
            Self::Fixed(_, text) => text.clone(),
        }
    }

    /// The instant, a zone-less value read in `zone`.
    pub fn instant(&self, zone: chrono_tz::Tz) -> DateTime<chrono::Utc> {
        let local = match self {
            Self::Fixed(t, _) => return t.to_utc(),
            Self::Day(d) => d.and_hms_opt(0, 0, 0).expect("midnight exists"),
            Self::Local(t) => *t,
        };
        // A time skipped by a DST change reads as the hour after it.
        zone.from_local_datetime(&local)
            .earliest()
            .or_else(|| zone.from_local_datetime(&(local + chrono::Duration::hours(1))).earliest())
            .map(|t| t.to_utc())
            .unwrap_or_else(|| local.and_utc())
    }
}

/// US zone abbreviations some exports append (CJ's members site).
const ZONES: [(&str, i32); 8] = [
    ("PST", -8),
    ("PDT", -7),
    ("MST", -7),
    ("MDT", -6),
    ("CST", -6),
    ("CDT", -5),
    ("EST", -5),
    ("EDT", -4),
];

/// A date in one of `formats` (strftime; the first that parses wins). A
/// format containing `%z` takes an RFC 3339 value (`Z` or `±hh:mm`). ISO
/// 8601 (`2024-01-05`, `2024-01-05T14:05:09`, with or without offset) is
/// always accepted too: that is how an XLSX date cell is read.
pub fn date(raw: &str, formats: &[&str]) -> Result<When, String> {
    let s = raw.trim();
    let invalid = || format!("date '{s}' is not a valid date");
    let (body, offset) = match s.rsplit_once(' ') {
        Some((body, zone)) => match ZONES.iter().find(|(name, _)| *name == zone) {
            Some((_, hours)) => (body, FixedOffset::east_opt(hours * 3600)),
            None => (s, None),
        },
        None => (s, None),
    };
    for format in formats.iter().copied().chain(ISO) {
        if format.contains("%z") {
            if let Ok(t) = DateTime::parse_from_rfc3339(&body.replacen(' ', "T", 1)) {
                return Ok(When::Fixed(t, body.replacen(' ', "T", 1)));
            }
            continue;
        }
        if format.contains("%H") || format.contains("%I") {
            if let Ok(t) = NaiveDateTime::parse_from_str(body, format) {
                return Ok(match offset {
                    Some(o) => {
                        let fixed = o.from_local_datetime(&t).single().ok_or_else(invalid)?;
                        let text = fixed.format("%Y-%m-%dT%H:%M:%S%:z").to_string();
                        When::Fixed(fixed, text)
                    }
                    None => When::Local(t),
                });
            }
        } else if let Ok(d) = NaiveDate::parse_from_str(body, format) {
            return Ok(When::Day(d));
        }
    }
    Err(invalid())
}

const ISO: [&str; 4] = ["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"];

/// A sub-id cell: a session id when it can be one (1–24 ASCII letters and
/// digits), else a label; empty gives neither.
pub fn session_or_label(raw: &str) -> (Option<String>, Option<String>) {
    let value = raw.trim();
    if value.is_empty() {
        (None, None)
    } else if SessionId::parse(value).is_ok() {
        (Some(value.to_owned()), None)
    } else {
        (None, Some(value.to_owned()))
    }
}

/// A text cell, trimmed; `None` when empty.
pub fn text(raw: &str) -> Option<String> {
    let t = raw.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(raw: &str, style: MoneyStyle) -> Result<String, String> {
        money(raw, style, "x").map(|d| d.to_string())
    }

    #[test]
    fn money_as_exports_write_it() {
        assert_eq!(m("$1,234.56", MoneyStyle::Point).unwrap(), "1234.56");
        assert_eq!(m("($51.83)", MoneyStyle::Point).unwrap(), "-51.83");
        assert_eq!(m("-$24.50", MoneyStyle::Point).unwrap(), "-24.50");
        assert_eq!(m("(12.50)", MoneyStyle::Point).unwrap(), "-12.50");
        assert_eq!(m("0.90", MoneyStyle::Point).unwrap(), "0.90");
        assert_eq!(m("7.781", MoneyStyle::Point).unwrap(), "7.781");
        assert_eq!(m("1.234,56 €", MoneyStyle::Comma).unwrap(), "1234.56");
        assert_eq!(m("1,50\u{a0}€", MoneyStyle::Comma).unwrap(), "1.50");
        assert_eq!(m("12,345.67", MoneyStyle::Point).unwrap(), "12345.67");
        for bad in ["n/a", "", "—", "1,23.4", "1.2.3", "abc", "--1", "12a", "k. A.", "1e5"] {
            assert!(m(bad, MoneyStyle::Point).is_err(), "{bad}");
        }
        assert!(m("1.234,56", MoneyStyle::Point).is_err());
    }

    #[test]
    fn dates_keep_their_precision_and_offset() {
        let d = date("03-Feb-2024 10:22 PST", &["%d-%b-%Y %H:%M"]).unwrap();
        assert_eq!(d.text(), "2024-02-03T10:22:00-08:00");
        let d = date("2024-02-03T18:22:41Z", &["%Y-%m-%dT%H:%M:%S%z"]).unwrap();
        assert_eq!(d.text(), "2024-02-03T18:22:41Z");
        assert_eq!(date("1/3/2024", &["%m/%d/%Y"]).unwrap().text(), "2024-01-03");
        assert!(date("2/30/2024", &["%m/%d/%Y"]).is_err());
        assert!(date("yesterday", &["%Y-%m-%dT%H:%M:%S%z"]).is_err());
        assert_eq!(
            date("2024-01-03 00:00:00", &["%Y-%m-%d %H:%M:%S"]).unwrap().text(),
            "2024-01-03T00:00:00"
        );
    }

    #[test]
    fn sub_ids_split_into_sessions_and_labels() {
        assert_eq!(session_or_label(" sidebar ").0.as_deref(), Some("sidebar"));
        assert_eq!(session_or_label("summer-sale").1.as_deref(), Some("summer-sale"));
        assert_eq!(session_or_label("Qw2Er4Ty6Ui8Op0As2Df4Gh7J").1.as_deref(), Some("Qw2Er4Ty6Ui8Op0As2Df4Gh7J"));
        assert_eq!(session_or_label(""), (None, None));
    }
}
