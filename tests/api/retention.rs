//! Privacy retention: `click_detail_retention_days` is a site setting, and
//! the chore drops the user agent and referrer of older clicks, found by a
//! range of the session id key, in batches, leaving every figure as it was.

use crate::helpers::app::{TestApp, TestSite, spawn_app};
use crate::reports::get as report;
use affrank::ids::SessionId;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

const AWIN: &str = "https://www.awin1.com/cread.php?awinmid=1001&awinaffid=12345";

/// `GET /api/v1/site`.
async fn settings(app: &TestApp, site: &TestSite) -> Value {
    let response = app.api_get(&site.api_key, "/api/v1/site").await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_retention_is_a_site_setting_validated_like_the_others() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let shown = settings(&app, &site).await;
    assert_eq!(shown["click_detail_retention_days"], 90, "the default");
    for bad in [
        json!(0),
        json!(3651),
        json!(-5),
        json!(7.5),
        json!("30"),
        json!(null),
    ] {
        let response = app
            .put_site(&site.api_key, &json!({"click_detail_retention_days": bad}))
            .await;
        assert_eq!(response.status(), 400, "{bad}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["field"], "click_detail_retention_days", "{bad}");
    }
    app.update_site(&site, json!({"click_detail_retention_days": 30}))
        .await;
    let shown = settings(&app, &site).await;
    assert_eq!(shown["click_detail_retention_days"], 30);
    assert_eq!(shown["settings_version"], 2);
    let stored = app
        .count(&format!(
            "SELECT click_detail_retention_days::bigint FROM sites WHERE id = '{}'",
            site.id
        ))
        .await;
    assert_eq!(stored, 30);
}

/// Clicks written as the click writer writes them, at the times given, each
/// with a user agent and a referrer.
async fn insert_clicks(
    app: &TestApp,
    site: &TestSite,
    link: &str,
    clicks: &[(String, DateTime<Utc>)],
) {
    let client = app.pool.get().await.unwrap();
    let ids: Vec<&str> = clicks.iter().map(|(id, _)| id.as_str()).collect();
    let times: Vec<DateTime<Utc>> = clicks.iter().map(|(_, at)| *at).collect();
    client
        .execute(
            "INSERT INTO clicks (session_id, site_id, link_id, clicked_at, page_url, network, \
                                 referrer, user_agent) \
             SELECT id, $1, $2, at, 'https://blog.test/best-shoes/', 'awin', \
                    'https://search.test/?q=shoes', 'Mozilla/5.0 (Test)' \
             FROM unnest($3::text[], $4::timestamptz[]) AS c (id, at)",
            &[&site.id, &link, &ids, &times],
        )
        .await
        .unwrap();
}

/// Ids as the sidecar mints them at each time (the random part a counter).
fn minted(times: impl Iterator<Item = DateTime<Utc>>, tag: char) -> Vec<(String, DateTime<Utc>)> {
    times
        .enumerate()
        .map(|(i, at)| (format!("{}{tag}{i:015}", SessionId::time_prefix(at)), at))
        .collect()
}

fn refs(ids: &[String]) -> Vec<&str> {
    ids.iter().map(String::as_str).collect()
}

/// Which of these session ids still have their details.
async fn with_details(app: &TestApp, ids: &[&str]) -> i64 {
    let client = app.pool.get().await.unwrap();
    client
        .query_one(
            "SELECT count(*) FROM clicks WHERE session_id = ANY($1) \
             AND user_agent IS NOT NULL AND referrer IS NOT NULL",
            &[&ids],
        )
        .await
        .unwrap()
        .get(0)
}

/// Every report a blogger reads over the whole history, and the row
/// versions of the rollups (a rewrite of a row with +0 changes its xmin).
async fn figures(app: &TestApp, sites: &[&TestSite], from: &str) -> Value {
    let range = [("from", from.to_owned())];
    let mut all = Vec::new();
    for site in sites {
        for name in ["summary", "timeseries", "links", "keywords", "pages"] {
            all.push(report(app, &site.api_key, name, &range).await);
        }
    }
    let client = app.pool.get().await.unwrap();
    let versions: String = client
        .query_one(
            "SELECT (SELECT string_agg(xmin::text, ',' ORDER BY site_id, dim, day, key_id, shard) \
                     FROM report_day) || '/' || \
                    (SELECT string_agg(xmin::text, ',' ORDER BY site_id, day, attributed, shard) \
                     FROM report_site_day)",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    json!({"reports": all, "rollup_versions": versions})
}

async fn clear(app: &TestApp, now: DateTime<Utc>) -> u64 {
    affrank::chores::clear_old_click_details(&app.pool, now, std::time::Duration::ZERO)
        .await
        .map_err(|e| format!("{e:#}"))
        .unwrap()
}

#[tokio::test]
async fn old_clicks_lose_their_user_agent_and_referrer_and_every_figure_stays() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let other = app.add_site().await;
    app.update_site(&site, json!({"click_detail_retention_days": 30}))
        .await;
    let link = app.register_link(&site, AWIN).await;
    let other_link = app.register_link(&other, AWIN).await;
    let now = Utc::now();
    let days = |n: i64| now - Duration::days(n);

    // Earlier-format ids (six characters of the second, then 16): they sort
    // before every minted id, so their own time decides.
    let site_old_format = vec![
        ("0AAAAAaaaaaaaaaaaaaaaa".to_owned(), days(200)),
        ("0AAAABaaaaaaaaaaaaaaaa".to_owned(), days(35)),
    ];
    let other_old_format = vec![
        ("0AAAACaaaaaaaaaaaaaaaa".to_owned(), days(100)),
        ("0AAAADaaaaaaaaaaaaaaaa".to_owned(), days(50)),
    ];
    // Over two batches of the site's 34-day-old clicks, a second apart,
    // and the other site's interleaved among them.
    let site_old = minted((0..2_500).map(|i| days(34) + Duration::seconds(i)), 's');
    let other_recent = minted(
        (0..5).map(|i| days(34) + Duration::milliseconds(500 + 1000 * i)),
        'o',
    );
    let site_young = minted((0..3).map(|i| days(20) + Duration::seconds(i)), 'y');
    insert_clicks(&app, &site, &link, &site_old_format).await;
    insert_clicks(&app, &other, &other_link, &other_old_format).await;
    insert_clicks(&app, &site, &link, &site_old).await;
    insert_clicks(&app, &other, &other_link, &other_recent).await;
    insert_clicks(&app, &site, &link, &site_young).await;
    // And two real clicks, through /go/, with the ids the sidecar mints.
    let mut real = Vec::new();
    for _ in 0..2 {
        let response = app
            .http
            .get(format!("{}/go/{link}", app.address))
            .header("user-agent", "Mozilla/5.0 (Real)")
            .header("referer", "https://blog.test/best-shoes/")
            .send()
            .await
            .unwrap();
        real.push(crate::helpers::http::session_of(
            &crate::helpers::http::location(&response),
        ));
    }
    let ids = |clicks: &[(String, DateTime<Utc>)]| -> Vec<String> {
        clicks.iter().map(|(id, _)| id.clone()).collect()
    };
    let (e1, e2) = (site_old_format[0].0.clone(), site_old_format[1].0.clone());
    let (f1, f2) = (other_old_format[0].0.clone(), other_old_format[1].0.clone());
    let old = ids(&site_old);
    let young = ids(&site_young);
    let others = ids(&other_recent);
    assert_eq!(
        with_details(&app, &refs(&real)).await,
        2,
        "real clicks carry both"
    );

    let from = (now - Duration::days(210)).format("%Y-%m-%d").to_string();
    let before = figures(&app, &[&site, &other], &from).await;

    // Now: the site keeps 30 days, the other site 90.
    assert_eq!(clear(&app, now).await, 2 + 2_500 + 1);
    assert_eq!(with_details(&app, &[&e1, &e2, &f1]).await, 0);
    assert_eq!(
        with_details(&app, &refs(&old)).await,
        0,
        "all 2,500, in three batches"
    );
    assert_eq!(with_details(&app, &[&f2]).await, 1, "50 days old, kept 90");
    assert_eq!(
        with_details(&app, &refs(&others)).await,
        5,
        "interleaved, of another site"
    );
    assert_eq!(
        with_details(&app, &refs(&young)).await,
        3,
        "20 days old, kept 30"
    );
    assert_eq!(with_details(&app, &refs(&real)).await, 2);
    let untouched = app
        .count("SELECT count(*) FROM clicks WHERE keyword IS NULL AND page_url = 'https://blog.test/best-shoes/' AND network = 'awin'")
        .await;
    assert_eq!(
        untouched,
        2 + 2 + 2_500 + 5 + 3,
        "the rest of each row is as it was"
    );
    assert_eq!(
        figures(&app, &[&site, &other], &from).await,
        before,
        "every figure, every rollup row"
    );

    assert_eq!(
        clear(&app, now).await,
        0,
        "nothing left, and the pass starts at its mark"
    );

    // Fifteen days on, the 20-day-old clicks are past 30.
    assert_eq!(clear(&app, now + Duration::days(15)).await, 3);
    assert_eq!(with_details(&app, &refs(&young)).await, 0);
    assert_eq!(with_details(&app, &refs(&real)).await, 2);
    assert_eq!(with_details(&app, &[&f2]).await, 1);

    // 45 days on: the real clicks, and the other site's earlier-format one
    // (95 days old); its 79-day-old clicks stay.
    assert_eq!(clear(&app, now + Duration::days(45)).await, 2 + 1);
    assert_eq!(with_details(&app, &refs(&real)).await, 0);
    assert_eq!(with_details(&app, &refs(&others)).await, 5);
    assert_eq!(figures(&app, &[&site, &other], &from).await, before);
}
