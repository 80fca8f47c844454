//! How a postback arrives: a chunked body, X-Forwarded-For behind a
//! trusted proxy or not, and the writers' own batch limit.

use super::log_rows;
use crate::helpers::app::{spawn_app, spawn_app_with};
use crate::helpers::http::{metric, post_chunked, send_postback};
use serde_json::Value;

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
