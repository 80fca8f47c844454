//! The plugin's copy of the link map: `GET /api/v1/links` pages through a
//! site's links after a cursor, and `POST /api/v1/clicks/untracked` takes
//! the clicks the plugin redirected from its copy while `/go/` was down.

use crate::helpers::app::{TestApp, TestSite, spawn_app};
use crate::helpers::wait_until;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// One page of the map, asserted to be a 200.
async fn map_page(app: &TestApp, site: &TestSite, query: &str) -> Value {
    let response = app
        .api_get(&site.api_key, &format!("/api/v1/links{query}"))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

/// Pages through the whole map from `since` with pages of `limit`:
/// id -> url, the cursor to keep, and how many pages it took.
async fn sync_all(
    app: &TestApp,
    site: &TestSite,
    mut since: Option<String>,
    limit: usize,
) -> (BTreeMap<String, String>, Option<String>, usize) {
    let mut seen = BTreeMap::new();
    let mut pages = 0;
    loop {
        let query = match &since {
            Some(cursor) => format!("?limit={limit}&since={cursor}"),
            None => format!("?limit={limit}"),
        };
        let page = map_page(app, site, &query).await;
        pages += 1;
        let links = page["links"].as_array().unwrap();
        assert!(links.len() <= limit, "a page holds at most `limit` links");
        for link in links {
            let id = link["id"].as_str().unwrap().to_owned();
            let url = link["url"].as_str().unwrap().to_owned();
            assert!(
                seen.insert(id.clone(), url).is_none(),
                "{id} came twice in one pass"
            );
        }
        since = page["next"].as_str().map(str::to_owned);
        if !page["more"].as_bool().unwrap() {
            return (seen, since, pages);
        }
        assert!(pages < 100, "the map never ends");
    }
}

/// `count` links on one page of `site`, distinct destinations: id -> url.
async fn register(
    app: &TestApp,
    site: &TestSite,
    count: usize,
    tag: &str,
) -> BTreeMap<String, String> {
    let html: String = (0..count)
        .map(|i| {
            format!("<a href=\"https://www.awin1.com/cread.php?awinmid={i}&amp;p={tag}\">{i}</a>")
        })
        .collect();
    let body = app.rewrite(site, &html).await;
    body["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["id"].as_str().unwrap().to_owned(),
                l["url"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Links become visible to the map once every transaction older than
/// theirs has ended; on a shared test server another test's transaction
/// can hold them back for a moment.
async fn sync_until(
    app: &TestApp,
    site: &TestSite,
    since: Option<String>,
    limit: usize,
    expected: usize,
) -> (BTreeMap<String, String>, Option<String>, usize) {
    let mut result = None;
    wait_until("the map to show every registered link", async || {
        let pass = sync_all(app, site, since.clone(), limit).await;
        let done = pass.0.len() >= expected;
        result = Some(pass);
        done
    })
    .await;
    result.unwrap()
}

#[tokio::test]
async fn the_map_pages_through_every_link_then_only_what_changed() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let registered = register(&app, &site, 25, "first").await;
    assert_eq!(registered.len(), 25);

    let (map, cursor, pages) = sync_until(&app, &site, None, 10, 25).await;
    assert_eq!(
        map, registered,
        "every link, with its destination as registered"
    );
    assert_eq!(pages, 3, "25 links in pages of 10");
    let cursor = cursor.expect("a cursor to continue from");

    // Nothing changed: the cursor stays where it was.
    let page = map_page(&app, &site, &format!("?since={cursor}")).await;
    assert_eq!(page["links"], json!([]));
    assert_eq!(page["more"], false);
    assert_eq!(page["next"], cursor.as_str());

    // Rendering the same page again changes nothing either.
    register(&app, &site, 25, "first").await;
    let (again, _, _) = sync_all(&app, &site, Some(cursor.clone()), 10).await;
    assert!(
        again.is_empty(),
        "re-registered links are not sent again: {again:?}"
    );

    // New links, and one whose network changed, come after the cursor; the
    // 25 others do not.
    let fresh = register(&app, &site, 3, "second").await;
    let changed = registered.keys().next().unwrap().clone();
    let client = app.pool.get().await.unwrap();
    client
        .execute("UPDATE links SET network = NULL WHERE id = $1", &[&changed])
        .await
        .unwrap();
    let (delta, _, _) = sync_until(&app, &site, Some(cursor), 10, 4).await;
    let mut expected = fresh.clone();
    expected.insert(changed.clone(), registered[&changed].clone());
    assert_eq!(delta, expected);
    let entry = map_page(&app, &site, "?limit=5000").await["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == changed.as_str())
        .cloned()
        .unwrap();
    assert_eq!(entry["network"], Value::Null);
}

#[tokio::test]
async fn the_map_holds_only_the_sites_own_links() {
    let app = spawn_app().await;
    let ours = app.add_site().await;
    let theirs = app.add_site().await;
    let our_links = register(&app, &ours, 2, "ours").await;
    let their_links = register(&app, &theirs, 3, "theirs").await;

    let (map, cursor, _) = sync_until(&app, &ours, None, 1000, 2).await;
    assert_eq!(map, our_links);
    let (map, _, _) = sync_until(&app, &theirs, None, 1000, 3).await;
    assert_eq!(map, their_links);

    // Links the other site registers later do not show after our cursor.
    let later = register(&app, &theirs, 2, "later").await;
    sync_until(&app, &theirs, None, 1000, 5).await;
    let (after, _, _) = sync_all(&app, &ours, cursor, 1000).await;
    assert!(after.is_empty(), "{after:?} (theirs: {later:?})");
}

#[tokio::test]
async fn the_map_needs_the_sites_key_and_valid_parameters() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let url = format!("{}/api/v1/links", app.address);

    let none = app.http.get(&url).send().await.unwrap();
    assert_eq!(none.status(), 401);
    let wrong = app
        .http
        .get(&url)
        .bearer_auth("afk_wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized");

    for (query, field) in [
        ("?limit=0", "limit"),
        ("?limit=5001", "limit"),
        ("?limit=ten", "limit"),
        ("?since=12", "since"),
        ("?since=12.not-a-link", "since"),
        ("?since=1.cDUkZkhNXr8&since=2.cDUkZkhNXr8", "since"),
        ("?offset=3", "offset"),
    ] {
        let response = app
            .api_get(&site.api_key, &format!("/api/v1/links{query}"))
            .await;
        assert_eq!(response.status(), 400, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_field", "{query}");
        assert_eq!(body["field"], field, "{query}");
    }

    // An empty site: an empty map, and no cursor yet.
    let page = map_page(&app, &site, "").await;
    assert_eq!(page, json!({"links": [], "next": null, "more": false}));
}

async fn post_untracked(app: &TestApp, key: Option<&str>, body: &Value) -> (u16, Value) {
    let mut request = app
        .http
        .post(format!("{}/api/v1/clicks/untracked", app.address))
        .json(body);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.unwrap();
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}

async fn summary(app: &TestApp, site: &TestSite, from: &str, to: &str) -> Value {
    let response = app
        .api_get(
            &site.api_key,
            &format!("/api/v1/reports/summary?from={from}&to={to}"),
        )
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn untracked_clicks_are_stored_once_and_shown_apart_from_clicks() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let other = app.add_site().await;
    let link = app
        .register_link(&site, "https://prf.hn/click/camref:1")
        .await;
    let foreign = app
        .register_link(&other, "https://prf.hn/click/camref:2")
        .await;
    let today = chrono::Utc::now().date_naive();
    let yesterday = today.pred_opt().unwrap();

    let report = json!({"counts": [
        {"link_id": link, "day": yesterday.to_string(), "clicks": 3},
        {"link_id": link, "day": today.to_string(), "clicks": 2},
        {"link_id": foreign, "day": today.to_string(), "clicks": 50},
    ]});
    let (status, body) = post_untracked(&app, Some(&site.api_key), &report).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"accepted": 2, "ignored": 1}),
        "another site's link is not ours to count"
    );

    // The same report again (a retry), and an older, smaller total, change nothing.
    post_untracked(&app, Some(&site.api_key), &report).await;
    let stale = json!({"counts": [{"link_id": link, "day": today.to_string(), "clicks": 1}]});
    assert_eq!(
        post_untracked(&app, Some(&site.api_key), &stale).await.0,
        200
    );
    assert_eq!(
        app.count("SELECT sum(clicks)::int8 FROM untracked_clicks")
            .await,
        5
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM untracked_clicks WHERE site_id = '{}'",
            other.id
        ))
        .await,
        0
    );
    // A larger total for the day replaces the smaller one.
    let more = json!({"counts": [{"link_id": link, "day": today.to_string(), "clicks": 4}]});
    post_untracked(&app, Some(&site.api_key), &more).await;

    let figures = summary(&app, &site, &yesterday.to_string(), &today.to_string()).await;
    assert_eq!(figures["untracked_clicks"], 7);
    assert_eq!(figures["clicks"], 0, "untracked clicks are not clicks");
    assert_eq!(figures["epc"], Value::Null, "nor in EPC");
    let only_today = summary(&app, &site, &today.to_string(), &today.to_string()).await;
    assert_eq!(only_today["untracked_clicks"], 4);
    let theirs = summary(&app, &other, &yesterday.to_string(), &today.to_string()).await;
    assert_eq!(theirs["untracked_clicks"], 0);
}

#[tokio::test]
async fn an_untracked_report_needs_the_key_and_names_a_bad_entry() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let link = app
        .register_link(&site, "https://prf.hn/click/camref:1")
        .await;
    let today = chrono::Utc::now().date_naive().to_string();
    let good = json!({"counts": [{"link_id": link, "day": today, "clicks": 1}]});

    assert_eq!(post_untracked(&app, None, &good).await.0, 401);
    assert_eq!(post_untracked(&app, Some("afk_wrong"), &good).await.0, 401);

    let (status, body) = post_untracked(
        &app,
        Some(&site.api_key),
        &json!({"counts": [{"link_id": link, "day": "2020-13-01", "clicks": 1}]}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["field"], "counts[0].day");
    let (status, body) = post_untracked(&app, Some(&site.api_key), &json!({"clicks": 3})).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "bad_request");
    assert_eq!(app.count("SELECT count(*) FROM untracked_clicks").await, 0);
}
