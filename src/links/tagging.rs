//! Puts the session id into the destination URL: `affrank_sid`, and the
//! network's own sub-id parameter where the network is known.
//!
//! The query is edited as raw text, segment by segment, so every other
//! parameter keeps its exact spelling (encoding, order, empty values) and
//! the fragment stays where it is.

use crate::ids::SessionId;
use crate::networks::Network;
use url::Url;

pub const SESSION_PARAM: &str = "affrank_sid";

/// A link's tagged URL with the session id left out, so a click only joins
/// strings: tagging parses the URL once per link instead of once per click.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedirectTemplate {
    /// The tagged URL, split where the session id goes.
    pieces: Vec<String>,
}

impl RedirectTemplate {
    /// Tags `url` with a stand-in session id and splits the result there.
    /// Tagging only ever writes the id as it is (it is alphanumeric, which
    /// no URL syntax encodes), so putting the real id back in gives what
    /// `tag_url` would. That is checked here with a second stand-in; a URL
    /// that fails the check (one that contains a stand-in already) has no
    /// template and is tagged click by click.
    pub fn new(url: &str, network: Option<Network>) -> Option<Self> {
        const STAND_IN: &str = "XaffrankSessionStandIn";
        const CHECK: &str = "YaffrankSessionCheck";
        let stand_in = SessionId::parse(STAND_IN).expect("the stand-in is a session id");
        let check = SessionId::parse(CHECK).expect("the check is a session id");
        let template = Self {
            pieces: tag_url(url, &stand_in, network)
                .split(STAND_IN)
                .map(str::to_owned)
                .collect(),
        };
        (template.pieces.len() > 1 && template.render(&check) == tag_url(url, &check, network))
            .then_some(template)
    }

    pub fn render(&self, session: &SessionId) -> String {
        let id = session.as_str();
        let len =
            self.pieces.iter().map(String::len).sum::<usize>() + id.len() * (self.pieces.len() - 1);
        let mut out = String::with_capacity(len);
        for (i, piece) in self.pieces.iter().enumerate() {
            if i > 0 {
                out.push_str(id);
            }
            out.push_str(piece);
        }
        out
    }
}

/// `url` was stored by the rewrite, so it parses; a URL that no longer does
/// is returned as it is rather than broken further.
pub fn tag_url(url: &str, session: &SessionId, network: Option<Network>) -> String {
    let Ok(mut parsed) = Url::parse(url) else {
        return url.to_owned();
    };
    let mut params: Vec<&str> = vec![SESSION_PARAM];
    match network {
        // Partnerize reads its parameters from the path: /camref:X/pubref:Y/destination:…
        Some(Network::Partnerize) => set_path_param(&mut parsed, "pubref", session.as_str()),
        Some(network) => params.push(network.sub_id()),
        None => {}
    }
    let query = set_params(parsed.query().unwrap_or(""), &params, session.as_str());
    parsed.set_query(Some(&query));
    parsed.into()
}

/// An Amazon link with its `tag=` (the Associates tracking id) set to
/// `tracking_id`, every other byte of the URL as it was. Tracking ids are
/// letters, digits, `_` and `-` (`sites::model::validate_tracking_id`), which
/// no query syntax encodes. A URL that does not parse stays as it is.
pub fn with_amazon_tag(url: &str, tracking_id: &str) -> String {
    let Ok(mut parsed) = Url::parse(url) else {
        return url.to_owned();
    };
    let query = set_params(parsed.query().unwrap_or(""), &["tag"], tracking_id);
    parsed.set_query(Some(&query));
    parsed.into()
}

/// Sets a `key:value` path segment: in place of an existing one, else before
/// `destination:` (which must stay last), else at the end.
fn set_path_param(url: &mut Url, key: &str, value: &str) {
    let prefix = format!("{key}:");
    let mut segments: Vec<String> = url.path().split('/').map(str::to_owned).collect();
    let new = format!("{prefix}{value}");
    if let Some(i) = segments.iter().position(|s| s.starts_with(&prefix)) {
        segments[i] = new;
    } else if let Some(i) = segments.iter().position(|s| s.starts_with("destination:")) {
        segments.insert(i, new);
    } else {
        if segments.last().is_some_and(|s| s.is_empty()) {
            segments.pop();
        }
        segments.push(new);
    }
    url.set_path(&segments.join("/"));
}

/// Sets each of `names` to `value`: in place of its first occurrence,
/// dropping later ones, or appended when absent.
fn set_params(query: &str, names: &[&str], value: &str) -> String {
    let mut placed = vec![false; names.len()];
    let mut segments: Vec<String> = Vec::new();
    for segment in query.split('&').filter(|s| !s.is_empty()) {
        let key = segment.split('=').next().unwrap_or("");
        let decoded: String = form_urlencoded_key(key);
        match names.iter().position(|n| *n == decoded) {
            Some(i) if placed[i] => {}
            Some(i) => {
                placed[i] = true;
                segments.push(format!("{}={value}", names[i]));
            }
            None => segments.push(segment.to_owned()),
        }
    }
    for (i, name) in names.iter().enumerate() {
        if !placed[i] {
            segments.push(format!("{name}={value}"));
        }
    }
    segments.join("&")
}

fn form_urlencoded_key(key: &str) -> String {
    url::form_urlencoded::parse(key.as_bytes())
        .next()
        .map(|(k, _)| k.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sid() -> SessionId {
        SessionId::parse("abcDEF123").unwrap()
    }

    #[test]
    fn the_amazon_tag_is_replaced_in_place() {
        assert_eq!(
            with_amazon_tag(
                "https://www.amazon.com/dp/B000000001?th=1&tag=old-20&psc=1#x",
                "page-21"
            ),
            "https://www.amazon.com/dp/B000000001?th=1&tag=page-21&psc=1#x"
        );
        assert_eq!(
            with_amazon_tag("https://amazon.de/dp/B000000001?TAG=a&tag=b&tag=c", "p-21"),
            "https://amazon.de/dp/B000000001?TAG=a&tag=p-21"
        );
        assert_eq!(
            tag_url(
                &with_amazon_tag("https://www.amazon.com/dp/B0?tag=me-20", "page-20"),
                &sid(),
                Some(Network::Amazon)
            ),
            "https://www.amazon.com/dp/B0?tag=page-20&affrank_sid=abcDEF123&ascsubtag=abcDEF123"
        );
    }

    #[test]
    fn adds_the_session_id_and_the_networks_sub_id() {
        assert_eq!(
            tag_url(
                "https://shareasale.com/r.cfm?b=1&u=2&afftrack=old#top",
                &sid(),
                Some(Network::ShareASale)
            ),
            "https://shareasale.com/r.cfm?b=1&u=2&afftrack=abcDEF123&affrank_sid=abcDEF123#top"
        );
        assert_eq!(
            tag_url("https://prf.hn/click/camref:1", &sid(), None),
            "https://prf.hn/click/camref:1?affrank_sid=abcDEF123"
        );
        assert_eq!(
            tag_url(
                "https://www.amazon.com/dp/B0?tag=me-20",
                &sid(),
                Some(Network::Amazon)
            ),
            "https://www.amazon.com/dp/B0?tag=me-20&affrank_sid=abcDEF123&ascsubtag=abcDEF123"
        );
    }

    #[test]
    fn partnerize_gets_its_pubref_in_the_path() {
        assert_eq!(
            tag_url(
                "https://prf.hn/click/camref:1100l3/pubref:old/destination:https%3A%2F%2Fshop.test%2Fx",
                &sid(),
                Some(Network::Partnerize)
            ),
            "https://prf.hn/click/camref:1100l3/pubref:abcDEF123/destination:https%3A%2F%2Fshop.test%2Fx?affrank_sid=abcDEF123"
        );
        assert_eq!(
            tag_url(
                "https://prf.hn/click/camref:1100l3/destination:https%3A%2F%2Fshop.test%2F",
                &sid(),
                Some(Network::Partnerize)
            ),
            "https://prf.hn/click/camref:1100l3/pubref:abcDEF123/destination:https%3A%2F%2Fshop.test%2F?affrank_sid=abcDEF123"
        );
        assert_eq!(
            tag_url(
                "https://prf.hn/click/camref:1100l3/",
                &sid(),
                Some(Network::Partnerize)
            ),
            "https://prf.hn/click/camref:1100l3/pubref:abcDEF123?affrank_sid=abcDEF123"
        );
    }

    #[test]
    fn replaces_earlier_values_and_keeps_odd_spellings() {
        assert_eq!(
            tag_url(
                "https://x.test/?affrank_sid=1&q=a%20b+c&e=&affrank_sid=2&flag",
                &sid(),
                None
            ),
            "https://x.test/?affrank_sid=abcDEF123&q=a%20b+c&e=&flag"
        );
        assert_eq!(
            tag_url(
                "https://x.sjv.io/c/1?subId1=mine&u=https%3A%2F%2Fshop.test%2F%3Fa%3D1",
                &sid(),
                Some(Network::Impact)
            ),
            "https://x.sjv.io/c/1?subId1=abcDEF123&u=https%3A%2F%2Fshop.test%2F%3Fa%3D1&affrank_sid=abcDEF123"
        );
    }

    #[test]
    fn a_template_renders_what_tagging_writes() {
        let url = "https://prf.hn/click/camref:1/destination:https%3A%2F%2Fs.test%2F?x=1#f";
        let template = RedirectTemplate::new(url, Some(Network::Partnerize)).unwrap();
        assert_eq!(
            template.render(&sid()),
            tag_url(url, &sid(), Some(Network::Partnerize))
        );
        assert_eq!(
            RedirectTemplate::new("https://x.test/?q=XaffrankSessionStandIn", None),
            None,
            "a URL holding the stand-in is tagged click by click"
        );
    }

    fn param() -> impl Strategy<Value = (String, String)> {
        ("[a-zA-Z][a-zA-Z0-9_]{0,8}", "[a-zA-Z0-9%._~-]{0,10}")
            .prop_filter("not ours", |(k, _)| k != SESSION_PARAM && k != "sid")
    }

    proptest! {
        #[test]
        fn tagging_keeps_every_other_parameter_in_order(
            params in proptest::collection::vec(param(), 0..8),
            old_sid in proptest::option::of("[a-z0-9]{0,6}"),
            fragment in proptest::option::of("[a-z]{0,6}"),
        ) {
            let mut query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            if let Some(old) = &old_sid { query.insert(query.len() / 2, format!("affrank_sid={old}")); }
            let mut url = format!("https://www.dpbolvw.net/click-1-2?{}", query.join("&"));
            if let Some(f) = &fragment { url.push('#'); url.push_str(f); }
            let session = SessionId::mint();
            let tagged = tag_url(&url, &session, Some(Network::Cj));
            let parsed = Url::parse(&tagged).expect("the result parses");
            let raw: Vec<&str> = parsed.query().unwrap().split('&').collect();
            prop_assert_eq!(raw.iter().filter(|s| s.starts_with("affrank_sid=")).count(), 1);
            prop_assert_eq!(raw.iter().filter(|s| s.starts_with("sid=")).count(), 1);
            let pairs: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
            prop_assert!(pairs.contains(&(SESSION_PARAM.to_string(), session.as_str().to_string())));
            let kept: Vec<&str> = raw.iter().copied().filter(|s| !s.starts_with("affrank_sid=") && !s.starts_with("sid=")).collect();
            let expected: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            prop_assert_eq!(kept, expected.iter().map(String::as_str).collect::<Vec<_>>());
            prop_assert_eq!(parsed.fragment(), fragment.as_deref());
        }

        #[test]
        fn a_template_renders_what_tagging_writes_for_any_url(
            path in "(/[a-zA-Z0-9:%._~-]{0,12}){0,4}",
            params in proptest::collection::vec(param(), 0..6),
            fragment in proptest::option::of("[a-z0-9]{0,6}"),
            network in proptest::option::of(proptest::sample::select(Network::ALL.to_vec())),
        ) {
            let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let mut url = format!("https://shop.test{path}?{}", query.join("&"));
            if let Some(f) = &fragment { url.push('#'); url.push_str(f); }
            let session = SessionId::mint();
            let template = RedirectTemplate::new(&url, network).expect("a template");
            prop_assert_eq!(template.render(&session), tag_url(&url, &session, network));
        }
    }
}
