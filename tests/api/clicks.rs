use crate::helpers::app::spawn_app;
use crate::helpers::http::{BROWSER_UA, location, metric, session_of};

#[tokio::test]
async fn a_click_is_recorded_and_redirected_with_the_session_id_and_the_networks_sub_id() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let link = app
        .register_link(
            &site,
            "https://www.awin1.com/cread.php?awinmid=1&amp;awinaffid=2&amp;clickref=old#deal",
        )
        .await;
    let response = app
        .http
        .get(format!("{}/go/{link}", app.address))
        .header("user-agent", BROWSER_UA)
        .header("referer", "https://blog.test/")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["x-robots-tag"], "noindex");
    let location = location(&response);
    let sid = session_of(&location);
    assert_eq!(
        location,
        format!(
            "https://www.awin1.com/cread.php?awinmid=1&awinaffid=2&clickref={sid}&affrank_sid={sid}#deal"
        )
    );
    assert!(sid.len() <= 24 && sid.len() >= 16 && sid.bytes().all(|b| b.is_ascii_alphanumeric()));

    let client = app.pool.get().await.unwrap();
    let row = client
        .query_one(
            "SELECT site_id, link_id, page_url, keyword, keyword_source, network, referrer, user_agent, \
                    visitor_hash, is_bot FROM clicks WHERE session_id = $1",
            &[&sid],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), site.id);
    assert_eq!(row.get::<_, String>(1), link);
    assert_eq!(row.get::<_, String>(2), "https://blog.test/best-shoes/");
    assert_eq!(
        row.get::<_, Option<String>>(3).as_deref(),
        Some("best running shoes")
    );
    assert_eq!(
        row.get::<_, Option<String>>(4).as_deref(),
        Some("post_meta")
    );
    assert_eq!(row.get::<_, Option<String>>(5).as_deref(), Some("awin"));
    assert_eq!(
        row.get::<_, Option<String>>(6).as_deref(),
        Some("https://blog.test/")
    );
    assert_eq!(row.get::<_, Option<String>>(7).as_deref(), Some(BROWSER_UA));
    let hash: String = row.get::<_, Option<String>>(8).unwrap();
    assert!(!hash.contains("127.0.0.1") && hash.len() == 24);
    assert!(!row.get::<_, bool>(9));

    let second = session_of(&location_of(&app.click(&link).await));
    assert_ne!(second, sid, "every click gets its own session id");
    assert_eq!(app.count("SELECT count(*) FROM clicks").await, 2);
}

fn location_of(response: &reqwest::Response) -> String {
    location(response)
}

#[tokio::test]
async fn bots_are_flagged_prefetches_and_heads_are_not_recorded() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let link = app
        .register_link(&site, "https://hop.clickbank.net/?affiliate=me&vendor=v")
        .await;
    let url = format!("{}/go/{link}", app.address);

    let bot = app
        .http
        .get(&url)
        .header(
            "user-agent",
            "Googlebot/2.1 (+http://www.google.com/bot.html)",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(bot.status(), 302);
    let bot_sid = session_of(&location(&bot));
    assert!(location(&bot).contains(&format!("tid={bot_sid}")));

    for (name, value) in [
        ("sec-purpose", "prefetch"),
        ("sec-purpose", "prefetch;prerender"),
        ("purpose", "prefetch"),
        ("x-moz", "prefetch"),
    ] {
        let prefetch = app
            .http
            .get(&url)
            .header("user-agent", BROWSER_UA)
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(prefetch.status(), 302, "{name}: {value}");
    }
    let head = app
        .http
        .head(&url)
        .header("user-agent", BROWSER_UA)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 302);

    assert_eq!(app.count("SELECT count(*) FROM clicks").await, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM clicks WHERE is_bot").await,
        1
    );
}

#[tokio::test]
async fn unknown_links_are_404_pages_never_redirects() {
    let app = spawn_app().await;
    for id in ["../../etc", "https:%2F%2Fevil.test", "a/b"] {
        let response = app.click(id).await;
        assert_eq!(response.status(), 404, "{id}");
        assert!(response.headers().get("location").is_none());
    }
    for id in ["AAAAAAAAAAA", "short", "0123456789ab", "%3Cscript%3E"] {
        let response = app.click(id).await;
        assert_eq!(response.status(), 404, "{id}");
        assert!(response.headers().get("location").is_none());
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(response.text().await.unwrap().contains("Link not found"));
    }
    assert_eq!(app.count("SELECT count(*) FROM clicks").await, 0);
}

#[tokio::test]
async fn the_visitor_address_comes_from_a_trusted_proxy_and_is_only_stored_hashed() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let link = app.register_link(&site, "https://prf.hn/a").await;
    let url = format!("{}/go/{link}", app.address);
    let mut sessions = Vec::new();
    for xff in [
        Some("203.0.113.5"),
        Some("203.0.113.5"),
        Some("198.51.100.1"),
        None,
    ] {
        let mut request = app.http.get(&url).header("user-agent", BROWSER_UA);
        if let Some(xff) = xff {
            request = request.header("x-forwarded-for", xff);
        }
        sessions.push(session_of(&location(&request.send().await.unwrap())));
    }
    let client = app.pool.get().await.unwrap();
    let mut hashes = Vec::new();
    for sid in &sessions {
        let row = client
            .query_one(
                "SELECT visitor_hash FROM clicks WHERE session_id = $1",
                &[sid],
            )
            .await
            .unwrap();
        hashes.push(row.get::<_, String>(0));
    }
    assert_eq!(hashes[0], hashes[1]);
    assert_ne!(hashes[0], hashes[2]);
    assert_ne!(hashes[0], hashes[3]);
    let stored = app.count("SELECT count(*) FROM clicks WHERE visitor_hash LIKE '%203.0.113%' OR user_agent LIKE '%203.0.113%'").await;
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn concurrent_clicks_are_grouped_into_batches_and_all_committed() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let link = app.register_link(&site, "https://prf.hn/a").await;
    let tasks: Vec<_> = (0..400)
        .map(|_| {
            let http = app.http.clone();
            let url = format!("{}/go/{link}", app.address);
            tokio::spawn(async move {
                let response = http
                    .get(url)
                    .header("user-agent", BROWSER_UA)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 302);
                session_of(&location(&response))
            })
        })
        .collect();
    let mut sessions = std::collections::HashSet::new();
    for task in tasks {
        sessions.insert(task.await.unwrap());
    }
    assert_eq!(sessions.len(), 400);
    assert_eq!(app.count("SELECT count(*) FROM clicks").await, 400);
    let metrics = app.metrics().await;
    let batches = metric(&metrics, "affrank_click_batch_size_count");
    assert!(
        batches < 400.0,
        "400 concurrent clicks took {batches} commits: no grouping happened"
    );
}
