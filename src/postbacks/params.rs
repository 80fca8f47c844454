//! Postback parameters: read from a query string, a form body or a JSON body,
//! names case-insensitive, every alias of DESIGN.md mapped to one meaning.
//!
//! Reading is split in two so authentication can come first: `RawParams`
//! takes whatever was sent and never fails (a bad pair is remembered, not
//! thrown), and `RawParams::validate` then says what is wrong, naming the
//! parameter, only to a caller whose token was right.

use super::symbols::Symbol;
use crate::ids::SessionId;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// The longest text kept for any one value; longer is refused, not cut.
const MAX_VALUE_CHARS: usize = 200;
const MAX_PARAMS: usize = 100;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{parameter}: {message}")]
pub struct ParamError {
    pub parameter: String,
    pub message: String,
}

impl ParamError {
    /// `parameter` is a name as sent: it goes into the answer and the log
    /// row's message, so it is made storable (no NUL, bounded) like the
    /// log's copy of the request.
    fn new(parameter: impl Into<String>, message: impl Into<String>) -> Self {
        let parameter = parameter.into();
        Self {
            parameter: crate::text::storable(&parameter, MAX_VALUE_CHARS).into_owned(),
            message: message.into(),
        }
    }
}

/// What was sent: names (lower-cased, and as sent), values as text, in
/// arrival order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawParams {
    pairs: Vec<Pair>,
    /// Tokens sent after the first `MAX_PARAMS` pairs: not kept as pairs
    /// (nor logged), but still compared, so `token` never depends on where
    /// in the request the token was.
    late_token: LateToken,
    /// The first thing that could not be read at all.
    problem: Option<ParamError>,
}

#[derive(Clone, Debug, PartialEq)]
struct Pair {
    /// Lower-cased: what names are matched on, and the postback log's key.
    name: String,
    /// As sent (`Payout`), for an error to name the parameter the network
    /// sent, not one it did not.
    sent: String,
    value: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
enum LateToken {
    #[default]
    None,
    Same(String),
    Conflict,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Approved,
    Pending,
    Rejected,
    Reversed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::Pending => "pending",
            Self::Rejected => "rejected",
            Self::Reversed => "reversed",
        }
    }

    /// DESIGN.md's four, and the spellings networks send for them.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "approved" | "approve" | "confirmed" | "locked" | "paid" => Self::Approved,
            "pending" | "open" | "new" => Self::Pending,
            "rejected" | "declined" | "denied" => Self::Rejected,
            "reversed" | "reversal" | "refunded" | "refund" | "chargeback" | "cancelled"
            | "canceled" => Self::Reversed,
            _ => return None,
        })
    }
}

/// A postback that passed validation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PostbackParams {
    pub session_id: SessionId,
    /// `None`: absent. Never negative.
    pub amount: Option<Decimal>,
    pub transaction_id: Option<String>,
    /// ISO 4217, upper case.
    pub currency: Option<String>,
    /// '' when absent.
    pub event: String,
    pub status: Status,
    /// `test=1`: checks the set-up end to end, counts nothing.
    pub test: bool,
}

const SESSION_ID: &[&str] = &[
    "sessionid",
    "affrank_sid",
    "click_id",
    "clickid",
    "subid",
    "sub_id",
    "sid",
    "tid",
];
const AMOUNT: &[&str] = &["amount", "commission", "payout", "revenue"];
const TRANSACTION_ID: &[&str] = &["transaction_id", "txid", "order_id", "oid"];
const CURRENCY: &[&str] = &["currency"];
const EVENT: &[&str] = &["event"];
const STATUS: &[&str] = &["status"];
const TOKEN: &[&str] = &["token"];
const TEST: &[&str] = &["test"];

impl RawParams {
    /// Reads a query string (`a=1&b=2`, `+` as space, percent-escapes).
    pub fn from_query(query: &[u8]) -> Self {
        let mut params = Self::default();
        params.add_form(query, "query string");
        params
    }

    /// Adds a POST body: JSON when it says so or looks like it, else a form.
    pub fn add_body(&mut self, content_type: Option<&str>, body: &[u8]) {
        let body_is_json = content_type
            .map(|t| t.to_ascii_lowercase().contains("json"))
            .unwrap_or_else(|| body.trim_ascii_start().starts_with(b"{"));
        if body.trim_ascii().is_empty() {
            return;
        }
        if body_is_json {
            self.add_json(body);
        } else {
            self.add_form(body, "body");
        }
    }

    fn push(&mut self, sent: String, value: String) {
        let name = sent.to_lowercase();
        if self.pairs.len() >= MAX_PARAMS {
            self.fail(ParamError::new(
                "request",
                format!("more than {MAX_PARAMS} parameters"),
            ));
            if TOKEN.contains(&name.as_str()) {
                self.late_token = match std::mem::take(&mut self.late_token) {
                    LateToken::None => LateToken::Same(value),
                    LateToken::Same(seen) if seen == value => LateToken::Same(seen),
                    _ => LateToken::Conflict,
                };
            }
            return;
        }
        self.pairs.push(Pair { name, sent, value });
    }

    fn fail(&mut self, error: ParamError) {
        self.problem.get_or_insert(error);
    }

    fn add_form(&mut self, text: &[u8], whole: &str) {
        for pair in text.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
            let (name, value) = match pair.iter().position(|b| *b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &b""[..]),
            };
            let name = form_decode(name);
            let value = form_decode(value);
            match (name, value) {
                (Ok(name), Ok(value)) => self.push(name, value),
                (Ok(name), Err(())) => {
                    self.fail(ParamError::new(name.clone(), "not valid UTF-8"));
                    // Kept so a token can still be read, but never validated.
                    self.push(name, String::new());
                }
                (Err(()), _) => self.fail(ParamError::new(
                    whole,
                    "a parameter name is not valid UTF-8",
                )),
            }
        }
    }

    fn add_json(&mut self, body: &[u8]) {
        let object: JsonPairs = match serde_json::from_slice(body) {
            Ok(object) => object,
            Err(e) => {
                self.fail(ParamError::new(
                    "body",
                    format!("not a JSON object of parameters: {e}"),
                ));
                return;
            }
        };
        for (name, raw) in object.0 {
            let text = raw.get();
            // Numbers keep their exact digits: JSON's 12.10 is "12.10", never
            // a float that would print as 12.1 or 12.099999.
            let value = match serde_json::from_str::<serde_json::Value>(text) {
                Ok(serde_json::Value::String(s)) => s,
                Ok(serde_json::Value::Number(_)) => text.trim().to_owned(),
                Ok(serde_json::Value::Bool(b)) => b.to_string(),
                Ok(serde_json::Value::Null) => continue,
                _ => {
                    self.fail(ParamError::new(
                        name.clone(),
                        "must be a string, a number or a boolean",
                    ));
                    continue;
                }
            };
            self.push(name, value);
        }
    }

    /// The secret as sent, if exactly one was (sent once, or every time
    /// the same); `None` when two differ, wherever they are.
    pub fn token(&self) -> Option<&str> {
        let late = match &self.late_token {
            LateToken::None => None,
            LateToken::Same(value) => Some(value.as_str()),
            LateToken::Conflict => return None,
        };
        let mut tokens = self.values(TOKEN).map(|(_, value)| value).chain(late);
        let first = tokens.next()?;
        tokens.all(|other| other == first).then_some(first)
    }

    /// Every pair with the token masked, for the postback log: what was
    /// sent, as PostgreSQL can keep it (a NUL, which jsonb cannot hold, is
    /// shown as U+FFFD) and cut to twice the longest value accepted.
    pub fn for_log(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        for Pair { name, value, .. } in &self.pairs {
            let shown = if TOKEN.contains(&name.as_str()) {
                "***".to_owned()
            } else {
                crate::text::storable(value, MAX_VALUE_CHARS * 2).into_owned()
            };
            let name = crate::text::storable(name, MAX_VALUE_CHARS).into_owned();
            match map.get_mut(&name) {
                Some(serde_json::Value::Array(list)) => list.push(shown.into()),
                Some(first) => *first = serde_json::json!([first.take(), shown]),
                None => {
                    map.insert(name, shown.into());
                }
            }
        }
        serde_json::Value::Object(map)
    }

    /// Each pair of one meaning: its name as sent, and its value.
    fn values<'a>(&'a self, names: &'a [&str]) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.pairs
            .iter()
            .filter(move |pair| names.contains(&pair.name.as_str()))
            .map(|pair| (pair.sent.as_str(), pair.value.as_str()))
    }

    /// The one value of a meaning, trimmed; `None` when absent or empty.
    /// Two names (or one twice) with different values are refused: which
    /// one the network meant cannot be guessed.
    fn one<'a>(&'a self, names: &'a [&'a str]) -> Result<Option<(&'a str, &'a str)>, ParamError> {
        let mut found: Option<(&'a str, &'a str)> = None;
        for (name, value) in self.values(names) {
            let value = value.trim();
            if value.is_empty() && names != AMOUNT {
                continue;
            }
            match found {
                Some((first, seen)) if seen != value => {
                    return Err(ParamError::new(
                        name,
                        format!("conflicts with {first}={seen:?}: send one value"),
                    ));
                }
                Some(_) => {}
                None => found = Some((name, value)),
            }
        }
        if let Some((name, value)) = found
            && value.chars().count() > MAX_VALUE_CHARS
        {
            return Err(ParamError::new(
                name,
                format!("longer than {MAX_VALUE_CHARS} characters"),
            ));
        }
        Ok(found)
    }

    pub fn validate(&self) -> Result<PostbackParams, ParamError> {
        if let Some(problem) = &self.problem {
            return Err(problem.clone());
        }
        let (sid_name, session_id) = self.one(SESSION_ID)?.ok_or_else(|| {
            ParamError::new(
                "sessionId",
                "required (also accepted as affrank_sid, click_id, clickid, subid, sub_id, sid, tid)",
            )
        })?;
        check_not_macro(sid_name, session_id)?;
        let session_id = SessionId::parse(session_id).map_err(|e| {
            ParamError::new(
                sid_name,
                format!(
                    "a session id is letters and digits only, at most {} ({e})",
                    SessionId::MAX_LEN
                ),
            )
        })?;
        let amount = match self.one(AMOUNT)? {
            None => None,
            Some((name, text)) => {
                check_not_macro(name, text)?;
                let money = parse_money(text).map_err(|m| ParamError::new(name, m))?;
                Some((name, money))
            }
        };
        let transaction_id = match self.one(TRANSACTION_ID)? {
            None => None,
            Some((name, text)) => {
                check_not_macro(name, text)?;
                check_text(name, text)?;
                Some(text.to_owned())
            }
        };
        let currency = match self.one(CURRENCY)? {
            None => None,
            Some((name, text)) => {
                check_not_macro(name, text)?;
                if text.len() != 3 || !text.bytes().all(|b| b.is_ascii_alphabetic()) {
                    return Err(ParamError::new(
                        name,
                        "an ISO 4217 code of three letters, like USD or EUR",
                    ));
                }
                Some(text.to_ascii_uppercase())
            }
        };
        // A currency symbol before the amount names the currency: it fills
        // in an absent `currency` and must agree with a present one, so the
        // amount is never counted in a currency it was not sent in.
        let (amount, currency) = match amount {
            None => (None, currency),
            Some((_, (amount, None))) => (Some(amount), currency),
            Some((name, (amount, Some(symbol)))) => {
                let meant = symbol
                    .currency(currency.as_deref())
                    .map_err(|m| ParamError::new(name, m))?;
                (Some(amount), Some(meant.to_owned()))
            }
        };
        let event = match self.one(EVENT)? {
            None => String::new(),
            Some((name, text)) => {
                check_text(name, text)?;
                text.to_owned()
            }
        };
        let status = match self.one(STATUS)? {
            None => Status::Approved,
            Some((name, text)) => Status::parse(text).ok_or_else(|| {
                ParamError::new(name, "one of approved, pending, rejected, reversed")
            })?,
        };
        let test = match self.one(TEST)? {
            None => false,
            Some((name, text)) => match text.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" => true,
                "0" | "false" | "no" => false,
                _ => return Err(ParamError::new(name, "1 or 0")),
            },
        };
        Ok(PostbackParams {
            session_id,
            amount,
            transaction_id,
            currency,
            event,
            status,
            test,
        })
    }
}

/// A JSON object's members in order, repeats kept: a name sent twice must
/// meet the same "two values, which one?" rule as in a query string, not
/// have the last one win silently.
struct JsonPairs(Vec<(String, Box<serde_json::value::RawValue>)>);

impl<'de> Deserialize<'de> for JsonPairs {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> serde::de::Visitor<'de> for Members {
            type Value = JsonPairs;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<JsonPairs, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry()? {
                    pairs.push(pair);
                }
                Ok(JsonPairs(pairs))
            }
        }
        deserializer.deserialize_map(Members)
    }
}

/// `{SubId1}`, `!!commission!!`, `#price#`: the network did not fill its macro in.
fn check_not_macro(name: &str, value: &str) -> Result<(), ParamError> {
    let wrapped = |open: &str, close: &str| {
        value.len() > open.len() + close.len() && value.starts_with(open) && value.ends_with(close)
    };
    if wrapped("{", "}") || wrapped("!!", "!!") || wrapped("#", "#") || wrapped("[", "]") {
        return Err(ParamError::new(
            name,
            format!(
                "{value:?} is a macro the network did not fill in; check the postback URL in the network"
            ),
        ));
    }
    Ok(())
}

fn check_text(name: &str, value: &str) -> Result<(), ParamError> {
    crate::text::check(value, MAX_VALUE_CHARS).map_err(|e| ParamError::new(name, e.to_string()))
}

/// The amount alone; its currency symbol, if any, is `parse_money`'s.
pub fn parse_amount(text: &str) -> Result<Decimal, String> {
    parse_money(text).map(|(amount, _)| amount)
}

/// `12.50`, ` 12.50 `, `+12.50`, `$12.50`, `+$12.50`: yes, with the
/// currency symbol written before the digits (see `symbols`).
/// `12,50`, `1e3`, `NaN`, `-5`, ``: no, with the reason.
pub fn parse_money(text: &str) -> Result<(Decimal, Option<&'static Symbol>), String> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(
            "empty: send a decimal like 12.50, or leave the parameter out for a lead".into(),
        );
    }
    if rest.starts_with('-') {
        return Err("must not be negative: report a refund with status=reversed".into());
    }
    rest = rest.strip_prefix('+').unwrap_or(rest);
    let symbol = Symbol::at_start_of(rest);
    if let Some(symbol) = symbol {
        rest = rest[symbol.text.len()..].trim_start();
    }
    rest = rest.strip_prefix('+').unwrap_or(rest);
    let (whole, fraction) = match rest.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (rest, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !fraction.is_none_or(digits) {
        return Err(format!(
            "{text:?} is not a decimal amount: digits with a dot, like 12.50 (no comma, no exponent)"
        ));
    }
    if whole.trim_start_matches('0').len() > 15 || fraction.is_some_and(|f| f.len() > 10) {
        return Err("out of range: at most 15 digits before the dot and 10 after".into());
    }
    let amount = Decimal::from_str(rest).map_err(|e| format!("{text:?}: {e}"))?;
    Ok((amount, symbol))
}

/// `+` is a space and `%XX` a byte; the result must be UTF-8.
fn form_decode(bytes: &[u8]) -> Result<String, ()> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| ())
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn query(q: &str) -> Result<PostbackParams, ParamError> {
        RawParams::from_query(q.as_bytes()).validate()
    }

    #[test]
    fn amounts_networks_send_are_read_exactly() {
        for (text, expected) in [
            ("12.50", "12.50"),
            (" 12.50 ", "12.50"),
            ("+12.50", "12.50"),
            ("$12.50", "12.50"),
            ("+$12.50", "12.50"),
            ("€ 7", "7"),
            ("0", "0"),
            ("0.1", "0.1"),
            ("123456789012345.0123456789", "123456789012345.0123456789"),
        ] {
            assert_eq!(
                parse_amount(text).unwrap(),
                Decimal::from_str(expected).unwrap(),
                "{text}"
            );
        }
    }

    #[test]
    fn malformed_amounts_are_refused() {
        for text in [
            "12,50", "1e3", "NaN", "", "  ", "-5", "12.", ".5", "1.2.3", "$", "0x10", "inf", "１２",
        ] {
            assert!(parse_amount(text).is_err(), "{text:?} was accepted");
        }
    }

    #[test]
    fn every_alias_and_any_case_is_read() {
        for name in SESSION_ID {
            let p = query(&format!("{}=abc123&token=t", name.to_uppercase())).unwrap();
            assert_eq!(p.session_id.as_str(), "abc123");
        }
        for name in AMOUNT {
            let p = query(&format!("sid=a&{name}=3.20")).unwrap();
            assert_eq!(p.amount, Some(Decimal::from_str("3.20").unwrap()));
        }
        for name in TRANSACTION_ID {
            let p = query(&format!("sid=a&{name}=T-1")).unwrap();
            assert_eq!(p.transaction_id.as_deref(), Some("T-1"));
        }
        let p = query("SessionId=a&Currency=eur&EVENT=Sale&Status=PENDING").unwrap();
        assert_eq!(p.currency.as_deref(), Some("EUR"));
        assert_eq!(p.event, "Sale");
        assert_eq!(p.status, Status::Pending);
    }

    #[test]
    fn a_session_id_follows_the_one_rule_of_minted_ids() {
        let longest = "a".repeat(crate::ids::SessionId::MAX_LEN);
        assert_eq!(
            query(&format!("clickid={longest}"))
                .unwrap()
                .session_id
                .as_str(),
            longest
        );
        let minted = crate::ids::SessionId::mint();
        assert_eq!(
            query(&format!("tid={}", minted.as_str()))
                .unwrap()
                .session_id,
            minted
        );
        let e = query(&format!("clickid={longest}b")).unwrap_err();
        assert_eq!(e.parameter, "clickid");
        assert!(e.message.contains("at most 24"), "{}", e.message);
        assert_eq!(query("subid=a-b").unwrap_err().parameter, "subid");
    }

    #[test]
    fn errors_name_the_parameter() {
        let e = query("amount=1").unwrap_err();
        assert_eq!(e.parameter, "sessionId");
        assert_eq!(query("sid=a&payout=12,50").unwrap_err().parameter, "payout");
        assert_eq!(query("sid=a&amount=").unwrap_err().parameter, "amount");
        assert_eq!(
            query("sid=a&currency=EURO").unwrap_err().parameter,
            "currency"
        );
        assert_eq!(query("sid=a&status=maybe").unwrap_err().parameter, "status");
        assert_eq!(
            query("sid=a&amount=1&payout=2").unwrap_err().parameter,
            "payout"
        );
        assert_eq!(query("sid={SubId1}").unwrap_err().parameter, "sid");
        assert_eq!(
            query("sid=a&txid=!!transID!!").unwrap_err().parameter,
            "txid"
        );
        assert_eq!(query("sid=a'%3B--").unwrap_err().parameter, "sid");
        let bad = RawParams::from_query(b"sid=a&event=%FF%FE")
            .validate()
            .unwrap_err();
        assert_eq!(
            (bad.parameter.as_str(), bad.message.as_str()),
            ("event", "not valid UTF-8")
        );
    }

    #[test]
    fn errors_name_the_parameter_as_it_was_sent() {
        assert_eq!(query("sid=a&Payout=12,50").unwrap_err().parameter, "Payout");
        assert_eq!(query("SubID=a-b").unwrap_err().parameter, "SubID");
        assert_eq!(query("sid=a&Status=maybe").unwrap_err().parameter, "Status");
        let conflict = query("sid=a&Amount=1&PAYOUT=2").unwrap_err();
        assert_eq!(conflict.parameter, "PAYOUT");
        assert!(
            conflict.message.contains("Amount=\"1\""),
            "{}",
            conflict.message
        );
        let mut json = RawParams::default();
        json.add_body(Some("application/json"), br#"{"clickId":"a","Payout":[1]}"#);
        assert_eq!(json.validate().unwrap_err().parameter, "Payout");
        // The log keeps its lower-cased keys.
        assert!(
            RawParams::from_query(b"Payout=1")
                .for_log()
                .get("payout")
                .is_some()
        );
    }

    #[test]
    fn a_currency_symbol_names_the_currency_or_is_refused() {
        let p = query("sid=a&amount=€12.50").unwrap();
        assert_eq!(
            (p.amount.unwrap().to_string(), p.currency.as_deref()),
            ("12.50".into(), Some("EUR"))
        );
        for (q, currency) in [
            ("sid=a&payout=£3", "GBP"),
            ("sid=a&payout=$5", "USD"),
            ("sid=a&payout=¥100", "JPY"),
            ("sid=a&payout=$5&currency=cad", "CAD"),
            ("sid=a&payout=€5&currency=EUR", "EUR"),
            ("sid=a&payout=%2B%245", "USD"),
        ] {
            assert_eq!(query(q).unwrap().currency.as_deref(), Some(currency), "{q}");
        }
        for (q, parameter) in [
            ("sid=a&amount=€12.50&currency=USD", "amount"),
            ("sid=a&Commission=$5&currency=EUR", "Commission"),
            ("sid=a&payout=kr5", "payout"),
        ] {
            let e = query(q).unwrap_err();
            assert_eq!(e.parameter, parameter, "{q}: {e}");
        }
        // Without a symbol, the currency is what was sent (or none).
        assert_eq!(query("sid=a&amount=5").unwrap().currency, None);
        assert_eq!(
            query("sid=a&amount=5&currency=eur")
                .unwrap()
                .currency
                .as_deref(),
            Some("EUR")
        );
    }

    #[test]
    fn a_name_twice_in_json_is_refused_like_in_a_query() {
        let mut raw = RawParams::default();
        raw.add_body(Some("application/json"), br#"{"sid":"a","sid":"b"}"#);
        assert_eq!(raw.validate().unwrap_err().parameter, "sid");
        let mut same = RawParams::default();
        same.add_body(Some("application/json"), br#"{"sid":"a","SID":"a"}"#);
        assert_eq!(same.validate().unwrap().session_id.as_str(), "a");
    }

    #[test]
    fn json_numbers_keep_their_digits_and_forms_work() {
        let mut raw = RawParams::default();
        raw.add_body(
            Some("application/json"),
            br#"{"clickId":"abc","payout":12.10,"Token":"s"}"#,
        );
        let p = raw.validate().unwrap();
        assert_eq!(p.amount.unwrap().to_string(), "12.10");
        assert_eq!(raw.token(), Some("s"));
        let mut form = RawParams::from_query(b"token=s");
        form.add_body(
            Some("application/x-www-form-urlencoded"),
            b"sub_id=x1&commission=%2B%2412.50&event=Sale+Lead",
        );
        let p = form.validate().unwrap();
        assert_eq!(p.amount.unwrap().to_string(), "12.50");
        assert_eq!(p.event, "Sale Lead");
    }

    /// jsonb cannot hold a NUL: a request that carries one, in a name or a
    /// value, must still leave a log row (issue #18).
    #[test]
    fn the_logs_copy_holds_no_nul_and_no_endless_name() {
        let long = "n".repeat(1000);
        let raw = RawParams::from_query(format!("ev%00nt=a%00b&{long}=1&sid=%00").as_bytes());
        let log = raw.for_log();
        assert_eq!(log["ev\u{fffd}nt"], "a\u{fffd}b");
        assert_eq!(log["sid"], "\u{fffd}");
        assert!(
            log.as_object()
                .unwrap()
                .keys()
                .all(|k| k.chars().count() <= MAX_VALUE_CHARS)
        );
        assert!(!log.to_string().contains("\\u0000"));
        let bad = RawParams::from_query(b"%00=%FF").validate().unwrap_err();
        assert_eq!(bad.parameter, "\u{fffd}");
        let e = query("sid=a&event=sa%0D%0Ale").unwrap_err();
        assert_eq!(e.parameter, "event");
        assert!(e.message.contains("control character"), "{}", e.message);
    }

    #[test]
    fn the_token_is_masked_in_the_log_and_conflicting_tokens_are_none() {
        let raw = RawParams::from_query(b"sid=a&token=secret&TOKEN=secret");
        assert_eq!(raw.token(), Some("secret"));
        assert!(!raw.for_log().to_string().contains("secret"));
        assert_eq!(RawParams::from_query(b"token=a&token=b").token(), None);
    }

    /// Found by the fuzz target (fuzz/fuzz_targets/postback_params.rs): only
    /// the first two tokens were compared, so a third that differed was
    /// ignored, and the answer depended on the order of the pairs.
    #[test]
    fn a_conflicting_token_anywhere_is_none() {
        for q in [
            &b"token=a&token=a&token=b"[..],
            b"token=b&token=a&token=a",
            b"token=a&token=b&token=a",
            b"token=s&token=&token=%FF",
        ] {
            assert_eq!(
                RawParams::from_query(q).token(),
                None,
                "{}",
                String::from_utf8_lossy(q)
            );
        }
        assert_eq!(
            RawParams::from_query(b"token=a&Token=a&TOKEN=a").token(),
            Some("a")
        );
        let mut raw = RawParams::from_query(b"token=a&token=a");
        raw.add_body(Some("application/json"), br#"{"token":"b"}"#);
        assert_eq!(raw.token(), None);
    }

    /// Found by the fuzz target: pairs after the 100th were dropped before
    /// the token was looked for, so a right token there answered 401 (token
    /// missing) instead of 400 (too many parameters), and the same pairs in
    /// another order gave another token.
    #[test]
    fn a_token_after_the_parameter_limit_still_counts() {
        let filler: String = (0..MAX_PARAMS).map(|i| format!("p{i}=x&")).collect();
        let late = RawParams::from_query(format!("{filler}token=s").as_bytes());
        assert_eq!(late.token(), Some("s"));
        assert_eq!(late.validate().unwrap_err().parameter, "request");
        assert!(!late.for_log().to_string().contains("\"s\""));
        let early = RawParams::from_query(format!("token=s&{filler}").as_bytes());
        assert_eq!(early.token(), Some("s"));
        for q in [
            format!("token=s&{filler}token=t"),
            format!("{filler}token=s&token=t"),
            format!("{filler}token=s&Token=s&TOKEN=t"),
        ] {
            assert_eq!(RawParams::from_query(q.as_bytes()).token(), None, "{q}");
        }
        let same = format!("token=s&{filler}token=s&TOKEN=s");
        assert_eq!(RawParams::from_query(same.as_bytes()).token(), Some("s"));
    }

    proptest! {
        #[test]
        fn any_bytes_never_panic(query in proptest::collection::vec(any::<u8>(), 0..400),
                                 body in proptest::collection::vec(any::<u8>(), 0..400)) {
            let mut raw = RawParams::from_query(&query);
            raw.add_body(None, &body);
            let _ = raw.validate();
            let _ = raw.for_log();
        }

        #[test]
        fn decimal_strings_round_trip(whole in 0u64..10_000_000, cents in 0u32..100) {
            let text = format!("{whole}.{cents:02}");
            prop_assert_eq!(parse_amount(&text).unwrap().to_string(), text);
        }
    }
}
