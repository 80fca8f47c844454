//! Postbacks through the real server: every outcome of DESIGN.md, every
//! alias, GET, form and JSON, the log, currencies, flags and hostile input.

use crate::helpers::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::str::FromStr;

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

async fn conversion(app: &TestApp, site: &TestSite) -> tokio_postgres::Row {
    let client = app.pool.get().await.unwrap();
    client
        .query_one(
            "SELECT status, amount, currency, amount_site, unconverted, is_lead, link_id, \
             keyword, page_url, clicked_at IS NOT NULL, fast_conversion, bot_click, event, \
             transaction_id, session_id FROM conversions WHERE site_id = $1",
            &[&site.id],
        )
        .await
        .unwrap()
}

/// Every status the conversion with this transaction id has had, in order.
async fn statuses_of(client: &deadpool_postgres::Client, transaction_id: &str) -> Vec<String> {
    client
        .query(
            "SELECT h.status FROM conversion_status_history h JOIN conversions c \
             ON c.id = h.conversion_id WHERE c.transaction_id = $1 ORDER BY h.id",
            &[&transaction_id],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Revenue as the Revenue Mapping summary shows it for today, checked
/// against the raw conversions.
async fn approved_revenue(app: &TestApp, site: &TestSite) -> Decimal {
    let client = app.pool.get().await.unwrap();
    let raw: Decimal = client
        .query_one(
            "SELECT coalesce(sum(amount_site), 0) FROM conversions \
             WHERE site_id = $1 AND status = 'approved'",
            &[&site.id],
        )
        .await
        .unwrap()
        .get(0);
    let today = chrono::Utc::now().date_naive();
    let summary: Value = app
        .http
        .get(format!(
            "{}/api/v1/reports/summary?from={today}&to={today}",
            app.address
        ))
        .bearer_auth(&site.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let shown = dec(summary["revenue"]
        .as_str()
        .expect("revenue is a decimal string"));
    assert_eq!(
        shown, raw,
        "the report agrees with the conversions: {summary}"
    );
    shown
}

async fn log_rows(app: &TestApp, site: &TestSite, query: &str) -> Vec<Value> {
    let response = app
        .http
        .get(format!("{}/api/v1/postbacks/log?{query}", app.address))
        .bearer_auth(&site.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["rows"].as_array().unwrap().clone()
}

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
async fn every_alias_in_any_case_over_get_form_and_json() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let t = &site.secret;
    let sids = [
        "sessionId",
        "affrank_sid",
        "click_id",
        "clickid",
        "subid",
        "sub_id",
        "sid",
        "tid",
    ];
    let amounts = ["amount", "commission", "payout", "revenue"];
    let txids = ["transaction_id", "txid", "order_id", "oid"];
    let mut n = 0;
    for (i, sid_name) in sids.iter().enumerate() {
        let amount_name = amounts[i % amounts.len()];
        let tx_name = txids[i % txids.len()];
        for transport in ["get", "form", "json"] {
            n += 1;
            let sid = format!("Session{n}");
            let fields = [
                (sid_name.to_uppercase(), sid.clone()),
                (amount_name.to_string(), format!("{n}.25")),
                (tx_name.to_string(), format!("TX-{n}")),
                ("Currency".into(), "usd".into()),
                ("EVENT".into(), "Sale".into()),
                ("Status".into(), "Pending".into()),
                ("TOKEN".into(), t.clone()),
            ];
            let url = app.postback_url(&site.id);
            let request = match transport {
                "get" => {
                    let query: Vec<String> =
                        fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    app.http.get(format!("{url}?{}", query.join("&")))
                }
                "form" => {
                    let body: String = url::form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                        .finish();
                    app.http
                        .post(&url)
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(body)
                }
                _ => {
                    let object: serde_json::Map<String, Value> =
                        fields.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
                    app.http.post(&url).json(&object)
                }
            };
            let (status, body) = send_postback(request).await;
            assert_eq!(
                (status, body["status"].as_str()),
                (200, Some("unmatched")),
                "{sid_name} over {transport}: {body}"
            );
            let client = app.pool.get().await.unwrap();
            let row = client
                .query_one(
                    "SELECT amount, transaction_id, status, currency, event FROM conversions \
                     WHERE session_id = $1",
                    &[&sid],
                )
                .await
                .unwrap();
            assert_eq!(row.get::<_, Decimal>(0), dec(&format!("{n}.25")));
            assert_eq!(row.get::<_, String>(1), format!("TX-{n}"));
            assert_eq!(row.get::<_, String>(2), "pending");
            assert_eq!(row.get::<_, String>(3), "USD");
            assert_eq!(row.get::<_, String>(4), "Sale");
        }
    }
    // A JSON number keeps its digits: 7.10 is 7.10, never a float.
    let (status, _) = send_postback(
        app.http
            .post(app.postback_url(&site.id))
            .header("content-type", "application/json")
            .body(format!(
                r#"{{"clickid":"JsonNumber","payout":7.10,"txid":"J","token":"{t}"}}"#
            )),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        app.count("SELECT count(*) FROM conversions WHERE amount::text = '7.10'")
            .await,
        1
    );
}

#[tokio::test]
async fn amounts_in_the_forms_networks_send_and_the_malformed_ones_refused() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let t = &site.secret;
    for (n, amount) in [" 12.50 ", "+12.50", "$12.50", "%2B%2412.50"]
        .iter()
        .enumerate()
    {
        let (status, body) = app
            .postback(
                &site.id,
                &format!(
                    "sid=S{n}&amount={}&oid=O{n}&token={t}",
                    amount.replace(' ', "%20")
                ),
            )
            .await;
        assert_eq!(status, 200, "{amount}: {body}");
    }
    assert_eq!(
        app.count("SELECT count(*) FROM conversions WHERE amount = 12.50")
            .await,
        4
    );
    for amount in ["12,50", "1e3", "NaN", "", "-3", "12.5.0"] {
        let (status, body) = app
            .postback(&site.id, &format!("sid=Bad&amount={amount}&token={t}"))
            .await;
        assert_eq!(status, 400, "{amount:?}");
        assert_eq!(body["parameter"], "amount", "{amount:?}: {body}");
        assert!(
            body["message"].as_str().unwrap().starts_with("amount: "),
            "{body}"
        );
    }
    assert_eq!(app.count("SELECT count(*) FROM conversions").await, 4);
}

#[tokio::test]
async fn a_reversal_after_approval_takes_the_revenue_out_and_keeps_the_history() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let sid = app.session(&site).await;
    let t = &site.secret;
    let other = app.session(&site).await;
    app.postback(
        &site.id,
        &format!("sid={other}&amount=3.00&oid=KEEP&token={t}"),
    )
    .await;
    let base = format!("sid={sid}&amount=40.00&oid=R1&token={t}");
    assert_eq!(
        app.postback(&site.id, &format!("{base}&status=pending"))
            .await
            .1["status"],
        "matched"
    );
    assert_eq!(
        approved_revenue(&app, &site).await,
        dec("3.00"),
        "pending is not revenue"
    );
    assert_eq!(
        app.postback(&site.id, &format!("{base}&status=approved"))
            .await
            .1["status"],
        "updated"
    );
    assert_eq!(approved_revenue(&app, &site).await, dec("43.00"));
    // The refund postback often has no amount: the amount is kept, the status changes.
    let (_, body) = app
        .postback(
            &site.id,
            &format!("sid={sid}&oid=R1&status=reversed&token={t}"),
        )
        .await;
    assert_eq!(body["status"], "updated");
    assert_eq!(
        approved_revenue(&app, &site).await,
        dec("3.00"),
        "the reversal drops revenue by 40.00"
    );
    let (_, again) = app
        .postback(
            &site.id,
            &format!("sid={sid}&oid=R1&status=reversed&token={t}"),
        )
        .await;
    assert_eq!(again["status"], "duplicate");
    let client = app.pool.get().await.unwrap();
    let history = statuses_of(&client, "R1").await;
    assert_eq!(history, ["pending", "approved", "reversed"]);
    let amount: Decimal = client
        .query_one(
            "SELECT amount FROM conversions WHERE transaction_id = 'R1'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(amount, dec("40.00"));
}

#[tokio::test]
async fn without_a_transaction_id_session_and_event_dedupe() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let sid = app.session(&site).await;
    let t = &site.secret;
    let send = |q: String| {
        let app = &app;
        let site = &site;
        async move {
            app.postback(&site.id, &q).await.1["status"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    assert_eq!(
        send(format!("sid={sid}&event=Lead&token={t}")).await,
        "matched"
    );
    assert_eq!(
        send(format!("sid={sid}&event=lead&token={t}")).await,
        "duplicate"
    );
    assert_eq!(
        send(format!("sid={sid}&event=Sale&amount=9&token={t}")).await,
        "matched"
    );
    assert_eq!(
        send(format!("sid={sid}&event=Sale&status=rejected&token={t}")).await,
        "updated"
    );
    let client = app.pool.get().await.unwrap();
    let lead: bool = client
        .query_one("SELECT is_lead FROM conversions WHERE event = 'Lead'", &[])
        .await
        .unwrap()
        .get(0);
    assert!(lead, "no amount: a lead");
}

#[tokio::test]
async fn currencies_convert_with_the_sites_rates_and_an_unknown_one_is_flagged() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let response = app
        .http
        .put(format!("{}/api/v1/site", app.address))
        .bearer_auth(&site.api_key)
        .json(&json!({"currency_rates": {"EUR": "1.10"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    tokio::time::sleep(std::time::Duration::from_secs(6)).await; // the site cache refreshes
    let t = &site.secret;
    app.postback(
        &site.id,
        &format!("sid=Eur1&amount=10.00&currency=eur&oid=E&token={t}"),
    )
    .await;
    app.postback(
        &site.id,
        &format!("sid=Jpy1&amount=1000&currency=JPY&oid=J&token={t}"),
    )
    .await;
    let client = app.pool.get().await.unwrap();
    let eur = client
        .query_one("SELECT amount, currency, amount_site, unconverted FROM conversions WHERE transaction_id = 'E'", &[])
        .await
        .unwrap();
    assert_eq!(
        eur.get::<_, Decimal>(0),
        dec("10.00"),
        "the original amount is kept"
    );
    assert_eq!(eur.get::<_, String>(1), "EUR");
    assert_eq!(eur.get::<_, Option<Decimal>>(2), Some(dec("11")));
    assert!(!eur.get::<_, bool>(3));
    let jpy = client
        .query_one(
            "SELECT amount_site, unconverted FROM conversions WHERE transaction_id = 'J'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(jpy.get::<_, Option<Decimal>>(0), None, "never counted 1:1");
    assert!(jpy.get::<_, bool>(1));
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

#[tokio::test]
async fn hostile_input_is_refused_or_stored_as_text() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let t = &site.secret;
    // 100 KB of query string.
    let long = "x".repeat(100 * 1024);
    let path = format!("/api/v1/postbacks/{}?sid=a&junk={long}&token={t}", site.id);
    let status = raw_get_status(&app.address, &path).await;
    assert_eq!(status, 414);
    let response = app
        .http
        .post(app.postback_url(&site.id))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("sid=a&token={t}&junk={long}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    // Invalid UTF-8 names its parameter.
    let (status, body) = app
        .postback(&site.id, &format!("sid=a&event=%C3%28&token={t}"))
        .await;
    assert_eq!((status, body["parameter"].as_str()), (400, Some("event")));
    // SQL-looking and script values are text, stored as sent.
    let script = "<script>alert(1)</script>";
    let sql = "x'); DROP TABLE conversions; --";
    let query = format!(
        "sid=Hostile1&oid={}&event={}&token={t}",
        urlencode(sql),
        urlencode(script)
    );
    let (status, body) = app.postback(&site.id, &query).await;
    assert_eq!(status, 200, "{body}");
    let row = conversion(&app, &site).await;
    assert_eq!(row.get::<_, String>(12), script);
    assert_eq!(row.get::<_, String>(13), sql);
    let rows = log_rows(&app, &site, "").await;
    assert_eq!(rows[0]["params"]["event"], script);
    // A script in the session id is refused, and the log keeps it as text.
    let (status, body) = app
        .postback(&site.id, &format!("sid={}&token={t}", urlencode(script)))
        .await;
    assert_eq!((status, body["parameter"].as_str()), (400, Some("sid")));
    assert_eq!(
        log_rows(&app, &site, "limit=1").await[0]["params"]["sid"],
        script
    );
    assert_eq!(app.count("SELECT count(*) FROM conversions").await, 1);
}

#[tokio::test]
async fn the_log_needs_the_api_key_and_validates_its_parameters() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let url = format!("{}/api/v1/postbacks/log", app.address);
    assert_eq!(app.http.get(&url).send().await.unwrap().status(), 401);
    for query in ["limit=0", "limit=x", "status=nope"] {
        let response = app
            .http
            .get(format!("{url}?{query}"))
            .bearer_auth(&site.api_key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{query}");
    }
    // Another site's postbacks are not in this site's log.
    let other = app.add_site().await;
    app.postback(&other.id, &format!("sid=a&test=1&token={}", other.secret))
        .await;
    assert!(log_rows(&app, &site, "").await.is_empty());
    assert_eq!(log_rows(&app, &other, "").await.len(), 1);
}

#[tokio::test]
async fn log_rows_older_than_the_retention_are_pruned() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    app.postback(&site.id, &format!("sid=a&test=1&token={}", site.secret))
        .await;
    let client = app.pool.get().await.unwrap();
    client
        .execute(
            "INSERT INTO postback_log (received_at, site_id, method, params, outcome, http_status, message) \
             SELECT now() - interval '91 days', $1, 'GET', '{}', 'test', 200, 'old' FROM generate_series(1, 25000)",
            &[&site.id],
        )
        .await
        .unwrap();
    let before = chrono::Utc::now() - chrono::Duration::days(90);
    let pruned = affrank::postbacks::sql::prune_log(&client, before)
        .await
        .unwrap();
    assert_eq!(pruned, 25_000);
    assert_eq!(app.count("SELECT count(*) FROM postback_log").await, 1);
}

pub fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn a_chunked_form_postback_is_settled_like_any_other() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let body = format!(
        "sid=NoSuchClick01&oid=chunked-1&amount=12.50&token={}",
        site.secret
    );
    let (first, rest) = body.as_bytes().split_at(9);
    let (status, answer) = post_chunked(
        &app.address,
        &format!("/api/v1/postbacks/{}", site.id),
        &[("content-type", "application/x-www-form-urlencoded")],
        &[first, rest],
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["status"], "unmatched", "{answer}");
    let stored = app
        .count("SELECT count(*) FROM conversions WHERE transaction_id = 'chunked-1'")
        .await;
    assert_eq!(stored, 1);
}

/// The status of a GET sent over a bare socket: HTTP clients refuse to
/// build the oversized URIs a hostile caller can still send.
async fn raw_get_status(address: &str, path: &str) -> u16 {
    let host = address.trim_start_matches("http://");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    raw_http(address, request.as_bytes()).await.0
}

#[tokio::test]
async fn repeats_within_one_batch_settle_in_arrival_order() {
    use affrank::postbacks::params::Status;
    use affrank::postbacks::{NewConversion, Outcome, PostbackRecord, sql};
    let app = spawn_app().await;
    let site = app.add_site().await;
    let record = |oid: Option<&str>, status: Status, outcome: Outcome| PostbackRecord {
        received_at: chrono::Utc::now(),
        site_id: site.id.clone(),
        source_addr: Some("192.0.2.1".into()),
        method: "GET".into(),
        params: json!({"oid": oid}),
        conversion: (outcome == Outcome::Queued).then(|| NewConversion {
            session_id: "Batch1".into(),
            transaction_id: oid.map(str::to_owned),
            event: String::new(),
            status,
            amount: Some(dec("4.00")),
            currency: None,
            amount_site: Some(dec("4.00")),
            is_lead: false,
        }),
        outcome,
        message: "as given".into(),
    };
    let batch = [
        record(Some("A"), Status::Approved, Outcome::Queued),
        record(Some("A"), Status::Approved, Outcome::Queued),
        record(None, Status::Approved, Outcome::Invalid),
        record(Some("A"), Status::Reversed, Outcome::Queued),
        record(Some("B"), Status::Pending, Outcome::Queued),
        record(Some("A"), Status::Reversed, Outcome::Queued),
        record(Some("A"), Status::Approved, Outcome::Queued),
    ];
    let client = app.pool.get().await.unwrap();
    let refs: Vec<&PostbackRecord> = batch.iter().collect();
    let settled = sql::settle(&client, &refs).await.unwrap();
    let outcomes: Vec<Outcome> = settled.iter().map(|s| s.outcome).collect();
    use Outcome::*;
    assert_eq!(
        outcomes,
        [
            Unmatched, Duplicate, Invalid, Updated, Unmatched, Duplicate, Updated
        ]
    );
    assert_eq!(settled[2].message, "as given");
    assert_eq!(settled[0].conversion_id, settled[1].conversion_id);
    assert_eq!(settled[0].conversion_id, settled[6].conversion_id);
    let history = statuses_of(&client, "A").await;
    assert_eq!(history, ["approved", "reversed", "approved"]);
    let logged: Vec<(String, i16)> = client
        .query(
            "SELECT outcome, http_status FROM postback_log ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(logged.len(), 7);
    assert!(logged.contains(&("invalid".into(), 400)));
}

#[tokio::test]
async fn forwarded_for_counts_only_from_a_trusted_proxy() {
    for trusted in [false, true] {
        let app = spawn_app_with(|c| {
            c.postbacks.address_rate = 1;
            c.postbacks.address_burst = 2;
            if !trusted {
                c.trusted_proxies = vec![];
            }
        })
        .await;
        let site = app.add_site().await;
        let mut statuses = Vec::new();
        for n in 0..4 {
            let request = app
                .http
                .get(format!(
                    "{}?sid=a&test=1&token={}",
                    app.postback_url(&site.id),
                    site.secret
                ))
                .header("x-forwarded-for", format!("198.51.100.{n}"));
            statuses.push(send_postback(request).await.0);
        }
        let rows = log_rows(&app, &site, "").await;
        if trusted {
            assert_eq!(
                statuses,
                [200, 200, 200, 200],
                "each forwarded address has its own limit"
            );
            assert_eq!(rows[0]["source_addr"], "198.51.100.3");
        } else {
            assert_eq!(
                statuses,
                [200, 200, 429, 429],
                "a forged header changes nothing"
            );
            assert_eq!(rows[0]["source_addr"], "127.0.0.1");
        }
    }
}

/// The postback writers commit at most `postbacks.batch_max` postbacks at
/// once: their own limit, not the clicks'.
#[tokio::test]
async fn postback_commits_hold_at_most_the_postback_batch_max() {
    let app = spawn_app_with(|c| {
        c.clicks.batch_max = 1;
        c.postbacks.batch_max = 2;
    })
    .await;
    let site = app.add_site().await;
    let base = app.postback_url(&site.id);
    let requests: Vec<_> = (0..60)
        .map(|i| {
            let url = format!(
                "{base}?sid=NoSuchClick{i}&amount=1&oid=batch-{i}&token={}",
                site.secret
            );
            let http = app.http.clone();
            tokio::spawn(async move { send_postback(http.get(url)).await })
        })
        .collect();
    for request in requests {
        let (status, body) = request.await.unwrap();
        assert_eq!((status, body["status"].as_str()), (200, Some("unmatched")));
    }
    let metrics = app.metrics().await;
    let commits = metric(&metrics, "affrank_postback_batch_size_count");
    let small = metric(&metrics, "affrank_postback_batch_size_bucket{le=\"2\"}");
    assert_eq!(small, commits, "a commit held more than 2 postbacks");
    assert!(
        commits < 60.0,
        "60 concurrent postbacks took {commits} commits: batches of one, the clicks' limit"
    );
}
