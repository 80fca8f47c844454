//! A conversion over time: approved then reversed, deduplicated without a
//! transaction id, and repeats within one batch settled in arrival order.

use super::dec;
use crate::helpers::app::{TestApp, TestSite, spawn_app};
use rust_decimal::Decimal;
use serde_json::{Value, json};

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
        .api_get(
            &site.api_key,
            &format!("/api/v1/reports/summary?from={today}&to={today}"),
        )
        .await
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
            session_id: affrank::ids::SessionId::parse("Batch1").unwrap(),
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
