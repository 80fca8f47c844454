use crate::helpers::app::{spawn_app, spawn_app_with};
use crate::helpers::http::post_chunked;
use serde_json::{Value, json};

#[tokio::test]
async fn affiliate_links_are_rewritten_registered_and_tagged_with_rel() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let html = concat!(
        "<p>Buy <a href=\"https://www.shareasale.com/r.cfm?b=1&amp;u=2&amp;m=3\" class='btn'>here</a>, ",
        "read <a href=\"https://example.com/review\">the review</a>, ",
        "or <a href=\"https://www.amazon.com/dp/B0?tag=me-20\" rel=\"noopener\">on Amazon</a>.</p>",
    );
    let body = app.rewrite(&site, html).await;
    let links = body["links"].as_array().unwrap();
    assert_eq!(links.len(), 2);
    let (sas, amazon) = (&links[0], &links[1]);
    assert_eq!(sas["network"], "shareasale");
    assert_eq!(sas["url"], "https://www.shareasale.com/r.cfm?b=1&u=2&m=3");
    assert_eq!(amazon["network"], "amazon");
    let expected = format!(
        "<p>Buy <a href=\"https://track.test/go/{}\" rel=\"sponsored nofollow\" class='btn'>here</a>, \
         read <a href=\"https://example.com/review\">the review</a>, \
         or <a href=\"https://track.test/go/{}\" rel=\"noopener sponsored nofollow\">on Amazon</a>.</p>",
        sas["id"].as_str().unwrap(),
        amazon["id"].as_str().unwrap()
    );
    assert_eq!(body["html"], expected);

    let client = app.pool.get().await.unwrap();
    let row = client
        .query_one(
            "SELECT site_id, url, page_url, post_id, keyword, keyword_source, network FROM links WHERE id = $1",
            &[&sas["id"].as_str().unwrap()],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), site.id);
    assert_eq!(row.get::<_, String>(2), "https://blog.test/best-shoes/");
    assert_eq!(row.get::<_, Option<i64>>(3), Some(7));
    assert_eq!(
        row.get::<_, Option<String>>(4).as_deref(),
        Some("best running shoes")
    );
    assert_eq!(
        row.get::<_, Option<String>>(5).as_deref(),
        Some("post_meta")
    );
    assert_eq!(
        row.get::<_, Option<String>>(6).as_deref(),
        Some("shareasale")
    );
}

#[tokio::test]
async fn the_same_link_keeps_its_id_across_renders_and_keywords_split_it() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let html = "<a href=\"https://prf.hn/click/camref:1\">x</a>";
    let first = app.rewrite(&site, html).await;
    let second = app.rewrite(&site, html).await;
    assert_eq!(first["html"], second["html"]);
    let other_keyword = app
        .post_rewrite(
            Some(&site.api_key),
            &json!({"html": html, "page_url": "https://blog.test/best-shoes/", "keyword": "trail shoes"}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_ne!(other_keyword["links"][0]["id"], first["links"][0]["id"]);
    assert_eq!(app.count("SELECT count(*) FROM links").await, 2);
}

#[tokio::test]
async fn a_chunked_body_is_read_up_to_the_same_limit() {
    let app = spawn_app_with(|c| c.max_body_bytes = 2048).await;
    let site = app.add_site().await;
    let auth = format!("Bearer {}", site.api_key);
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    let body = json!({
        "html": "<p><a href=\"https://www.awin1.com/cread.php?awinmid=1\">Awin</a></p>",
        "page_url": "https://b.test/chunked/",
    })
    .to_string();
    let (first, rest) = body.as_bytes().split_at(20);
    let (status, answer) =
        post_chunked(&app.address, "/api/v1/rewrite", &headers, &[first, rest]).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("/go/"), "the link is rewritten: {answer}");

    // Over the limit in chunks of 1 KiB, none of which is too large alone.
    let kib = vec![b' '; 1024];
    let (status, answer) = post_chunked(
        &app.address,
        "/api/v1/rewrite",
        &headers,
        &[&kib, &kib, &kib],
    )
    .await;
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains("2048 bytes"), "{answer}");
}

#[tokio::test]
async fn bad_requests_name_the_problem() {
    let app = spawn_app_with(|c| c.max_body_bytes = 2048).await;
    let site = app.add_site().await;

    let response = app
        .post_rewrite(None, &json!({"html": "", "page_url": "https://b.test/"}))
        .await;
    assert_eq!(response.status(), 401);

    let response = app
        .post_rewrite(
            Some(&site.api_key),
            &json!({"html": "x".repeat(4096), "page_url": "https://b.test/"}),
        )
        .await;
    assert_eq!(response.status(), 413);

    let response = app
        .post_rewrite(Some(&site.api_key), &json!({"html": "<p>"}))
        .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("page_url"),
        "{body}"
    );

    let response = app
        .post_rewrite(
            Some(&site.api_key),
            &json!({"html": "<p>", "page_url": "javascript:alert(1)"}),
        )
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(response.json::<Value>().await.unwrap()["field"], "page_url");

    let mut not_utf8 = br#"{"html": "caf"#.to_vec();
    not_utf8.push(0xE9);
    not_utf8.extend_from_slice(br#"", "page_url": "https://b.test/"}"#);
    let response = app
        .http
        .post(format!("{}/api/v1/rewrite", app.address))
        .bearer_auth(&site.api_key)
        .header("content-type", "application/json")
        .body(not_utf8)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("UTF-8"),
        "{body}"
    );
}

#[tokio::test]
async fn the_tracking_base_and_rel_policy_follow_the_site_settings() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    app.update_site(
        &site,
        json!({"tracking_base_url": "https://blog.test/", "rel_policy": "none"}),
    )
    .await;
    let body = app
        .rewrite(&site, "<a href=\"https://prf.hn/a\">x</a>")
        .await;
    let id = body["links"][0]["id"].as_str().unwrap();
    assert_eq!(
        body["html"],
        format!("<a href=\"https://blog.test/go/{id}\">x</a>")
    );
    // Already tracked: a second pass leaves it alone.
    let again = app.rewrite(&site, body["html"].as_str().unwrap()).await;
    assert_eq!(again["html"], body["html"]);
}
