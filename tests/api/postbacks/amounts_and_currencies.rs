//! Amounts as the networks write them, the malformed ones refused, and
//! currencies converted with the site's rates.

use super::dec;
use crate::helpers::app::spawn_app;
use rust_decimal::Decimal;
use serde_json::json;

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
async fn currencies_convert_with_the_sites_rates_and_an_unknown_one_is_flagged() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    app.update_site(&site, json!({"currency_rates": {"EUR": "1.10"}}))
        .await;
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
