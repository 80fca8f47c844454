//! Imports against the real ledger: apply, dry run, re-import, restatement,
//! all or nothing, postbacks and imports of the same sale, concurrency.

use super::presets::fixture;
use crate::helpers::app::{TestApp, TestSite, spawn_app};
use serde_json::Value;

pub async fn import(app: &TestApp, site: &TestSite, query: &str, body: Vec<u8>) -> (u16, Value) {
    let response = app
        .http
        .post(format!("{}/api/v1/imports?{query}", app.address))
        .bearer_auth(&site.api_key)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn scalar<T: for<'a> tokio_postgres::types::FromSql<'a>>(app: &TestApp, sql: &str) -> T {
    app.pool.get().await.unwrap().query_one(sql, &[]).await.unwrap().get(0)
}

const PRESETS: [(&str, &str); 13] = [
    ("amazon-earnings.csv", "amazon-earnings"),
    ("amazon-earnings-subtag.utf16.txt", "amazon-earnings"),
    ("amazon-earnings.xlsx", "amazon-earnings"),
    ("amazon-orders.csv", "amazon-orders"),
    ("cj-commission-detail.csv", "cj-commission-detail"),
    ("cj-commission-report.csv", "cj-commission-report"),
    ("impact-actions.csv", "impact-actions"),
    ("impact-actions.xlsx", "impact-actions"),
    ("shareasale-activity.txt", "shareasale-activity"),
    ("awin-transactions-de.csv", "awin-transactions"),
    ("rakuten-signature-orders.csv", "rakuten-signature-orders"),
    ("clickbank-transactions.csv", "clickbank-transactions"),
    ("partnerize-conversions.csv", "partnerize-conversions"),
];

#[tokio::test]
async fn each_fixture_is_refused_whole_then_applied_with_skip_rejected_and_its_amounts_land() {
    let app = spawn_app().await;
    for (file, preset) in PRESETS {
        // A site per file: two fixtures of one network share transaction ids.
        let site = app.add_site().await;
        let expected: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(fixture(&format!("{file}.expected.json"))).unwrap())
                .unwrap();
        let good: Vec<&Value> = expected.iter().filter(|e| e.get("transaction_id").is_some()).collect();
        let refused = expected.iter().filter(|e| e.get("reject").is_some()).count();
        let body = std::fs::read(fixture(file)).unwrap();

        let (status, result) = import(&app, &site, &format!("preset={preset}"), body.clone()).await;
        assert_eq!(status, 422, "{file}: {result}");
        assert_eq!(result["applied"], false);
        assert_eq!(result["rejected"].as_array().unwrap().len(), refused, "{file}: {result}");
        for r in result["rejected"].as_array().unwrap() {
            let row = r["row"].as_u64().unwrap();
            assert!(expected.iter().any(|e| e["row"] == row && e.get("reject").is_some()), "{file}: {r}");
        }
        let count = format!("SELECT count(*) FROM conversions WHERE site_id = '{}'", site.id);
        assert_eq!(scalar::<i64>(&app, &count).await, 0, "{file}: nothing applied");

        let (status, result) =
            import(&app, &site, &format!("preset={preset}&skip_rejected=1"), body).await;
        assert_eq!(status, 200, "{file}: {result}");
        assert_eq!(result["applied"], true);
        assert_eq!(result["imported"].as_u64().unwrap() as usize, good.len(), "{file}: {result}");
        assert_eq!(result["rows"].as_u64().unwrap() as usize, good.len() + refused);
        assert_eq!(result["preview"].as_array().unwrap().len(), good.len().min(20));
        assert!(!result["columns"].as_array().unwrap().is_empty());
        for e in good {
            let row = app
                .pool
                .get()
                .await
                .unwrap()
                .query_one(
                    "SELECT amount::text, status, network, source, label, session_id FROM conversions \
                     WHERE site_id = $1 AND transaction_id = $2",
                    &[&site.id, &e["transaction_id"].as_str().unwrap()],
                )
                .await
                .unwrap_or_else(|err| panic!("{file} {e}: {err}"));
            let amount: Option<String> = row.get(0);
            let want = e["amount"].as_str().map(|a| a.parse::<rust_decimal::Decimal>().unwrap());
            assert_eq!(amount.map(|a| a.parse::<rust_decimal::Decimal>().unwrap()), want, "{file} {e}");
            assert_eq!(row.get::<_, String>(1), e["status"].as_str().unwrap(), "{file} {e}");
            assert_eq!(row.get::<_, String>(2), e["network"].as_str().unwrap());
            assert_eq!(row.get::<_, String>(3), "import");
            assert_eq!(row.get::<_, Option<String>>(4).as_deref(), e["label"].as_str());
            assert_eq!(row.get::<_, Option<String>>(5).as_deref(), e["session_id"].as_str());
        }
    }
    app.stop().await;
}

const GENERIC: &str = "columns=transaction_id=Order,amount=Commission,date=Date,status=State,session_id=Sub,network=Net";

fn generic(rows: &[(&str, &str, &str, &str, &str)]) -> Vec<u8> {
    let mut out = String::from("Order,Commission,Date,State,Sub,Net\n");
    for (id, amount, state, sub, net) in rows {
        out.push_str(&format!("{id},\"{amount}\",2024-03-05 10:00:00,{state},{sub},{net}\n"));
    }
    out.into_bytes()
}

#[tokio::test]
async fn dry_run_changes_nothing_reimport_is_duplicate_and_a_reversal_restates() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let first = generic(&[("T1", "$10.00", "pending", "", "cj"), ("T2", "5", "approved", "my-label", "cj")]);

    let (status, dry) = import(&app, &site, &format!("{GENERIC}&dry_run=1"), first.clone()).await;
    assert_eq!(status, 200, "{dry}");
    assert_eq!((dry["imported"].as_u64(), dry["applied"].as_bool()), (Some(2), Some(false)));
    assert_eq!(scalar::<i64>(&app, "SELECT count(*) FROM conversions").await, 0);
    assert_eq!(scalar::<i64>(&app, "SELECT count(*) FROM postback_log").await, 0);

    let (status, applied) = import(&app, &site, GENERIC, first.clone()).await;
    assert_eq!(status, 200, "{applied}");
    assert_eq!(applied["imported"], 2);
    assert_eq!(applied["unattributed"], 2);
    let again = import(&app, &site, GENERIC, first).await.1;
    assert_eq!(
        (again["imported"].as_u64(), again["updated"].as_u64(), again["duplicate"].as_u64()),
        (Some(0), Some(0), Some(2)),
        "{again}"
    );
    assert_eq!(scalar::<i64>(&app, "SELECT count(*) FROM conversion_status_history").await, 2);

    // A later export: T1 became reversed.
    let later = generic(&[("T1", "10.00", "reversed", "", "cj"), ("T2", "5.00", "approved", "my-label", "cj")]);
    let restated = import(&app, &site, GENERIC, later).await.1;
    assert_eq!((restated["updated"].as_u64(), restated["duplicate"].as_u64()), (Some(1), Some(1)), "{restated}");
    assert_eq!(scalar::<String>(&app, "SELECT status FROM conversions WHERE transaction_id = 'T1'").await, "reversed");
    assert_eq!(
        scalar::<String>(&app, "SELECT string_agg(h.status || '/' || h.source, ',' ORDER BY h.id) FROM conversion_status_history h \
                                JOIN conversions v ON v.id = h.conversion_id WHERE v.transaction_id = 'T1'").await,
        "pending/import,reversed/import"
    );
    let summary: Value = app
        .api_get(&site.api_key, "/api/v1/reports/summary?from=2024-03-01&to=2024-03-31")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(summary["revenue"], "5.00", "{summary}");
    assert_eq!(summary["reversed_revenue"], "10.00", "{summary}");
    // The conversion log: one row per applied file.
    assert_eq!(
        scalar::<i64>(&app, "SELECT count(*) FROM postback_log WHERE source = 'import' AND outcome = 'imported'").await,
        3
    );
    app.stop().await;
}

#[tokio::test]
async fn a_broken_row_applies_nothing_unless_skip_rejected() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let body = generic(&[("T1", "10", "pending", "", ""), ("T2", "ten", "pending", "", ""), ("", "1", "pending", "", "")]);
    let (status, result) = import(&app, &site, GENERIC, body.clone()).await;
    assert_eq!(status, 422, "{result}");
    assert_eq!(result["rejected"], serde_json::json!([
        {"row": 3, "reason": "amount 'ten' in Commission is not a number"},
        {"row": 4, "reason": "missing Order"}]));
    assert_eq!(scalar::<i64>(&app, "SELECT count(*) FROM conversions").await, 0);
    assert_eq!(
        scalar::<i64>(&app, "SELECT count(*) FROM postback_log WHERE outcome = 'import_rejected' AND http_status = 422").await,
        1
    );
    let (status, result) = import(&app, &site, &format!("{GENERIC}&skip_rejected=1"), body).await;
    assert_eq!((status, result["imported"].as_u64()), (200, Some(1)), "{result}");
    assert_eq!(scalar::<i64>(&app, "SELECT count(*) FROM conversions").await, 1);
    app.stop().await;
}

#[tokio::test]
async fn postback_then_import_and_import_then_postback_are_one_conversion() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    // A postback matched to a click on a Partnerize link: network partnerize.
    let session = app.session(&site).await;
    let (_, answer) = app
        .postback(&site.id, &format!("sessionId={session}&amount=9.90&transaction_id=P1&status=pending&token={}", site.secret))
        .await;
    assert_eq!(answer["status"], "matched");
    // An unmatched postback: network not known ('').
    let stranger = "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk";
    let (_, answer) = app
        .postback(&site.id, &format!("sessionId={stranger}&amount=4&transaction_id=C1&status=pending&token={}", site.secret))
        .await;
    assert_eq!(answer["status"], "unmatched");

    let body = generic(&[
        ("P1", "9.90", "approved", session.as_str(), "partnerize"),
        ("C1", "4.50", "approved", stranger, "cj"),
        ("I1", "7", "pending", "", "impact"),
    ]);
    let result = import(&app, &site, GENERIC, body).await.1;
    assert_eq!((result["imported"].as_u64(), result["updated"].as_u64()), (Some(1), Some(2)), "{result}");
    assert_eq!(scalar::<i64>(&app, "SELECT count(*) FROM conversions").await, 3);
    let p1: (String, String, String, bool) = {
        let c = app.pool.get().await.unwrap();
        let r = c.query_one("SELECT status, network, source, link_id IS NOT NULL FROM conversions WHERE transaction_id = 'P1'", &[]).await.unwrap();
        (r.get(0), r.get(1), r.get(2), r.get(3))
    };
    assert_eq!(p1, ("approved".into(), "partnerize".into(), "import".into(), true));
    assert_eq!(
        scalar::<String>(&app, "SELECT network || '/' || status || '/' || amount FROM conversions WHERE transaction_id = 'C1'").await,
        "cj/approved/4.50",
        "the '' row adopted the import's network and its restated amount"
    );
    assert_eq!(
        scalar::<String>(&app, "SELECT string_agg(h.source, ',' ORDER BY h.id) FROM conversion_status_history h \
                                JOIN conversions v ON v.id = h.conversion_id WHERE v.transaction_id = 'P1'").await,
        "postback,import"
    );

    // Import first (I1, impact), then the postback without a click: found.
    let (_, answer) = app
        .postback(&site.id, &format!("sessionId={stranger}&amount=7&transaction_id=I1&status=approved&token={}", site.secret))
        .await;
    assert_eq!(answer["status"], "updated", "{answer}");
    assert_eq!(scalar::<i64>(&app, "SELECT count(*) FROM conversions").await, 3);
    assert_eq!(scalar::<String>(&app, "SELECT status || '/' || source || '/' || network FROM conversions WHERE transaction_id = 'I1'").await,
               "approved/postback/impact");
    // And a repeat of it is a duplicate of that one.
    let (_, answer) = app
        .postback(&site.id, &format!("sessionId={stranger}&amount=7&transaction_id=I1&status=approved&token={}", site.secret))
        .await;
    assert_eq!(answer["status"], "duplicate", "{answer}");
    assert!(answer["conversion_id"].is_i64() || answer.get("conversion_id").is_none(), "{answer}");
    app.stop().await;
}

/// An import and postbacks of the same transaction ids at once: every id
/// is one conversion, whichever writer came first.
#[tokio::test]
async fn an_import_racing_postbacks_of_the_same_sales_makes_one_conversion_each() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let ids: Vec<String> = (0..400).map(|i| format!("R{i}")).collect();
    let rows: Vec<(&str, &str, &str, &str, &str)> =
        ids.iter().map(|id| (id.as_str(), "2.00", "approved", "", "awin")).collect();
    let body = generic(&rows);
    for round in 0..3 {
        let importing = import(&app, &site, GENERIC, body.clone());
        let queries: Vec<String> = ids
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 3 == round)
            .map(|(_, id)| format!("sessionId=Mn1Bv2Cx3Zl4Kj5Hg6Fd7Sa&amount=2&transaction_id={id}&status=pending&token={}", site.secret))
            .collect();
        let posting = futures_util::future::join_all(queries.iter().map(|q| app.postback(&site.id, q)));
        let ((status, result), answers) = tokio::join!(importing, posting);
        assert_eq!(status, 200, "{result}");
        assert!(answers.iter().all(|(s, _)| *s == 200));
    }
    assert_eq!(scalar::<i64>(&app, "SELECT count(*) FROM conversions").await, 400);
    assert_eq!(scalar::<i64>(&app, "SELECT count(DISTINCT transaction_id) FROM conversions").await, 400);
    app.stop().await;
}

#[tokio::test]
async fn imported_sessions_take_their_clicks_page_and_day_and_late_clicks_match() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let session = app.session(&site).await;
    let late = "Qw2Er4Ty6Ui8Op0As2Df4Gh7";
    let body = generic(&[("M1", "3", "approved", session.as_str(), "partnerize"), ("M2", "4", "approved", late, "partnerize")]);
    let result = import(&app, &site, GENERIC, body).await.1;
    assert_eq!(result["unattributed"], 1, "{result}");
    assert_eq!(
        scalar::<String>(&app, "SELECT page_url FROM conversions WHERE transaction_id = 'M1'").await,
        "https://blog.test/best-shoes/"
    );
    let link: String = scalar(&app, "SELECT link_id FROM conversions WHERE transaction_id = 'M1'").await;
    // The click of M2 arrives later (a spool replay): late matching finds it.
    let client = app.pool.get().await.unwrap();
    client
        .execute(
            "INSERT INTO clicks (session_id, site_id, link_id, clicked_at, page_url, keyword) \
             VALUES ($1, $2, $3, now(), 'https://blog.test/late/', 'late keyword')",
            &[&late, &site.id, &link],
        )
        .await
        .unwrap();
    affrank::postbacks::sql::match_late_clicks(&client, None).await.unwrap();
    assert_eq!(
        scalar::<String>(&app, "SELECT keyword FROM conversions WHERE transaction_id = 'M2'").await,
        "late keyword"
    );
    let keywords: Value = app
        .api_get(&site.api_key, "/api/v1/reports/keywords")
        .await
        .json()
        .await
        .unwrap();
    assert!(keywords["rows"].as_array().unwrap().iter().any(|r| r["keyword"] == "late keyword"
        && r["revenue"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap() == rust_decimal::Decimal::from(4)), "{keywords}");
    app.stop().await;
}
