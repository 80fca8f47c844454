//! Hostile input: oversized requests, invalid UTF-8, SQL- and script-like
//! values.

use super::{conversion, log_rows};
use crate::helpers::app::spawn_app;
use crate::helpers::http::{raw_get_status, urlencode};

#[tokio::test]
async fn hostile_input_is_refused_or_stored_as_text() {
    let app = spawn_app().await;
    let site = app.add_site().await;
    let t = &site.secret;
    // 100 KB of query string.
    let long = "x".repeat(100 * 1024);
    let path = format!("/api/v1/postbacks/{}?sid=a&junk={long}&token={t}", site.id);
    let status = raw_get_status(&app.address, &path).await;
    assert_eq!(status, 414);
    let response = app
        .http
        .post(app.postback_url(&site.id))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("sid=a&token={t}&junk={long}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    // Invalid UTF-8 names its parameter.
    let (status, body) = app
        .postback(&site.id, &format!("sid=a&event=%C3%28&token={t}"))
        .await;
    assert_eq!((status, body["parameter"].as_str()), (400, Some("event")));
    // SQL-looking and script values are text, stored as sent.
    let script = "<script>alert(1)</script>";
    let sql = "x'); DROP TABLE conversions; --";
    let query = format!(
        "sid=Hostile1&oid={}&event={}&token={t}",
        urlencode(sql),
        urlencode(script)
    );
    let (status, body) = app.postback(&site.id, &query).await;
    assert_eq!(status, 200, "{body}");
    let row = conversion(&app, &site).await;
    assert_eq!(row.get::<_, String>(12), script);
    assert_eq!(row.get::<_, String>(13), sql);
    let rows = log_rows(&app, &site, "").await;
    assert_eq!(rows[0]["params"]["event"], script);
    // A script in the session id is refused, and the log keeps it as text.
    let (status, body) = app
        .postback(&site.id, &format!("sid={}&token={t}", urlencode(script)))
        .await;
    assert_eq!((status, body["parameter"].as_str()), (400, Some("sid")));
    assert_eq!(
        log_rows(&app, &site, "limit=1").await[0]["params"]["sid"],
        script
    );
    assert_eq!(app.count("SELECT count(*) FROM conversions").await, 1);
}
