//! Amazon by tracking id: the site's pool, pages taking ids (automatically,
//! by hand, when the pool runs out, and at once from many rewrites), the
//! rewrite setting each page's `tag=`, and Amazon conversions credited to
//! the page (and link, by ASIN) of their tracking id until a click claims
//! them.

use crate::helpers::app::{TestApp, TestSite, spawn_app};
use crate::helpers::http::{location, session_of};
use crate::reports::data::{add_link, click, insert_clicks, late_match};
use crate::reports::get;
use serde_json::{Value, json};

const PAGE_A: &str = "https://blog.test/best-blenders/";
const PAGE_B: &str = "https://blog.test/best-toasters/";
const PAGE_C: &str = "https://blog.test/best-kettles/";

fn amazon(asin: &str) -> String {
    format!("https://www.amazon.com/dp/{asin}?tag=blogger-20&th=1")
}

/// Rewrites `page` holding links to these URLs; the registered links.
async fn rewrite(app: &TestApp, site: &TestSite, page: &str, urls: &[String]) -> Vec<Value> {
    let html: String = urls.iter().map(|u| format!("<a href=\"{u}\">x</a>")).collect();
    let response = app
        .post_rewrite(
            Some(&site.api_key),
            &json!({"html": html, "page_url": page, "post_id": 3, "keyword": "best blender",
                    "keyword_source": "post_meta"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["links"].as_array().unwrap().clone()
}

fn tag_of(url: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "tag")
        .map(|(_, v)| v.into_owned())
}

async fn pages(app: &TestApp, site: &TestSite) -> Value {
    let response = app.api_get(&site.api_key, "/api/v1/amazon/pages").await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn put_pages(app: &TestApp, site: &TestSite, body: Value) -> (u16, Value) {
    let response = app
        .http
        .put(format!("{}/api/v1/amazon/pages", app.address))
        .bearer_auth(&site.api_key)
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn alert_codes(app: &TestApp, site: &TestSite) -> Vec<String> {
    let body: Value = app
        .api_get(&site.api_key, "/api/v1/health")
        .await
        .json()
        .await
        .unwrap();
    body["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_pool_is_a_setting_validated_like_the_others() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let body: Value = app.api_get(&site.api_key, "/api/v1/site").await.json().await.unwrap();
    assert_eq!(body["amazon_tracking_ids"], json!([]));
    assert_eq!(body["amazon_tracking_assignment"], "auto");
    app.update_site(
        &site,
        json!({"amazon_tracking_ids": ["blog-20", "blog_b-20"], "amazon_tracking_assignment": "manual"}),
    )
    .await;
    let body: Value = app.api_get(&site.api_key, "/api/v1/site").await.json().await.unwrap();
    assert_eq!(body["amazon_tracking_ids"], json!(["blog-20", "blog_b-20"]));
    assert_eq!(body["amazon_tracking_assignment"], "manual");
    for (patch, field) in [
        (json!({"amazon_tracking_ids": ["ok-20", "not ok"]}), "amazon_tracking_ids[1]"),
        (json!({"amazon_tracking_ids": ["a-20", "a-20"]}), "amazon_tracking_ids[1]"),
        (json!({"amazon_tracking_assignment": "sometimes"}), "amazon_tracking_assignment"),
    ] {
        let response = app.put_site(&site.api_key, &patch).await;
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["field"], field, "{patch}");
    }
}

#[tokio::test]
async fn pages_take_the_pools_ids_in_order_and_keep_them_until_it_runs_out() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    // No pool: Amazon links keep their own tag.
    let links = rewrite(&app, &site, PAGE_A, &[amazon("B000000001")]).await;
    assert_eq!(tag_of(links[0]["url"].as_str().unwrap()).as_deref(), Some("blogger-20"));

    app.update_site(&site, json!({"amazon_tracking_ids": ["pa-20", "pb-20"]}))
        .await;
    let a = rewrite(&app, &site, PAGE_A, &[amazon("B000000001"), "https://shareasale.com/r.cfm?b=1&u=2&m=3".into()]).await;
    assert_eq!(tag_of(a[0]["url"].as_str().unwrap()).as_deref(), Some("pa-20"));
    assert!(!a[1]["url"].as_str().unwrap().contains("tag="), "{a:?}");
    // A page without Amazon links takes no id.
    rewrite(&app, &site, "https://blog.test/about/", &["https://shareasale.com/r.cfm?b=1&u=2&m=4".into()]).await;
    let b = rewrite(&app, &site, PAGE_B, &[amazon("B000000002")]).await;
    assert_eq!(tag_of(b[0]["url"].as_str().unwrap()).as_deref(), Some("pb-20"));
    let again = rewrite(&app, &site, PAGE_A, &[amazon("B000000001")]).await;
    assert_eq!(again[0]["id"], a[0]["id"], "the link keeps its id");
    assert_eq!(tag_of(again[0]["url"].as_str().unwrap()).as_deref(), Some("pa-20"));
    assert!(!alert_codes(&app, &site).await.contains(&"amazon_pool_exhausted".to_owned()));

    // The pool is used up: the third page keeps its links' tag, and health says so.
    let c = rewrite(&app, &site, PAGE_C, &[amazon("B000000003")]).await;
    assert_eq!(tag_of(c[0]["url"].as_str().unwrap()).as_deref(), Some("blogger-20"));
    assert!(alert_codes(&app, &site).await.contains(&"amazon_pool_exhausted".to_owned()));

    let listed = pages(&app, &site).await;
    assert_eq!(listed["unassigned_ids"], json!([]));
    assert_eq!(
        listed["rows"],
        json!([
            {"page_url": PAGE_A, "post_id": 3, "tracking_id": "pa-20", "assigned": "auto"},
            {"page_url": PAGE_C, "post_id": 3, "tracking_id": null, "assigned": null},
            {"page_url": PAGE_B, "post_id": 3, "tracking_id": "pb-20", "assigned": "auto"},
        ])
    );

    // The redirect sends the page's tag, and the session id as ascsubtag.
    let go = location(&app.click(a[0]["id"].as_str().unwrap()).await);
    assert_eq!(tag_of(&go).as_deref(), Some("pa-20"));
    assert!(go.contains(&format!("ascsubtag={}", session_of(&go))), "{go}");

    // A new id in the pool: the waiting page takes it on its next rewrite.
    app.update_site(&site, json!({"amazon_tracking_ids": ["pa-20", "pb-20", "pc-20"]}))
        .await;
    let c = rewrite(&app, &site, PAGE_C, &[amazon("B000000003")]).await;
    assert_eq!(tag_of(c[0]["url"].as_str().unwrap()).as_deref(), Some("pc-20"));
    assert!(!alert_codes(&app, &site).await.contains(&"amazon_pool_exhausted".to_owned()));
    // An id taken out of the pool is no page's any more.
    app.update_site(&site, json!({"amazon_tracking_ids": ["pb-20", "pc-20"]}))
        .await;
    let listed = pages(&app, &site).await;
    assert_eq!(listed["rows"][0]["tracking_id"], Value::Null);
}

#[tokio::test]
async fn pages_rewritten_at_once_never_share_an_id() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let pool: Vec<String> = (0..12).map(|i| format!("p{i}-20")).collect();
    app.update_site(&site, json!({"amazon_tracking_ids": pool})).await;
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let (app_address, key, http) = (app.address.clone(), site.api_key.clone(), app.http.clone());
            tokio::spawn(async move {
                let body = json!({"html": format!("<a href=\"{}\">x</a>", amazon("B000000009")),
                                  "page_url": format!("https://blog.test/p{i}/")});
                let response = http
                    .post(format!("{app_address}/api/v1/rewrite"))
                    .bearer_auth(key)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let body: Value = response.json().await.unwrap();
                tag_of(body["links"][0]["url"].as_str().unwrap()).unwrap()
            })
        })
        .collect();
    let mut tags = Vec::new();
    for t in tasks {
        tags.push(t.await.unwrap());
    }
    tags.sort();
    let mut want = pool.clone();
    want.sort();
    assert_eq!(tags, want, "every page its own id");
}

#[tokio::test]
async fn ids_are_assigned_by_hand_with_clear_refusals() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    app.update_site(
        &site,
        json!({"amazon_tracking_ids": ["pa-20", "pb-20"], "amazon_tracking_assignment": "manual"}),
    )
    .await;
    let links = rewrite(&app, &site, PAGE_A, &[amazon("B000000001")]).await;
    assert_eq!(tag_of(links[0]["url"].as_str().unwrap()).as_deref(), Some("blogger-20"), "manual: no id yet");
    let (status, body) = put_pages(&app, &site, json!({"assignments": [{"page_url": PAGE_A, "tracking_id": "pb-20"}]})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rows"][0]["tracking_id"], "pb-20");
    assert_eq!(body["rows"][0]["assigned"], "manual");
    assert_eq!(body["unassigned_ids"], json!(["pa-20"]));
    // The settings version moved, so the next rewrite reads the new id.
    let links = rewrite(&app, &site, PAGE_A, &[amazon("B000000001")]).await;
    assert_eq!(tag_of(links[0]["url"].as_str().unwrap()).as_deref(), Some("pb-20"));

    let (status, body) = put_pages(&app, &site, json!({"assignments": [{"page_url": PAGE_B, "tracking_id": "zz-20"}]})).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("assignments[0].tracking_id")), "{body}");
    let (status, body) = put_pages(&app, &site, json!({"assignments": [{"page_url": PAGE_B, "tracking_id": "pb-20"}]})).await;
    assert_eq!((status, body["field"].as_str()), (409, Some("assignments[0].tracking_id")), "{body}");
    assert!(body["message"].as_str().unwrap().contains(PAGE_A), "{body}");
    let (status, body) = put_pages(&app, &site, json!({"assignments": [{"page_url": PAGE_B}]})).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("assignments[0].tracking_id")));
    // A swap in one request is fine; null gives an id back.
    let (status, body) = put_pages(&app, &site, json!({"assignments": [
        {"page_url": PAGE_A, "tracking_id": "pa-20"}, {"page_url": PAGE_B, "tracking_id": "pb-20"}]})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = put_pages(&app, &site, json!({"assignments": [{"page_url": PAGE_A, "tracking_id": null}]})).await;
    assert_eq!(status, 200);
    assert_eq!(body["unassigned_ids"], json!(["pa-20"]));
    let other = app.add_site().await;
    let (status, _) = put_pages(&app, &other, json!({"assignments": [{"page_url": PAGE_A, "tracking_id": "pb-20"}]})).await;
    assert_eq!(status, 400, "not in the other site's pool");
}

/// An imported Amazon report row: the importer's insert.
async fn import_amazon(app: &TestApp, site: &str, tx: &str, label: &str, product: &str, amount: &str, session: &str) {
    let client = app.pool.get().await.unwrap();
    let amount: rust_decimal::Decimal = amount.parse().unwrap();
    client
        .execute(
            "INSERT INTO conversions (site_id, session_id, transaction_id, status, amount, currency, \
                 amount_site, is_lead, received_at, updated_at, source, network, label, product) \
             VALUES ($1, $2, $3, 'approved', $4, 'USD', $4, false, now(), now(), 'import', 'amazon', $5, $6)",
            &[&site, &session, &tx, &amount, &label, &product],
        )
        .await
        .unwrap();
}

fn row<'a>(body: &'a Value, field: &str, key: &str) -> &'a Value {
    body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[field] == key)
        .unwrap_or_else(|| panic!("no {key} in {body}"))
}

#[tokio::test]
async fn an_amazon_sale_lands_on_the_page_keyword_and_link_of_its_tracking_id() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    app.update_site(&site, json!({"amazon_tracking_ids": ["pa-20", "pb-20"]}))
        .await;
    let a = rewrite(&app, &site, PAGE_A, &[amazon("B000000001"), amazon("B000000002")]).await;
    rewrite(&app, &site, PAGE_B, &[amazon("B000000003")]).await;
    let link_1 = a[0]["id"].as_str().unwrap().to_owned();

    import_amazon(&app, &site.id, "amz-1", "pa-20", "b000000001", "4.00", "").await;
    import_amazon(&app, &site.id, "amz-2", "pa-20", "B0NOTONPAGE", "6.00", "").await;
    import_amazon(&app, &site.id, "amz-3", "someone-else-20", "B000000001", "5.00", "").await;

    let key = &site.api_key;
    let pages = get(&app, key, "pages", &[]).await;
    assert_eq!(row(&pages, "page_url", PAGE_A)["revenue"], "10.00", "{pages}");
    assert_eq!(row(&pages, "page_url", PAGE_A)["conversions"], 2);
    let keywords = get(&app, key, "keywords", &[]).await;
    assert_eq!(row(&keywords, "keyword", "best blender")["revenue"], "10.00");
    let links = get(&app, key, "links", &[]).await;
    assert_eq!(links["total_rows"], 1, "only the ASIN's link has a row: {links}");
    assert_eq!(row(&links, "link_id", &link_1)["revenue"], "4.00");
    let summary = get(&app, key, "summary", &[]).await;
    assert_eq!(summary["revenue"], "15.00");
    assert_eq!(summary["unattributed_revenue"], "5.00");
    assert_eq!(summary["coverage"], json!({"click": "0.00", "page": "10.00", "none": "5.00"}));
    let today = get(&app, key, "timeseries", &[]).await;
    let last = today["rows"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["revenue"], "15.00", "on the day received: {last}");

    // The same figures from the raw tables.
    let client = app.pool.get().await.unwrap();
    let tz = "UTC";
    let raw_site = affrank::reports::raw::RawSite { site_id: &site.id, time_zone: tz, exclude_bots: true };
    let day = chrono::Utc::now().date_naive();
    let raw = affrank::reports::raw::list(&client, &raw_site, affrank::reports::Dimension::Page, day, day).await.unwrap();
    assert_eq!(raw.len(), 1);
    assert_eq!(raw[0].totals.revenue.to_string(), "10.00");
    let raw = affrank::reports::raw::summary(&client, &raw_site, day, day).await.unwrap();
    assert_eq!(raw.unattributed_revenue.to_string(), "5.00");
}

#[tokio::test]
async fn a_click_that_turns_up_later_wins_over_the_tracking_id() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    app.update_site(&site, json!({"amazon_tracking_ids": ["pa-20"]})).await;
    rewrite(&app, &site, PAGE_A, &[amazon("B000000001")]).await;
    let client = app.pool.get().await.unwrap();
    let other = add_link(&client, &site.id, "https://shop.test/x", PAGE_B, Some("toasters"), None).await;
    let session = affrank::ids::SessionId::mint();
    import_amazon(&app, &site.id, "amz-late", "pa-20", "B000000001", "8.00", session.as_str()).await;
    let key = &site.api_key;
    assert_eq!(row(&get(&app, key, "pages", &[]).await, "page_url", PAGE_A)["revenue"], "8.00");

    // The click was spooled meanwhile; it is written, then matched late.
    let yesterday = chrono::Utc::now() - chrono::Duration::days(1);
    insert_clicks(&client, &[click(&site.id, &other, session.as_str(), yesterday, false)]).await;
    assert_eq!(late_match(&client, &site.id).await, 1);
    let pages = get(&app, key, "pages", &[]).await;
    assert_eq!(row(&pages, "page_url", PAGE_B)["revenue"], "8.00", "{pages}");
    assert_eq!(pages["total_rows"], 1, "the tracking id's page has nothing left: {pages}");
    let summary = get(&app, key, "summary", &[]).await;
    assert_eq!(summary["coverage"], json!({"click": "8.00", "page": "0.00", "none": "0.00"}));
}
