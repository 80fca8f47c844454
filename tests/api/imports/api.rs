//! The import endpoints' contract: presets list, 400s, 401, 413; the CLI.

use super::ledger::import;
use super::presets::fixture;
use crate::helpers::app::{spawn_app, spawn_app_with};
use crate::helpers::db::{create_database, database_url, drop_database, query_count};
use crate::helpers::sidecar::{affrank_bin, run_ok};
use serde_json::Value;

#[tokio::test]
async fn presets_are_listed_for_the_plugin() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let response = app.api_get(&site.api_key, "/api/v1/imports/presets").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let presets = body["presets"].as_array().unwrap();
    let ids: Vec<&str> = presets.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["amazon-earnings", "amazon-orders", "cj-commission-detail", "cj-commission-report",
         "impact-actions", "shareasale-activity", "awin-transactions", "rakuten-signature-orders",
         "clickbank-transactions", "partnerize-conversions"]
    );
    for p in presets {
        let keys: Vec<&String> = p.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["formats", "id", "name", "network", "note"], "{p}");
    }
    assert_eq!(app.http.get(format!("{}/api/v1/imports/presets", app.address)).send().await.unwrap().status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn bad_presets_columns_files_and_keys_are_refused_clearly() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let csv = b"a,b\n1,2\n".to_vec();
    for (query, field) in [
        ("preset=nope", "preset"),
        ("", "preset"),
        ("columns=transaction_id=a", "columns"),
        ("columns=colour=a,amount=b,date=c,transaction_id=d", "columns"),
        ("preset=cj-commission-detail&dry_run=maybe", "dry_run"),
        ("preset=cj-commission-detail&currency=dollars", "currency"),
        ("preset=cj-commission-detail&sheet=1", "sheet"),
    ] {
        let (status, body) = import(&app, &site, query, csv.clone()).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_field")), "{query}: {body}");
        assert_eq!(body["field"], field, "{query}: {body}");
    }
    // No header with the preset's columns; not UTF-8; not a workbook.
    for body in [csv.clone(), b"commissionId,actionStatus,pubCommissionAmountUsd\n\xe4,new,1\n".to_vec(), b"PK\x03\x04garbage".to_vec()] {
        let (status, answer) = import(&app, &site, "preset=cj-commission-detail", body).await;
        assert_eq!((status, answer["error"].as_str()), (400, Some("bad_request")), "{answer}");
    }
    let unauthorized = app
        .http
        .post(format!("{}/api/v1/imports?preset=cj-commission-detail", app.address))
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), 401);
    assert_eq!(app.count("SELECT count(*) FROM conversions").await, 0);
    app.stop().await;
}

#[tokio::test]
async fn an_upload_over_the_limit_is_413() {
    let app = spawn_app_with(|c| c.imports.max_body_bytes = 1024).await;
    let site = app.add_site().await;
    let big = std::fs::read(fixture("amazon-earnings.xlsx")).unwrap();
    assert!(big.len() > 1024);
    let (status, body) = import(&app, &site, "preset=amazon-earnings", big).await;
    assert_eq!((status, body["error"].as_str()), (413, Some("payload_too_large")), "{body}");
    // Chunked, without a declared length: refused as it passes the limit.
    let chunk = [b'x'; 100];
    let chunks: Vec<&[u8]> = (0..64).map(|_| &chunk[..]).collect();
    let auth = format!("Bearer {}", site.api_key);
    let (status, body) = crate::helpers::http::post_chunked(
        &app.address,
        "/api/v1/imports?preset=amazon-earnings",
        &[("Authorization", &auth)],
        &chunks,
    )
    .await;
    assert_eq!(status, 413, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn the_cli_imports_prints_a_summary_and_fails_when_not_applied() {
    let name = create_database().await;
    let url = database_url(&name);
    let added = run_ok(
        affrank_bin()
            .args(["site", "add", "--name", "B", "--url", "https://b.test", "--json"])
            .env("DATABASE_URL", &url),
    );
    let site: Value = serde_json::from_slice(&added.stdout).unwrap();
    let site_id = site["site_id"].as_str().unwrap();
    let file = fixture("cj-commission-detail.csv");
    let refused = affrank_bin()
        .args(["import", "--site", site_id, "--preset", "cj-commission-detail"])
        .arg(&file)
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let text = String::from_utf8_lossy(&refused.stdout);
    assert!(text.contains("NOT applied") && text.contains("row 10: missing commissionId"), "{text}");
    assert_eq!(query_count(&url, "SELECT count(*) FROM conversions").await, Some(0));

    let applied = run_ok(
        affrank_bin()
            .args(["import", "--site", site_id, "--preset", "cj-commission-detail", "--skip-rejected", "--json"])
            .arg(&file)
            .env("DATABASE_URL", &url),
    );
    let result: Value = serde_json::from_slice(&applied.stdout).unwrap();
    assert_eq!((result["imported"].as_u64(), result["applied"].as_bool()), (Some(8), Some(true)), "{result}");
    assert_eq!(query_count(&url, "SELECT count(*) FROM conversions").await, Some(8));
    drop_database(name);
}
