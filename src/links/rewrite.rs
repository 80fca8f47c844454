//! Rewrites affiliate links in post HTML without touching anything else.
//!
//! lol_html parses the document (as a browser would: comments, scripts,
//! `<textarea>` and malformed markup included) and tells us where each
//! `href` and `rel` value sits in the source. We then splice only those
//! byte ranges, so every other byte, including the quoting and spelling of
//! the other attributes in the same tag, comes back exactly as it was sent.

use super::classify::CompiledRules;
use crate::ids::{LinkId, SiteId};
use crate::networks::Network;
use crate::sites::RelPolicy;
use lol_html::{HtmlRewriter, Settings, element};
use std::ops::Range;
use url::Url;

pub struct RewriteContext<'a> {
    pub site: &'a SiteId,
    pub rules: &'a CompiledRules,
    /// Rewritten links become `{tracking_base}/go/{id}`.
    pub tracking_base: &'a str,
    pub rel_policy: RelPolicy,
    pub page_url: &'a str,
    pub keyword: Option<&'a str>,
    pub keyword_source: Option<&'a str>,
}

/// A link found in the HTML and registered under `id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundLink {
    pub id: LinkId,
    pub url: String,
    pub network: Option<Network>,
    pub keyword: Option<String>,
    pub keyword_source: Option<String>,
}

pub struct Rewritten {
    pub html: String,
    /// One entry per distinct link, in document order.
    pub links: Vec<FoundLink>,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RewriteError(String);

/// A position in an `<a>`/`<area>` start tag, taken from lol_html.
struct Anchor {
    href: String,
    href_range: Range<usize>,
    rel: Option<RelAttr>,
    keyword: Option<String>,
}

enum RelAttr {
    Valued {
        value: String,
        range: Range<usize>,
    },
    /// `<a rel href=…>`: present without a value; insert at the name's end.
    Bare {
        name_end: usize,
    },
}

struct Edit {
    at: Range<usize>,
    text: String,
}

pub const LINK_KEYWORD_ATTRIBUTE: &str = "data-affrank-keyword";

/// The longest keyword, from the request or a link's own attribute.
pub const MAX_KEYWORD_CHARS: usize = 200;

pub fn rewrite(html: &str, ctx: &RewriteContext<'_>) -> Result<Rewritten, RewriteError> {
    let anchors = find_anchors(html)?;
    let go_prefix = format!("{}/go/", ctx.tracking_base);
    let mut edits = Vec::new();
    let mut links: Vec<FoundLink> = Vec::new();
    for anchor in anchors {
        let href = decode_entities(&anchor.href);
        let href = href.trim_matches(|c: char| c.is_ascii_whitespace());
        if href.starts_with(&go_prefix) {
            continue;
        }
        let Some(url) = parse_absolute(href) else {
            continue;
        };
        let Some(affiliate) = ctx.rules.classify(&url) else {
            continue;
        };
        let (keyword, keyword_source) = match anchor.keyword.as_deref().map(decode_entities) {
            Some(k) if !k.trim().is_empty() => {
                // Held to the request keyword's rule: it is stored the same way.
                crate::text::check(k.trim(), MAX_KEYWORD_CHARS).map_err(|e| {
                    RewriteError(format!(
                        "the {LINK_KEYWORD_ATTRIBUTE} of the link to {url} {e}"
                    ))
                })?;
                (Some(k.trim().to_owned()), Some("link_attribute".to_owned()))
            }
            _ => (
                ctx.keyword.map(str::to_owned),
                ctx.keyword_source.map(str::to_owned),
            ),
        };
        let id = LinkId::derive(ctx.site, url.as_str(), ctx.page_url, keyword.as_deref());
        let new_href = format!("{go_prefix}{}", id.as_str());
        edits.push(Edit {
            text: quoted_if_needed(html, &anchor.href_range, &new_href),
            at: anchor.href_range.clone(),
        });
        if ctx.rel_policy == RelPolicy::SponsoredNofollow {
            edits.extend(rel_edit(html, &anchor));
        }
        if !links.iter().any(|l| l.id == id) {
            links.push(FoundLink {
                id,
                url: url.to_string(),
                network: affiliate.network,
                keyword,
                keyword_source,
            });
        }
    }
    Ok(Rewritten {
        html: apply(html, edits),
        links,
    })
}

fn find_anchors(html: &str) -> Result<Vec<Anchor>, RewriteError> {
    let mut anchors = Vec::new();
    let mut rewriter = HtmlRewriter::new(
        Settings::new().append_element_content_handler(element!("a[href], area[href]", |el| {
            let attr = |name: &str| el.attributes().iter().find(|a| a.name() == name);
            let Some(href) = attr("href") else {
                return Ok(());
            };
            let Some(href_range) = href.value_source_location().map(|l| l.bytes()) else {
                return Ok(());
            };
            let rel = attr("rel").and_then(|rel| match rel.value_source_location() {
                Some(loc) => Some(RelAttr::Valued {
                    value: rel.value(),
                    range: loc.bytes(),
                }),
                None => rel.name_source_location().map(|loc| RelAttr::Bare {
                    name_end: loc.bytes().end,
                }),
            });
            anchors.push(Anchor {
                href: href.value(),
                href_range,
                rel,
                keyword: attr(LINK_KEYWORD_ATTRIBUTE).map(|a| a.value()),
            });
            Ok(())
        })),
        |_: &[u8]| {},
    );
    rewriter
        .write(html.as_bytes())
        .and_then(|()| rewriter.end())
        .map_err(|e| RewriteError(format!("the HTML could not be parsed: {e}")))?;
    Ok(anchors)
}

/// `https://…`, `http://…` and protocol-relative `//…` (read as https).
fn parse_absolute(href: &str) -> Option<Url> {
    if href.starts_with("//") {
        return Url::parse(&format!("https:{href}")).ok();
    }
    let url = Url::parse(href).ok()?;
    matches!(url.scheme(), "http" | "https").then_some(url)
}

/// Attribute values may spell characters as entities (`&amp;`); the URL is
/// what they decode to.
fn decode_entities(raw: &str) -> String {
    html_escape::decode_html_entities(raw).into_owned()
}

fn escape_attribute(value: &str) -> String {
    html_escape::encode_double_quoted_attribute(value).replace('\'', "&#39;")
}

fn is_quoted(html: &str, value: &Range<usize>) -> bool {
    value.start > 0 && matches!(html.as_bytes()[value.start - 1], b'"' | b'\'')
}

/// An unquoted value gets quotes, since what we write may not be a valid
/// unquoted value.
fn quoted_if_needed(html: &str, range: &Range<usize>, value: &str) -> String {
    if is_quoted(html, range) {
        escape_attribute(value)
    } else {
        format!("\"{}\"", escape_attribute(value))
    }
}

/// Adds `sponsored` and `nofollow` to `rel`, keeping its other tokens.
fn rel_edit(html: &str, anchor: &Anchor) -> Option<Edit> {
    const WANTED: [&str; 2] = ["sponsored", "nofollow"];
    match &anchor.rel {
        None => {
            // Right after the href value (and its closing quote).
            let end = anchor.href_range.end + usize::from(is_quoted(html, &anchor.href_range));
            Some(Edit {
                at: end..end,
                text: " rel=\"sponsored nofollow\"".into(),
            })
        }
        Some(RelAttr::Bare { name_end }) => {
            // `rel` alone, or `rel=` with nothing after the `=`: the value
            // goes after the `=` when there is one.
            let rest = &html.as_bytes()[*name_end..];
            let spaces = rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
            let (at, text) = if rest.get(spaces) == Some(&b'=') {
                (*name_end + spaces + 1, "\"sponsored nofollow\"")
            } else {
                (*name_end, "=\"sponsored nofollow\"")
            };
            Some(Edit {
                at: at..at,
                text: text.into(),
            })
        }
        Some(RelAttr::Valued { value, range }) => {
            let decoded = decode_entities(value);
            let present: Vec<String> = decoded
                .split_ascii_whitespace()
                .map(str::to_ascii_lowercase)
                .collect();
            let missing: Vec<&str> = WANTED
                .into_iter()
                .filter(|w| !present.iter().any(|p| p == w))
                .collect();
            if missing.is_empty() {
                return None;
            }
            let kept = html[range.clone()].trim_end();
            let joined = if kept.is_empty() {
                missing.join(" ")
            } else {
                format!("{kept} {}", missing.join(" "))
            };
            let text = if is_quoted(html, range) {
                // The kept part is already escaped as the source had it; the
                // tokens we add need no escaping.
                joined
            } else {
                format!("\"{joined}\"")
            };
            Some(Edit {
                at: range.clone(),
                text,
            })
        }
    }
}

fn apply(html: &str, mut edits: Vec<Edit>) -> String {
    edits.sort_by_key(|e| (e.at.start, e.at.end));
    let mut out = String::with_capacity(html.len() + edits.len() * 48);
    let mut cursor = 0;
    for edit in edits {
        out.push_str(&html[cursor..edit.at.start]);
        out.push_str(&edit.text);
        cursor = edit.at.end;
    }
    out.push_str(&html[cursor..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(html: &str) -> Rewritten {
        run_with(html, RelPolicy::SponsoredNofollow)
    }

    fn run_with(html: &str, rel_policy: RelPolicy) -> Rewritten {
        try_run(html, rel_policy).unwrap()
    }

    fn try_run(html: &str, rel_policy: RelPolicy) -> Result<Rewritten, RewriteError> {
        let site = SiteId::from_trusted("S".repeat(20));
        let rules = CompiledRules::compile(&[]);
        rewrite(
            html,
            &RewriteContext {
                site: &site,
                rules: &rules,
                tracking_base: "https://t.test",
                rel_policy,
                page_url: "https://blog.test/post/",
                keyword: Some("best shoes"),
                keyword_source: Some("post_meta"),
            },
        )
    }

    fn go(r: &Rewritten, i: usize) -> String {
        format!("https://t.test/go/{}", r.links[i].id.as_str())
    }

    #[test]
    fn rewrites_only_affiliate_hrefs_and_adds_rel() {
        let html = r#"<p>See <a class=x href="https://hop.clickbank.net/?a=1">this</a> and <a href="https://example.com/">that</a>.</p>"#;
        let r = run(html);
        assert_eq!(r.links.len(), 1);
        assert_eq!(
            r.html,
            format!(
                r#"<p>See <a class=x href="{}" rel="sponsored nofollow">this</a> and <a href="https://example.com/">that</a>.</p>"#,
                go(&r, 0)
            )
        );
        assert_eq!(r.links[0].network, Some(Network::ClickBank));
        assert_eq!(r.links[0].keyword.as_deref(), Some("best shoes"));
    }

    #[test]
    fn keeps_quoting_case_and_other_rel_tokens() {
        let r = run(
            "<A HREF='https://www.awin1.com/cread.php?awinmid=1&amp;p=2' REL='noopener' data-x=1>x</A>",
        );
        assert_eq!(
            r.links[0].url,
            "https://www.awin1.com/cread.php?awinmid=1&p=2"
        );
        assert_eq!(
            r.html,
            format!(
                "<A HREF='{}' REL='noopener sponsored nofollow' data-x=1>x</A>",
                go(&r, 0)
            )
        );
    }

    #[test]
    fn quotes_unquoted_values_it_writes() {
        let r = run("<a href=https://prf.hn/click/camref:1 rel=external>x</a>");
        assert_eq!(
            r.html,
            format!(
                r#"<a href="{}" rel="external sponsored nofollow">x</a>"#,
                go(&r, 0)
            )
        );
    }

    #[test]
    fn rel_already_complete_or_bare_or_policy_off() {
        let r = run(r#"<a rel="nofollow Sponsored" href="https://prf.hn/a">x</a>"#);
        assert_eq!(
            r.html,
            format!(r#"<a rel="nofollow Sponsored" href="{}">x</a>"#, go(&r, 0))
        );
        let r = run(r#"<a rel href="https://prf.hn/a">x</a>"#);
        assert_eq!(
            r.html,
            format!(r#"<a rel="sponsored nofollow" href="{}">x</a>"#, go(&r, 0))
        );
        let r = run_with(r#"<a href="https://prf.hn/a">x</a>"#, RelPolicy::None);
        assert_eq!(r.html, format!(r#"<a href="{}">x</a>"#, go(&r, 0)));
    }

    #[test]
    fn rel_with_an_equals_sign_and_no_value() {
        for (html, want) in [
            (
                r#"<a href="https://prf.hn/a" rel=>x</a>"#,
                r#"<a href="GO" rel="sponsored nofollow">x</a>"#,
            ),
            (
                r#"<a href="https://prf.hn/a" rel= >x</a>"#,
                r#"<a href="GO" rel="sponsored nofollow" >x</a>"#,
            ),
            (
                r#"<a href="https://prf.hn/a" rel >x</a>"#,
                r#"<a href="GO" rel="sponsored nofollow" >x</a>"#,
            ),
            (
                r#"<a rel = href="https://prf.hn/a">x</a>"#,
                r#"<a rel = href="https://prf.hn/a">x</a>"#,
            ),
        ] {
            let r = run(html);
            let want = if r.links.is_empty() {
                want.to_owned()
            } else {
                want.replace("GO", &go(&r, 0))
            };
            assert_eq!(r.html, want, "{html}");
        }
    }

    #[test]
    fn hard_attribute_cases() {
        // Self-closing, no whitespace between attributes, duplicate href and
        // rel (the first wins, as in browsers), entities inside rel.
        let r = run(r#"<area href="https://prf.hn/a"/>"#);
        assert_eq!(
            r.html,
            format!(r#"<area href="{}" rel="sponsored nofollow"/>"#, go(&r, 0))
        );
        let r = run(r#"<a href="https://prf.hn/a"title="t">x</a>"#);
        assert_eq!(
            r.html,
            format!(
                r#"<a href="{}" rel="sponsored nofollow"title="t">x</a>"#,
                go(&r, 0)
            )
        );
        let r = run(
            r#"<a href="https://prf.hn/a" href="https://evil.test/" rel="noopener" rel="x">x</a>"#,
        );
        assert_eq!(
            r.html,
            format!(
                r#"<a href="{}" href="https://evil.test/" rel="noopener sponsored nofollow" rel="x">x</a>"#,
                go(&r, 0)
            )
        );
        let r = run(r#"<a rel="&#115;ponsored nofollow" href="https://prf.hn/a">x</a>"#);
        assert_eq!(
            r.html,
            format!(
                r#"<a rel="&#115;ponsored nofollow" href="{}">x</a>"#,
                go(&r, 0)
            )
        );
        let r = run(r#"<a href=https://prf.hn/a/>x</a>"#);
        assert_eq!(r.links[0].url, "https://prf.hn/a/");
        assert_eq!(
            r.html,
            format!(r#"<a href="{}" rel="sponsored nofollow">x</a>"#, go(&r, 0))
        );
    }

    #[test]
    fn leaves_comments_scripts_textareas_and_escaped_code_alone() {
        let html = concat!(
            "<!-- <a href=\"https://prf.hn/a\">x</a> -->",
            "<script>document.write('<a href=\"https://prf.hn/a\">x</a>')</script>",
            "<textarea><a href=\"https://prf.hn/a\">x</a></textarea>",
            "<pre><code>&lt;a href=\"https://prf.hn/a\"&gt;</code></pre>",
            "<style>a[href=\"https://prf.hn/a\"]{}</style>",
        );
        let r = run(html);
        assert!(r.links.is_empty());
        assert_eq!(r.html, html);
    }

    #[test]
    fn does_not_wrap_its_own_links_twice() {
        let once = run(r#"<a href="https://prf.hn/a">x</a>"#);
        let twice = run(&once.html);
        assert_eq!(twice.html, once.html);
        assert!(twice.links.is_empty());
    }

    #[test]
    fn a_links_own_keyword_attribute_wins() {
        let r = run(
            r#"<a data-affrank-keyword="red &amp; blue" href="https://prf.hn/a">x</a><a href="https://prf.hn/a">y</a>"#,
        );
        assert_eq!(r.links.len(), 2);
        assert_eq!(r.links[0].keyword.as_deref(), Some("red & blue"));
        assert_eq!(r.links[0].keyword_source.as_deref(), Some("link_attribute"));
        assert_eq!(r.links[1].keyword.as_deref(), Some("best shoes"));
    }

    /// Stored like the request's keyword, so held to the same rule.
    #[test]
    fn a_keyword_attribute_with_a_control_character_or_too_long_is_refused() {
        for keyword in ["a\0b", "a\u{1}b", "a\u{85}b", &"k".repeat(201)] {
            let html =
                format!(r#"<a data-affrank-keyword="{keyword}" href="https://prf.hn/a">x</a>"#);
            let e = try_run(&html, RelPolicy::None)
                .err()
                .expect(keyword)
                .to_string();
            assert!(
                e.starts_with("the data-affrank-keyword of the link to https://prf.hn/a "),
                "{e}"
            );
        }
        let longest = "k".repeat(200);
        let html = format!(r#"<a data-affrank-keyword="{longest}" href="https://prf.hn/a">x</a>"#);
        assert_eq!(run(&html).links[0].keyword.as_deref(), Some(&*longest));
    }

    #[test]
    fn the_same_link_twice_is_registered_once_with_one_id() {
        let r = run(r#"<a href="https://prf.hn/a">x</a><area href="https://prf.hn/a">"#);
        assert_eq!(r.links.len(), 1);
        assert_eq!(r.html.matches(&go(&r, 0)).count(), 2);
    }

    #[test]
    fn protocol_relative_and_whitespace_padded_hrefs() {
        let r = run("<a href=\" //prf.hn/a \">x</a>");
        assert_eq!(r.links[0].url, "https://prf.hn/a");
    }

    #[test]
    fn malformed_html_survives() {
        // No space before `<b`, and a tag the document ends inside of: the
        // first href is still an href to a browser, the second never a tag.
        let html = "<div><a href=\"https://prf.hn/a\"<b>x</a></p><a href='https://prf.hn/b";
        let r = run(html);
        assert_eq!(r.links.len(), 1);
        assert_eq!(
            r.html,
            format!(
                "<div><a href=\"{}\" rel=\"sponsored nofollow\"<b>x</a></p><a href='https://prf.hn/b",
                go(&r, 0)
            )
        );
    }
}
