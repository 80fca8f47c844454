use crate::helpers::app::spawn_app;

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let link = app
        .register_link(&site, "https://prf.hn/click/camref:1")
        .await;
    assert_eq!(app.click(&link).await.status(), 302);

    let get = |path: &str| app.http.get(format!("{}{path}", app.address)).send();
    assert_eq!(get("/healthz").await.unwrap().status(), 200);
    assert_eq!(get("/readyz").await.unwrap().status(), 200);
    let metrics = get("/metrics").await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("affrank_clicks_recorded_total 1"),
        "{metrics}"
    );
    assert!(metrics.contains("affrank_redirects_total 1"), "{metrics}");
    assert!(
        metrics.contains(r#"affrank_http_requests_total{route="go",status="302"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains("affrank_click_batch_size_count"),
        "{metrics}"
    );
    assert!(
        metrics.contains("affrank_http_request_duration_seconds_bucket"),
        "{metrics}"
    );

    let missing = get("/nope").await.unwrap();
    assert_eq!(missing.status(), 404);
    let body: serde_json::Value = missing.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_unreachable() {
    // A database that does not exist: the pool cannot connect.
    let app = spawn_app().await;
    let broken = affrank::db::pool("postgres://postgres@127.0.0.1:1/none", 1).unwrap();
    assert!(!affrank::db::is_ready(&broken).await);
    assert!(affrank::db::is_ready(&app.pool).await);
}
