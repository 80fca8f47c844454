//! Postback parameters through the real server: a currency symbol is the
//! amount's currency, never silently the site's; a refusal names the
//! parameter as the network sent it.

use crate::helpers::app::{TestApp, spawn_app};
use crate::helpers::http::send_postback;
use serde_json::{Value, json};

#[tokio::test]
async fn a_currency_symbol_is_the_amounts_currency_never_the_sites() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    app.update_site(&site, json!({"currency_rates": {"EUR": "1.10"}}))
        .await;
    let t = &site.secret;

    // (query, currency stored, amount_site): the site counts in USD, with a rate for EUR only.
    let accepted = [
        ("sid=A&amount=%E2%82%AC12.50&oid=1", "EUR", Some("13.75")),
        ("sid=B&payout=%C2%A33&oid=2", "GBP", None),
        ("sid=C&amount=%245&oid=3", "USD", Some("5")),
        ("sid=D&amount=%245&currency=cad&oid=4", "CAD", None),
        ("sid=E&amount=%C2%A5100&oid=5", "JPY", None),
        ("sid=F&amount=US%245&currency=USD&oid=6", "USD", Some("5")),
    ];
    for (query, currency, amount_site) in accepted {
        let (status, body) = app.postback(&site.id, &format!("{query}&token={t}")).await;
        assert_eq!(status, 200, "{query}: {body}");
        let oid = query.rsplit('=').next().unwrap();
        let row = app
            .pool
            .get()
            .await
            .unwrap()
            .query_one(
                "SELECT currency, amount_site::text, unconverted FROM conversions \
                 WHERE site_id = $1 AND transaction_id = $2",
                &[&site.id, &oid],
            )
            .await
            .unwrap();
        let stored: (String, Option<String>, bool) = (row.get(0), row.get(1), row.get(2));
        let expected_site = amount_site.map(|a| {
            let stored = stored.1.clone().unwrap_or_default();
            assert_eq!(
                stored.parse::<rust_decimal::Decimal>().unwrap(),
                a.parse::<rust_decimal::Decimal>().unwrap(),
                "{query}"
            );
            stored
        });
        assert_eq!(
            stored,
            (currency.to_owned(), expected_site, amount_site.is_none()),
            "{query}"
        );
    }

    // A symbol that contradicts `currency` is refused, naming the amount as sent.
    for (query, parameter) in [
        (
            "sid=G&Commission=%E2%82%AC5&currency=USD&oid=7",
            "Commission",
        ),
        ("sid=H&amount=%245&currency=EUR&oid=8", "amount"),
        ("sid=I&payout=kr5&oid=9", "payout"),
    ] {
        let (status, body) = app.postback(&site.id, &format!("{query}&token={t}")).await;
        assert_eq!(
            (status, body["status"].as_str(), body["parameter"].as_str()),
            (400, Some("invalid"), Some(parameter)),
            "{query}: {body}"
        );
    }
    let (_, body) = app
        .postback(
            &site.id,
            &format!("sid=H&amount=%245&currency=EUR&token={t}"),
        )
        .await;
    assert!(
        body["message"].as_str().unwrap().contains("currency=EUR"),
        "{body}"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM conversions WHERE transaction_id IN ('7', '8', '9')")
            .await,
        0
    );

    // The report counts only what it can convert: 13.75 EUR-in-USD and 10 USD.
    let today = chrono::Utc::now().date_naive();
    let summary: Value = app
        .api_get(
            &site.api_key,
            &format!("/api/v1/reports/summary?from={today}&to={today}"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(summary["revenue"], "23.75", "{summary}");
    assert_eq!(summary["unconverted_conversions"], 3, "{summary}");
}

#[tokio::test]
async fn a_refusal_names_the_parameter_as_it_was_sent() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let t = &site.secret;
    for (query, parameter) in [
        (format!("SubID=a-b&token={t}"), "SubID"),
        (format!("sid=a&Payout=12,50&token={t}"), "Payout"),
        (format!("sid=a&Status=maybe&token={t}"), "Status"),
        (format!("sid=a&TXID=%7BActionId%7D&token={t}"), "TXID"),
    ] {
        let (status, body) = app.postback(&site.id, &query).await;
        assert_eq!(
            (status, body["parameter"].as_str()),
            (400, Some(parameter)),
            "{query}: {body}"
        );
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{parameter}: ")),
            "{body}"
        );
    }
    let (status, body) = send_postback(
        app.http
            .post(app.postback_url(&site.id))
            .json(&json!({"ClickId": "abc", "Payout": "1e3", "Token": t})),
    )
    .await;
    assert_eq!(
        (status, body["parameter"].as_str()),
        (400, Some("Payout")),
        "{body}"
    );
    // The log keeps its names lower-cased, the token masked.
    let logged = last_logged_params(&app, &site.id).await;
    assert_eq!(
        logged,
        json!({"clickid": "abc", "payout": "1e3", "token": "***"})
    );
}

/// The params of the site's latest postback log row.
pub async fn last_logged_params(app: &TestApp, site_id: &str) -> Value {
    app.pool
        .get()
        .await
        .unwrap()
        .query_one(
            "SELECT params FROM postback_log WHERE site_id = $1 ORDER BY id DESC LIMIT 1",
            &[&site_id],
        )
        .await
        .unwrap()
        .get(0)
}
