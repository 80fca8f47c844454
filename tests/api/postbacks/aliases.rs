//! Every alias of every parameter, in any case, over GET, form and JSON.

use super::dec;
use crate::helpers::app::spawn_app;
use crate::helpers::http::send_postback;
use rust_decimal::Decimal;
use serde_json::{Value, json};

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
