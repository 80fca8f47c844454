use crate::helpers::app::{TestApp, TestSite, spawn_app};
use serde_json::{Value, json};

/// The settings version the database holds for `site`.
async fn stored_settings_version(app: &TestApp, site: &TestSite) -> i64 {
    app.count(&format!(
        "SELECT settings_version::bigint FROM sites WHERE id = '{}'",
        site.id
    ))
    .await
}

#[tokio::test]
async fn get_site_shows_settings_postback_url_and_network_presets() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let response = app.api_get(&site.api_key, "/api/v1/site").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["site_id"], site.id.as_str());
    assert_eq!(body["currency"], "USD");
    assert_eq!(body["rel_policy"], "sponsored_nofollow");
    assert_eq!(body["settings_version"], 1);
    assert_eq!(
        body["postback_url"],
        format!(
            "https://track.test/api/v1/postbacks/{}?sessionId={{SESSION_ID}}&amount={{COMMISSION}}&transaction_id={{TRANSACTION_ID}}&token={}",
            site.id, site.secret
        )
    );
    let networks = body["networks"].as_array().unwrap();
    let awin = networks.iter().find(|n| n["id"] == "awin").unwrap();
    assert_eq!(awin["sub_id"], "clickref");
    assert!(
        awin["postback_url"]
            .as_str()
            .unwrap()
            .contains("sessionId=!!!clickRef!!!")
    );
    let cj = networks.iter().find(|n| n["id"] == "cj").unwrap();
    assert_eq!(cj["postback"], "none");
    assert!(cj["postback_url"].is_null());
    assert!(
        !body.to_string().contains(&site.api_key),
        "the key is never echoed"
    );
}

#[tokio::test]
async fn put_site_validates_each_field_and_bumps_the_version() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let response = app
        .put_site(&site.api_key, &json!({"time_zone": "Atlantis/Lost"}))
        .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_field");
    assert_eq!(body["field"], "time_zone");

    let response = app
        .put_site(
            &site.api_key,
            &json!({"link_rules": [{"kind": "regex", "pattern": "(unclosed"}]}),
        )
        .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["field"], "link_rules[0].pattern");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("regular expression")
    );

    let response = app
        .http
        .put(format!("{}/api/v1/site", app.address))
        .bearer_auth(&site.api_key)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);

    let response = app.put_site(
        &site.api_key,
        &json!({"currency": "EUR", "time_zone": "Europe/Paris", "currency_rates": {"USD": "0.92"},
               "link_rules": [{"kind": "host", "pattern": "*.trk.test", "network": "everflow"}]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["settings_version"], 2);
    assert_eq!(body["currency"], "EUR");
    assert_eq!(body["currency_rates"]["USD"], "0.92");
    assert_eq!(stored_settings_version(&app, &site).await, 2);
}

#[tokio::test]
async fn a_missing_or_wrong_key_is_401_and_says_nothing_else() {
    let app = spawn_app().await;
    let _site = app.add_site().await;
    for key in [None, Some("afk_wrong"), Some("")] {
        let mut request = app.http.get(format!("{}/api/v1/site", app.address));
        if let Some(key) = key {
            request = request.header("authorization", format!("Bearer {key}"));
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{key:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body,
            json!({"error": "unauthorized", "message": "missing or invalid API key"})
        );
    }
}

#[tokio::test]
async fn site_rules_decide_which_links_are_rewritten() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let html =
        r#"<a href="https://go.trk.test/c?o=1">a</a> <a href="https://partner.test/ref/9">b</a>"#;
    let before = app.rewrite(&site, html).await;
    assert_eq!(before["links"].as_array().unwrap().len(), 0);
    assert_eq!(before["html"], html);
    let response = app
        .put_site(
            &site.api_key,
            &json!({"link_rules": [
                {"kind": "host", "pattern": "*.trk.test", "network": "everflow"},
                {"kind": "regex", "pattern": "^https://partner\\.test/ref/", "network": null}
            ]}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let after = app.rewrite(&site, html).await;
    let links = after["links"].as_array().unwrap();
    assert_eq!(links.len(), 2);
    assert_eq!(links[0]["network"], "everflow");
    assert!(links[1]["network"].is_null());
    assert_eq!(after["settings_version"], 2);

    let go = app.click(links[0]["id"].as_str().unwrap()).await;
    let location = crate::helpers::http::location(&go);
    let sid = crate::helpers::http::session_of(&location);
    assert!(location.contains(&format!("sub1={sid}")), "{location}");
}

#[tokio::test]
async fn a_save_based_on_settings_that_changed_meanwhile_is_refused() {
    use affrank::ids::SiteId;
    use affrank::sites::sql::{find_site, update_settings};
    let app = spawn_app().await;
    let site = app.add_site().await;
    let client = app.pool.get().await.unwrap();
    let id = SiteId::parse(&site.id).unwrap();
    let read = find_site(&client, &id).await.unwrap().unwrap();
    assert_eq!(
        update_settings(&client, &id, read.settings_version, &read.settings)
            .await
            .unwrap(),
        Some(2)
    );
    // A second writer that read version 1 as well must not overwrite version 2.
    assert_eq!(
        update_settings(&client, &id, read.settings_version, &read.settings)
            .await
            .unwrap(),
        None
    );
    assert_eq!(stored_settings_version(&app, &site).await, 2);
}
