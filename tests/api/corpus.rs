//! Every post of the WordPress Theme Test Data, with affiliate links of every
//! network mixed in, comes back byte for byte except the rewritten hrefs
//! and their `rel`.

use affrank::ids::{LinkId, SiteId};
use affrank::links::CompiledRules;
use affrank::links::rewrite::{RewriteContext, rewrite};
use affrank::sites::{LinkRule, RelPolicy, RuleKind};

const PAGE: &str = "https://blog.test/corpus/";
const KEYWORD: &str = "corpus keyword";
const BASE: &str = "https://track.test";

/// One URL per network of DESIGN.md (the last three through site rules),
/// written as it would appear in an attribute.
const AFFILIATE_URLS: &[&str] = &[
    "https://hop.clickbank.net/?affiliate=me&amp;vendor=v",
    "https://www.anrdoezrs.net/click-100-200?sid=x",
    "https://brand.sjv.io/c/1/2/3?subId1=old",
    "https://shareasale.com/r.cfm?b=1&amp;u=2&amp;m=3&amp;afftrack=",
    "https://click.linksynergy.com/deeplink?id=abc&amp;mid=1&amp;murl=https%3A%2F%2Fshop.test%2F",
    "https://www.awin1.com/cread.php?awinmid=1&amp;awinaffid=2",
    "https://track.everflow.test/abc/def/",
    "https://cake.example.test/?a=1&amp;c=2",
    "https://tune.example.test/aff_c?offer_id=1",
    "https://prf.hn/click/camref:1100l3/pubref:x",
    "https://www.amazon.com/dp/B000?tag=me-20",
];

fn rules() -> CompiledRules {
    let rule = |pattern: &str, network: &str| LinkRule {
        kind: RuleKind::Host,
        pattern: pattern.into(),
        network: Some(network.into()),
    };
    CompiledRules::compile(&[
        rule("track.everflow.test", "everflow"),
        rule("cake.example.test", "cake"),
        rule("*.example.test/aff_c", "tune"),
    ])
}

fn site() -> SiteId {
    SiteId::from_trusted("C".repeat(20))
}

fn go_url(attribute_url: &str) -> String {
    let decoded = html_escape::decode_html_entities(attribute_url);
    let url = url::Url::parse(&decoded).unwrap();
    format!(
        "{BASE}/go/{}",
        LinkId::derive(&site(), url.as_str(), PAGE, Some(KEYWORD)).as_str()
    )
}

/// An anchor in one of several spellings, and what it must become.
fn anchor(n: usize) -> (String, String) {
    let url = AFFILIATE_URLS[n % AFFILIATE_URLS.len()];
    let go = go_url(url);
    match n % 5 {
        0 => (
            format!("<a href=\"{url}\">deal {n}</a>"),
            format!("<a href=\"{go}\" rel=\"sponsored nofollow\">deal {n}</a>"),
        ),
        1 => (
            format!("<a href='{url}' rel='noopener'>deal {n}</a>"),
            format!("<a href='{go}' rel='noopener sponsored nofollow'>deal {n}</a>"),
        ),
        2 if !url.contains('&') => (
            format!("<A HREF={url} TARGET=_blank>deal {n}</A>"),
            format!("<A HREF=\"{go}\" rel=\"sponsored nofollow\" TARGET=_blank>deal {n}</A>"),
        ),
        3 => (
            format!("<a\n  class=\"btn\"\n  href=\"{url}\"\n  data-x='1'>deal {n}</a>"),
            format!(
                "<a\n  class=\"btn\"\n  href=\"{go}\" rel=\"sponsored nofollow\"\n  data-x='1'>deal {n}</a>"
            ),
        ),
        _ => (
            format!("<a rel=\"nofollow sponsored\" href=\"{url}\">deal {n}</a>"),
            format!("<a rel=\"nofollow sponsored\" href=\"{go}\">deal {n}</a>"),
        ),
    }
}

/// Post bodies from a WXR export: each `<content:encoded>` CDATA section,
/// with WordPress's escape for a literal `]]>` (split across two sections) undone.
fn posts(file: &str) -> Vec<String> {
    let path = format!("{}/tests/corpus/{file}", env!("CARGO_MANIFEST_DIR"));
    let xml = std::fs::read_to_string(path).unwrap();
    const OPEN: &str = "<content:encoded><![CDATA[";
    const CLOSE: &str = "]]></content:encoded>";
    let mut posts = Vec::new();
    let mut rest = xml.as_str();
    while let Some(start) = rest.find(OPEN) {
        let body = &rest[start + OPEN.len()..];
        let end = body.find(CLOSE).expect("a closed content section");
        let post = body[..end].replace("]]]]><![CDATA[>", "]]>");
        if !post.trim().is_empty() {
            posts.push(post);
        }
        rest = &body[end + CLOSE.len()..];
    }
    posts
}

/// Where an anchor can go and be an element: after a `</p>` that is in
/// normal flow (not inside a comment, script, style or textarea).
fn insertion_points(html: &str) -> Vec<usize> {
    let lower = html.to_ascii_lowercase();
    let open = |prefix: &str, open: &str, close: &str| {
        prefix.matches(open).count() > prefix.matches(close).count()
    };
    let mut points = vec![0];
    let mut from = 0;
    while let Some(i) = lower[from..].find("</p>") {
        let at = from + i + 4;
        let prefix = &lower[..at];
        if !open(prefix, "<!--", "-->")
            && !open(prefix, "<script", "</script")
            && !open(prefix, "<style", "</style")
            && !open(prefix, "<textarea", "</textarea")
        {
            points.push(at);
        }
        from = at;
    }
    points.push(html.len());
    points
}

/// The post with anchors inserted, and the rewrite it must produce.
fn mix(post: &str, seed: usize) -> (String, String, usize) {
    let (mut input, mut expected) = (String::new(), String::new());
    let mut last = 0;
    let points = insertion_points(post);
    for (k, &at) in points.iter().enumerate() {
        let (a, b) = anchor(seed + k);
        input.push_str(&post[last..at]);
        expected.push_str(&post[last..at]);
        input.push_str(&a);
        expected.push_str(&b);
        last = at;
    }
    input.push_str(&post[last..]);
    expected.push_str(&post[last..]);
    (input, expected, points.len())
}

fn rewrite_post(html: &str) -> affrank::links::rewrite::Rewritten {
    rewrite_for(&site(), html)
}

fn rewrite_for(site: &SiteId, html: &str) -> affrank::links::rewrite::Rewritten {
    let rules = rules();
    rewrite(
        html,
        &RewriteContext {
            site,
            rules: &rules,
            tracking_base: BASE,
            rel_policy: RelPolicy::SponsoredNofollow,
            page_url: PAGE,
            keyword: Some(KEYWORD),
            keyword_source: Some("post_meta"),
        },
    )
    .unwrap()
}

#[test]
fn every_theme_test_post_keeps_every_byte_outside_rewritten_links() {
    let mut checked = 0;
    let mut anchors = 0;
    for file in ["themeunittestdata.wordpress.xml", "64-block-test-data.xml"] {
        let posts = posts(file);
        assert!(posts.len() > 50, "{file}: {} posts", posts.len());
        for (i, post) in posts.iter().enumerate() {
            // Untouched when nothing in it is an affiliate link.
            assert_eq!(
                rewrite_post(post).html,
                *post,
                "{file} post {i} changed without affiliate links"
            );
            let (input, expected, inserted) = mix(post, i);
            let result = rewrite_post(&input);
            if result.html != expected {
                let at = result
                    .html
                    .bytes()
                    .zip(expected.bytes())
                    .position(|(a, b)| a != b)
                    .unwrap_or(0);
                panic!(
                    "{file} post {i}: first difference at byte {at}:\n got: {:?}\nwant: {:?}",
                    &result.html[at.saturating_sub(80)..(at + 120).min(result.html.len())],
                    &expected[at.saturating_sub(80)..(at + 120).min(expected.len())]
                );
            }
            assert_eq!(
                result.html.matches(&format!("{BASE}/go/")).count(),
                inserted
            );
            checked += 1;
            anchors += inserted;
        }
    }
    assert!(checked > 150, "{checked} posts");
    println!("{checked} posts, {anchors} affiliate links rewritten, every other byte unchanged");
}

#[tokio::test]
async fn the_endpoint_returns_the_same_bytes_as_the_library_for_the_largest_posts() {
    let app = crate::helpers::app::spawn_app().await;
    let site = app.add_site().await;
    let response = app
        .http
        .put(format!("{}/api/v1/site", app.address))
        .bearer_auth(&site.api_key)
        .json(&serde_json::json!({"link_rules": [
            {"kind": "host", "pattern": "track.everflow.test", "network": "everflow"},
            {"kind": "host", "pattern": "cake.example.test", "network": "cake"},
            {"kind": "host", "pattern": "*.example.test/aff_c", "network": "tune"}
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let site_id = SiteId::parse(&site.id).unwrap();
    let mut posts = posts("themeunittestdata.wordpress.xml");
    posts.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for post in posts.iter().take(5) {
        let (input, _, inserted) = mix(post, 0);
        let body = app
            .post_rewrite(
                Some(&site.api_key),
                &serde_json::json!({"html": input, "page_url": PAGE, "keyword": KEYWORD, "keyword_source": "post_meta"}),
            )
            .await
            .json::<serde_json::Value>()
            .await
            .unwrap();
        let html = body["html"].as_str().unwrap();
        assert_eq!(html.matches("https://track.test/go/").count(), inserted);
        assert_eq!(html, rewrite_for(&site_id, &input).html);
    }
}
