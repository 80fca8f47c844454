//! The postback log: who may read it, its parameters, and its retention.

use super::log_rows;
use crate::helpers::app::spawn_app;

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
