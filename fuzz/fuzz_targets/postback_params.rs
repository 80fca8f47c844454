//! Fuzzes the postback parameter parser (`src/postbacks/params.rs`) the way
//! the handler drives it: `RawParams::from_query`, `add_body`, `token`,
//! `for_log`, `validate`, and `parse_amount` on its own.
//!
//! Input, split at the first two newlines (a missing part is empty):
//!
//! ```text
//! content type     (an empty line: no Content-Type header)
//! query string
//! body ...         (the rest, newlines and all)
//! ```
//!
//! so the seeds in `fuzz/corpus/postback_params/` read like the requests
//! networks send. Beyond "no panic", every input is held to invariants that
//! must hold whatever was sent; a broken one aborts with a message.

#![no_main]

use affrank::postbacks::params::{PostbackParams, RawParams, parse_amount};
use libfuzzer_sys::fuzz_target;
use rust_decimal::Decimal;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let (content_type_line, rest) = split_line(data);
    let (query, body) = split_line(rest);
    let content_type = (!content_type_line.is_empty())
        .then(|| String::from_utf8_lossy(content_type_line).into_owned());
    let content_type = content_type.as_deref();

    let read = || {
        let mut raw = RawParams::from_query(query);
        raw.add_body(content_type, body);
        raw
    };
    let raw = read();

    // Reading and validating are deterministic.
    assert_eq!(raw, read(), "reading the same request twice differs");
    let validated = raw.validate();
    assert_eq!(validated, raw.validate(), "validate is not deterministic");
    assert_eq!(
        validated,
        raw.clone().validate(),
        "validate differs on a clone"
    );
    assert_eq!(raw.token(), raw.token());

    check_log(&raw);

    // Order does not matter: the same pairs the other way round give the
    // same token and, when valid, the same parameters (a conflict is refused
    // whichever value comes first).
    let mut pieces: Vec<&[u8]> = query.split(|b| *b == b'&').collect();
    pieces.reverse();
    let mut reversed = RawParams::from_query(&pieces.join(&b'&'));
    reversed.add_body(content_type, body);
    assert_eq!(
        reversed.token(),
        raw.token(),
        "the token depends on the order of the pairs"
    );
    assert_eq!(
        reversed.validate().ok(),
        validated.clone().ok(),
        "validation depends on the order of the pairs"
    );

    // "A bad pair is remembered, not thrown": a body read as JSON that is not
    // a JSON object fails validation instead of being ignored.
    let body_is_json = content_type
        .map(|t| t.to_ascii_lowercase().contains("json"))
        .unwrap_or_else(|| body.trim_ascii_start().starts_with(b"{"));
    if body_is_json
        && !body.trim_ascii().is_empty()
        && serde_json::from_slice::<serde_json::Map<String, Value>>(body).is_err()
    {
        assert!(
            validated.is_err(),
            "a JSON body that is not an object was accepted: {validated:?}"
        );
    }

    match &validated {
        Ok(params) => check_params(params),
        Err(e) => assert!(!e.message.is_empty(), "an error without a message: {e:?}"),
    }

    // parse_amount on its own, on each line and each `name=value` value.
    for part in [content_type_line, query, body] {
        let text = String::from_utf8_lossy(part);
        check_amount(&text);
        for pair in text.split('&') {
            check_amount(pair.split_once('=').map_or(pair, |(_, value)| value));
        }
    }
});

fn split_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

/// The postback log never shows a token: whatever sent under the name
/// `token` (any case, any number of times) is logged as "***"; and it holds
/// nothing PostgreSQL cannot store.
fn check_log(raw: &RawParams) {
    let log = raw.for_log();
    assert_eq!(log, raw.for_log(), "for_log is not deterministic");
    let Value::Object(map) = &log else {
        panic!("for_log is not an object: {log}");
    };
    let mut logged = 0;
    for (name, value) in map {
        let shown: Vec<&Value> = match value {
            Value::Array(list) => {
                assert!(list.len() >= 2, "{name}: an array of fewer than two values");
                list.iter().collect()
            }
            one => vec![one],
        };
        logged += shown.len();
        for v in shown {
            let Value::String(s) = v else {
                panic!("{name}: a logged value that is not a string: {v}");
            };
            // PostgreSQL's jsonb cannot hold a NUL: the log row would be
            // refused, with or without a token (issue #18).
            assert!(
                !s.contains('\0') && !name.contains('\0'),
                "{name:?}: a NUL in the log"
            );
            assert!(
                s.chars().count() <= 400,
                "{name}: a logged value over 400 characters"
            );
            if name == "token" {
                assert_eq!(s, "***", "the token is logged unmasked");
            }
        }
    }
    // Pairs after the 100th are not kept (nor logged); below that, a token
    // that was read shows in the log, masked.
    if raw.token().is_some() && logged < 100 {
        assert!(
            map.contains_key("token"),
            "a token was read but is not in the log (masked)"
        );
    }
}

fn check_params(p: &PostbackParams) {
    let sid = p.session_id.as_str();
    assert!(
        !sid.is_empty() && sid.len() <= 24 && sid.bytes().all(|b| b.is_ascii_alphanumeric()),
        "session id {sid:?} is not 1 to 24 ASCII letters and digits"
    );
    if let Some(amount) = p.amount {
        check_valid_amount(amount);
    }
    if let Some(currency) = &p.currency {
        assert!(
            currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase()),
            "currency {currency:?} is not three upper-case letters"
        );
    }
    if let Some(tx) = &p.transaction_id {
        assert!(!tx.is_empty(), "an empty transaction id");
        check_text(tx);
    }
    check_text(&p.event);

    // What was accepted, sent again in a canonical form, means the same:
    // as a query string, and as a JSON body.
    let mut query = format!("sessionId={}", encode(sid));
    let mut json = serde_json::Map::new();
    json.insert("sessionId".into(), sid.into());
    let mut json_amount = None;
    if let Some(amount) = p.amount {
        query += &format!("&amount={amount}");
        json_amount = Some(amount.to_string());
    }
    if let Some(tx) = &p.transaction_id {
        query += &format!("&transaction_id={}", encode(tx));
        json.insert("transaction_id".into(), tx.as_str().into());
    }
    if let Some(currency) = &p.currency {
        query += &format!("&currency={currency}");
        json.insert("currency".into(), currency.as_str().into());
    }
    if !p.event.is_empty() {
        query += &format!("&event={}", encode(&p.event));
        json.insert("event".into(), p.event.as_str().into());
    }
    query += &format!("&status={}&test={}", p.status.as_str(), u8::from(p.test));
    json.insert("status".into(), p.status.as_str().into());
    json.insert("test".into(), p.test.into());

    let again = RawParams::from_query(query.as_bytes()).validate();
    assert_eq!(again.as_ref(), Ok(p), "re-sent as {query:?}");
    assert_eq!(amount_text(&again), p.amount.map(|a| a.to_string()));

    // The amount as a bare JSON number, to check that its digits are kept.
    let mut body = Value::Object(json).to_string();
    if let Some(amount) = json_amount {
        body = format!("{{\"amount\":{amount},{}", &body[1..]);
    }
    let mut raw = RawParams::default();
    raw.add_body(None, body.as_bytes());
    let again = raw.validate();
    assert_eq!(again.as_ref(), Ok(p), "re-sent as the JSON body {body}");
    assert_eq!(amount_text(&again), p.amount.map(|a| a.to_string()));
}

fn amount_text(p: &Result<PostbackParams, impl std::fmt::Debug>) -> Option<String> {
    p.as_ref().ok()?.amount.map(|a| a.to_string())
}

/// Free text that was accepted: trimmed, no control characters, at most 200.
fn check_text(text: &str) {
    assert_eq!(text, text.trim(), "{text:?} was not trimmed");
    assert!(
        !text.chars().any(char::is_control),
        "{text:?} has control characters"
    );
    assert!(
        text.chars().count() <= 200,
        "{text:?} is over 200 characters"
    );
}

/// Anything parse_amount accepts is a non-negative decimal, at most 10
/// places, whose digits are the ones sent (never through a float), and
/// which reads back as itself.
fn check_amount(text: &str) {
    if let Ok(amount) = parse_amount(text) {
        check_valid_amount(amount);
        let shown = amount.to_string();
        assert!(
            text.contains(&shown),
            "{text:?} was read as {shown}, digits that were not sent"
        );
    }
}

fn check_valid_amount(amount: Decimal) {
    assert!(
        amount >= Decimal::ZERO && !amount.is_sign_negative(),
        "a negative amount: {amount}"
    );
    assert!(amount.scale() <= 10, "{amount} has more than 10 places");
    let shown = amount.to_string();
    match parse_amount(&shown) {
        Ok(again) => assert!(
            again == amount && again.to_string() == shown,
            "{shown} reads back as {again}"
        ),
        Err(e) => panic!("{shown} does not read back: {e}"),
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out += &format!("%{b:02X}");
        }
    }
    out
}
