//! What a postback comes to: a matched conversion with all its click
//! gives it, every outcome of DESIGN.md's table, and the flags it carries.

use super::{conversion, dec, log_rows};
use crate::helpers::app::{spawn_app, spawn_app_with};
use crate::helpers::http::{location, metric, session_of};
use rust_decimal::Decimal;
use serde_json::Value;

#[tokio::test]
async fn a_matched_conversion_takes_its_clicks_page_keyword_link_and_day() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let sid = app.session(&site).await;
    let (status, body) = app
        .postback(
            &site.id,
            &format!(
                "sessionId={sid}&amount=12.50&transaction_id=T1&token={}",
                site.secret
            ),
        )
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("matched")),
        "{body}"
    );
    let row = conversion(&app, &site).await;
    assert_eq!(row.get::<_, String>(0), "approved");
    assert_eq!(row.get::<_, Decimal>(1), dec("12.50"));
    assert_eq!(row.get::<_, Option<Decimal>>(3), Some(dec("12.50")));
    assert!(!row.get::<_, bool>(5), "a sale, not a lead");
    assert!(row.get::<_, Option<String>>(6).is_some(), "the link");
    assert_eq!(
        row.get::<_, Option<String>>(7).as_deref(),
        Some("best running shoes")
    );
    assert_eq!(
        row.get::<_, Option<String>>(8).as_deref(),
        Some("https://blog.test/best-shoes/")
    );
    assert!(row.get::<_, bool>(9), "the click's time");
    assert!(
        row.get::<_, bool>(10),
        "under a second after the click: flagged"
    );
    let history = app
        .count("SELECT count(*) FROM conversion_status_history")
        .await;
    assert_eq!(history, 1);
}

#[tokio::test]
async fn every_outcome_of_the_design_table() {
    let app = spawn_app_with(|c| {
        c.postbacks.address_rate = 1;
        c.postbacks.address_burst = 30;
    })
    .await;
    let site = app.add_site().await;
    let sid = app.session(&site).await;
    let t = &site.secret;
    let cases: Vec<(String, u16, &str, Option<&str>)> = vec![
        (
            format!("sid={sid}&amount=5&oid=A&token={t}"),
            200,
            "matched",
            None,
        ),
        (
            format!("sid=NoSuchClick1&amount=5&oid=B&token={t}"),
            200,
            "unmatched",
            None,
        ),
        (
            format!("sid={sid}&amount=5&oid=A&token={t}"),
            200,
            "duplicate",
            None,
        ),
        (
            format!("sid={sid}&amount=5&oid=A&status=reversed&token={t}"),
            200,
            "updated",
            None,
        ),
        (
            format!("amount=5&token={t}"),
            400,
            "invalid",
            Some("sessionId"),
        ),
        (
            format!("sid={sid}&amount=12,50&token={t}"),
            400,
            "invalid",
            Some("amount"),
        ),
        (
            format!("sid={sid}&currency=E&token={t}"),
            400,
            "invalid",
            Some("currency"),
        ),
        (format!("sid={sid}&amount=5"), 401, "unauthorized", None),
        (
            format!("sid={sid}&amount=5&token=wrong"),
            401,
            "unauthorized",
            None,
        ),
        (format!("sid={sid}&test=1&token={t}"), 200, "test", None),
    ];
    for (query, status, outcome, parameter) in &cases {
        let (got, body) = app.postback(&site.id, query).await;
        assert_eq!(
            (got, body["status"].as_str()),
            (*status, Some(*outcome)),
            "{query}: {body}"
        );
        assert_eq!(body["parameter"].as_str(), *parameter, "{query}: {body}");
    }
    let (_, tested) = app
        .postback(&site.id, &format!("sid={sid}&test=1&token={t}"))
        .await;
    assert!(
        tested["message"]
            .as_str()
            .unwrap()
            .contains("matches a click"),
        "{tested}"
    );
    let (_, tested) = app
        .postback(&site.id, &format!("sid=Nobody1&test=1&token={t}"))
        .await;
    assert!(
        tested["message"].as_str().unwrap().contains("no click"),
        "{tested}"
    );
    let (got, body) = app
        .postback("AAAAAAAAAAAAAAAAAAAA", &format!("sid={sid}&token={t}"))
        .await;
    assert_eq!((got, body["status"].as_str()), (404, Some("unknown_site")));

    // Every request that reached the handler has its log row, newest first.
    let rows = log_rows(&app, &site, "limit=500").await;
    let outcomes: Vec<&str> = rows
        .iter()
        .rev()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    let mut expected: Vec<&str> = cases.iter().map(|c| c.2).collect();
    expected.extend(["test", "test"]);
    assert_eq!(outcomes, expected);
    assert!(
        rows.iter()
            .all(|r| r["params"].get("token").is_none_or(|v| v == "***")),
        "the token is masked in the log"
    );
    assert!(!serde_json::to_string(&rows).unwrap().contains(t.as_str()));
    let invalid = log_rows(&app, &site, "status=invalid").await;
    assert_eq!(invalid.len(), 3);
    assert_eq!(invalid[0]["http_status"], 400);

    // Over the address's burst: 429 with Retry-After, counted, not logged.
    let mut limited = None;
    for _ in 0..40 {
        let response = app
            .http
            .get(format!(
                "{}?sid={sid}&token={t}&test=1",
                app.postback_url(&site.id)
            ))
            .send()
            .await
            .unwrap();
        if response.status() == 429 {
            limited = Some(response);
            break;
        }
    }
    let limited = limited.expect("the burst of 30 runs out");
    assert!(
        limited.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["status"], "rate_limited");
    assert!(
        metric(
            &app.metrics().await,
            "affrank_postbacks_total{outcome=\"rate_limited\"}"
        ) >= 1.0
    );
    assert_eq!(
        log_rows(&app, &site, "status=rate_limited").await.len(),
        0,
        "rate-limited requests are counted, not logged"
    );
}

#[tokio::test]
async fn a_conversion_on_a_bot_click_is_flagged() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let link = app
        .register_link(&site, "https://prf.hn/click/camref:9")
        .await;
    let response = app
        .http
        .get(format!("{}/go/{link}", app.address))
        .header(
            "user-agent",
            "Googlebot/2.1 (+http://www.google.com/bot.html)",
        )
        .send()
        .await
        .unwrap();
    let sid = session_of(&location(&response));
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    app.postback(
        &site.id,
        &format!("sid={sid}&amount=1&token={}", site.secret),
    )
    .await;
    let row = conversion(&app, &site).await;
    assert!(row.get::<_, bool>(11), "bot click");
    assert!(
        !row.get::<_, bool>(10),
        "over a second after the click: not flagged fast"
    );
}
