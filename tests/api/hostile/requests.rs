//! Every field of every endpoint, and the raw HTTP request that puts a
//! hostile value there. Requests are written byte by byte over a bare
//! connection, since HTTP clients refuse to send most of these values.

use super::values::Hostile;
use crate::helpers::http::raw_exchange;
use std::time::Duration;

/// Whose credentials go with the request: the site's API key or postback
/// token, a wrong one, or none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Auth {
    Valid,
    Wrong,
    Missing,
}

/// What a request may use: a site, its secrets, one of its links.
pub struct Target {
    pub address: String,
    pub site_id: String,
    pub api_key: String,
    pub secret: String,
    pub session: String,
    pub link_id: String,
}

const POSTBACK_PARAMS: &[&str] = &[
    "sid", "amount", "txid", "currency", "event", "status", "test", "token", "extra", "name",
];
const REPORTS: &[&str] = &["summary", "timeseries", "keywords", "pages", "links"];
const REPORT_PARAMS: &[&str] = &[
    "from", "to", "sort", "order", "limit", "offset", "format", "name",
];

/// Every field a hostile value is put into, `endpoint:field`.
pub fn fields() -> Vec<String> {
    let mut fields: Vec<String> = [
        "go:path",
        "go-head:path",
        "go:user-agent",
        "go:referer",
        "go:x-forwarded-for",
        "go:sec-purpose",
        "rewrite:body",
        "rewrite:html",
        "rewrite:href",
        "rewrite:keyword-attribute",
        "rewrite:page_url",
        "rewrite:page_url-path",
        "rewrite:post_id",
        "rewrite:keyword",
        "rewrite:keyword_source",
        "rewrite:field-name",
        "rewrite:authorization",
        "site-get:authorization",
        "site-put:body",
        "site-put:name",
        "site-put:url",
        "site-put:currency",
        "site-put:time_zone",
        "site-put:tracking_base_url",
        "site-put:rel_policy",
        "site-put:exclude_bots",
        "site-put:regex-pattern",
        "site-put:host-pattern",
        "site-put:rule-network",
        "site-put:rule-kind",
        "site-put:rate-code",
        "site-put:rate",
        "site-put:field-name",
        "postback:site-path",
        "postback:content-type",
        "postback:x-forwarded-for",
        "postback:body",
        "postback:json-body",
        "log:limit",
        "log:status",
        "log:name",
        "log:authorization",
        "health:query",
        "health:authorization",
        "links:since",
        "links:limit",
        "links:name",
        "links:authorization",
        "untracked:body",
        "untracked:link_id",
        "untracked:day",
        "untracked:clicks",
        "untracked:field-name",
        "ops:healthz",
        "ops:readyz",
        "ops:metrics",
    ]
    .map(String::from)
    .to_vec();
    for shape in ["query", "form", "json"] {
        fields.extend(
            POSTBACK_PARAMS
                .iter()
                .map(|p| format!("postback-{shape}:{p}")),
        );
    }
    for report in REPORTS {
        fields.extend(REPORT_PARAMS.iter().map(|p| format!("report-{report}:{p}")));
    }
    fields
}

/// A request before it is written out.
struct Request {
    method: &'static str,
    target: Vec<u8>,
    headers: Vec<(&'static str, Vec<u8>)>,
    body: Option<Vec<u8>>,
}

impl Request {
    fn new(method: &'static str, target: impl Into<Vec<u8>>) -> Self {
        Self {
            method,
            target: target.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    fn header(mut self, name: &'static str, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    fn bearer(self, t: &Target, auth: Auth) -> Self {
        match auth {
            Auth::Valid => self.header("authorization", format!("Bearer {}", t.api_key)),
            Auth::Wrong => self.header("authorization", "Bearer not-the-key-0000000000"),
            Auth::Missing => self,
        }
    }

    fn body(mut self, content_type: Option<&str>, body: Vec<u8>) -> Self {
        if let Some(content_type) = content_type {
            self.headers
                .push(("content-type", content_type.as_bytes().to_vec()));
        }
        self.body = Some(body);
        self
    }

    fn bytes(&self, host: &str) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(self.method.as_bytes());
        out.push(b' ');
        out.extend_from_slice(&self.target);
        out.extend_from_slice(
            format!(" HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n").as_bytes(),
        );
        for (name, value) in &self.headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        if let Some(body) = &self.body {
            out.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
            out.extend_from_slice(body);
        } else {
            out.extend_from_slice(b"\r\n");
        }
        out
    }
}

/// Percent-encodes every byte but the unreserved ones; `raw` sends the
/// bytes as they are (most such requests are refused by the HTTP parser).
fn enc(bytes: &[u8], raw: bool) -> Vec<u8> {
    if raw {
        return bytes.to_vec();
    }
    let mut out = Vec::with_capacity(bytes.len() * 3);
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b);
        } else {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        }
    }
    out
}

fn form(pairs: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let encoded: Vec<Vec<u8>> = pairs
        .iter()
        .map(|(n, v)| [&n[..], b"=", v].concat())
        .collect();
    encoded.join(&b'&')
}

/// A JSON object from members whose names and values are JSON already.
fn object(members: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let inner: Vec<Vec<u8>> = members
        .iter()
        .map(|(n, v)| [&n[..], b":", v].concat())
        .collect();
    [&b"{"[..], &inner.join(&b','), b"}"].concat()
}

fn js(text: &str) -> Vec<u8> {
    serde_json::to_vec(text).unwrap()
}

/// `"prefix` + the hostile value + `suffix"` as one JSON string.
fn spliced(prefix: &str, h: &Hostile, suffix: &str) -> Vec<u8> {
    let p = js(prefix);
    let s = js(suffix);
    [&p[..p.len() - 1], &h.in_string, &s[1..]].concat()
}

/// Replaces the member named `name` (or adds it).
fn with(
    mut members: Vec<(Vec<u8>, Vec<u8>)>,
    name: &str,
    value: Vec<u8>,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    let key = js(name);
    members.retain(|(n, _)| *n != key);
    members.push((key, value));
    members
}

/// The request that puts `h` into `field`. `seq` makes transaction ids unique.
pub fn build(t: &Target, field: &str, h: &Hostile, auth: Auth, raw: bool, seq: u64) -> Vec<u8> {
    let (endpoint, part) = field.split_once(':').expect("endpoint:field");
    let request = match endpoint {
        "go" | "go-head" => go(t, endpoint == "go-head", part, h, raw),
        "rewrite" => rewrite(t, part, h, auth),
        "site-get" => Request::new("GET", "/api/v1/site").header("authorization", h.bytes.clone()),
        "site-put" => site_put(t, part, h, auth),
        "postback" => postback_transport(t, part, h, auth, raw, seq),
        "log" => log(t, part, h, auth, raw),
        "links" => links(t, part, h, auth, raw),
        "health" if part == "authorization" => {
            Request::new("GET", "/api/v1/health").header("authorization", h.bytes.clone())
        }
        "health" => Request::new(
            "GET",
            [&b"/api/v1/health?x="[..], &enc(&h.bytes, raw)].concat(),
        )
        .bearer(t, auth),
        "untracked" => untracked(t, part, h, auth),
        "ops" => Request::new(
            "GET",
            [format!("/{part}?x=").as_bytes(), &enc(&h.bytes, raw)].concat(),
        )
        .header("user-agent", h.bytes.clone()),
        _ if endpoint.starts_with("postback-") => {
            postback_param(t, &endpoint["postback-".len()..], part, h, auth, raw, seq)
        }
        _ if endpoint.starts_with("report-") => {
            let report = &endpoint["report-".len()..];
            let pair = if part == "name" {
                [enc(&h.bytes, raw), b"=1".to_vec()].concat()
            } else {
                [format!("{part}=").into_bytes(), enc(&h.bytes, raw)].concat()
            };
            Request::new(
                "GET",
                [format!("/api/v1/reports/{report}?").as_bytes(), &pair].concat(),
            )
            .bearer(t, auth)
        }
        _ => panic!("no such field {field}"),
    };
    request.bytes(t.address.trim_start_matches("http://"))
}

fn go(t: &Target, head: bool, part: &str, h: &Hostile, raw: bool) -> Request {
    let method = if head { "HEAD" } else { "GET" };
    if part == "path" {
        return Request::new(method, [&b"/go/"[..], &enc(&h.bytes, raw)].concat());
    }
    let header = match part {
        "user-agent" => "user-agent",
        "referer" => "referer",
        "x-forwarded-for" => "x-forwarded-for",
        _ => "sec-purpose",
    };
    Request::new(method, format!("/go/{}", t.link_id)).header(header, h.bytes.clone())
}

fn rewrite(t: &Target, part: &str, h: &Hostile, auth: Auth) -> Request {
    let request = Request::new("POST", "/api/v1/rewrite");
    if part == "authorization" {
        let body = br#"{"html":"<a href=\"https://prf.hn/click/camref:1\">x</a>","page_url":"https://blog.test/p/"}"#;
        return request
            .header("authorization", h.bytes.clone())
            .body(Some("application/json"), body.to_vec());
    }
    let request = request.bearer(t, auth);
    if part == "body" {
        return request.body(Some("application/json"), h.bytes.clone());
    }
    let good = vec![
        (
            js("html"),
            js("<p><a href=\"https://prf.hn/click/camref:1/x\">x</a></p>"),
        ),
        (js("page_url"), js("https://blog.test/p/")),
        (js("post_id"), b"7".to_vec()),
        (js("keyword"), js("running shoes")),
        (js("keyword_source"), js("post_meta")),
    ];
    let members = match part {
        "html" => with(good, "html", h.json.clone()),
        "href" => with(
            good,
            "html",
            spliced("<a href=\"https://prf.hn/click/camref:", h, "\">x</a>"),
        ),
        "keyword-attribute" => with(
            good,
            "html",
            spliced(
                "<a href=\"https://prf.hn/click/camref:2\" data-affrank-keyword=\"",
                h,
                "\">x</a>",
            ),
        ),
        "page_url-path" => with(good, "page_url", spliced("https://blog.test/", h, "")),
        "field-name" => {
            let mut members = good;
            members.push((spliced("", h, ""), b"1".to_vec()));
            members
        }
        field => with(good, field, h.json.clone()),
    };
    request.body(Some("application/json"), object(&members))
}

fn site_put(t: &Target, part: &str, h: &Hostile, auth: Auth) -> Request {
    let request = Request::new("PUT", "/api/v1/site").bearer(t, auth);
    if part == "body" {
        return request.body(Some("application/json"), h.bytes.clone());
    }
    let rule = |kind: Vec<u8>, pattern: Vec<u8>, network: Option<Vec<u8>>| {
        let mut members = vec![(js("kind"), kind), (js("pattern"), pattern)];
        if let Some(network) = network {
            members.push((js("network"), network));
        }
        [&b"["[..], &object(&members), b"]"].concat()
    };
    let (name, value) = match part {
        "url" => (js("url"), spliced("https://blog.test/", h, "")),
        "tracking_base_url" => (js("tracking_base_url"), spliced("https://t.test/", h, "")),
        "regex-pattern" => (
            js("link_rules"),
            rule(js("regex"), spliced("", h, ""), None),
        ),
        "host-pattern" => (
            js("link_rules"),
            rule(js("host"), spliced("", h, ".test"), None),
        ),
        "rule-network" => (
            js("link_rules"),
            rule(js("host"), js("x.test"), Some(h.json.clone())),
        ),
        "rule-kind" => (js("link_rules"), rule(h.json.clone(), js("x.test"), None)),
        "rate-code" => (
            js("currency_rates"),
            object(&[(spliced("", h, ""), js("1.1"))]),
        ),
        "rate" => (js("currency_rates"), object(&[(js("EUR"), h.json.clone())])),
        "field-name" => (spliced("", h, ""), b"1".to_vec()),
        field => (js(field), h.json.clone()),
    };
    request.body(Some("application/json"), object(&[(name, value)]))
}

/// The parameters of a good postback (a new transaction each time), with
/// the token `auth` says.
fn postback_pairs(t: &Target, auth: Auth, seq: u64) -> Vec<(&'static str, String)> {
    let mut pairs = vec![
        ("sid", t.session.clone()),
        ("amount", "1.50".to_owned()),
        ("txid", format!("hostile-{seq}")),
    ];
    match auth {
        Auth::Valid => pairs.push(("token", t.secret.clone())),
        Auth::Wrong => pairs.push(("token", "not-the-secret".to_owned())),
        Auth::Missing => {}
    }
    pairs
}

fn url_pairs(pairs: &[(&'static str, String)]) -> Vec<(Vec<u8>, Vec<u8>)> {
    pairs
        .iter()
        .map(|(n, v)| (n.as_bytes().to_vec(), enc(v.as_bytes(), false)))
        .collect()
}

/// Hostile transport: the site in the path, the headers, the whole body.
fn postback_transport(
    t: &Target,
    part: &str,
    h: &Hostile,
    auth: Auth,
    raw: bool,
    seq: u64,
) -> Request {
    let query = form(&url_pairs(&postback_pairs(t, auth, seq)));
    let target = |site: &[u8]| [&b"/api/v1/postbacks/"[..], site, b"?", &query].concat();
    match part {
        "site-path" => Request::new("GET", target(&enc(&h.bytes, raw))),
        "content-type" => Request::new("POST", target(t.site_id.as_bytes()))
            .header("content-type", h.bytes.clone())
            .body(None, b"event=sale".to_vec()),
        "x-forwarded-for" => Request::new("GET", target(t.site_id.as_bytes()))
            .header("x-forwarded-for", h.bytes.clone()),
        "json-body" => Request::new("POST", target(t.site_id.as_bytes()))
            .body(Some("application/json"), h.json.clone()),
        _ => Request::new("POST", target(t.site_id.as_bytes())).body(None, h.bytes.clone()),
    }
}

/// Hostile in one parameter (or a parameter's name), sent as a query
/// string, a form body or a JSON body.
fn postback_param(
    t: &Target,
    shape: &str,
    param: &str,
    h: &Hostile,
    auth: Auth,
    raw: bool,
    seq: u64,
) -> Request {
    let mut good = postback_pairs(t, auth, seq);
    good.retain(|(n, _)| *n != param);
    let path = format!("/api/v1/postbacks/{}", t.site_id);
    if shape == "json" {
        let mut members: Vec<(Vec<u8>, Vec<u8>)> =
            good.iter().map(|(n, v)| (js(n), js(v))).collect();
        members.push(match param {
            "name" => (spliced("", h, ""), js("1")),
            "extra" => (js("x"), h.json.clone()),
            p => (js(p), h.json.clone()),
        });
        return Request::new("POST", path).body(Some("application/json"), object(&members));
    }
    let mut pairs = url_pairs(&good);
    pairs.push(match param {
        "name" => (enc(&h.bytes, raw), b"1".to_vec()),
        "extra" => (b"x".to_vec(), enc(&h.bytes, raw)),
        p => (p.as_bytes().to_vec(), enc(&h.bytes, raw)),
    });
    let encoded = form(&pairs);
    if shape == "query" {
        Request::new("GET", [path.as_bytes(), b"?", &encoded].concat())
    } else {
        Request::new("POST", path).body(Some("application/x-www-form-urlencoded"), encoded)
    }
}

fn log(t: &Target, part: &str, h: &Hostile, auth: Auth, raw: bool) -> Request {
    let query = match part {
        "name" => [enc(&h.bytes, raw), b"=1".to_vec()].concat(),
        "authorization" => {
            return Request::new("GET", "/api/v1/postbacks/log")
                .header("authorization", h.bytes.clone());
        }
        p => [format!("{p}=").into_bytes(), enc(&h.bytes, raw)].concat(),
    };
    Request::new("GET", [&b"/api/v1/postbacks/log?"[..], &query].concat()).bearer(t, auth)
}

/// `GET /api/v1/links`, the plugin's copy of the link map.
fn links(t: &Target, part: &str, h: &Hostile, auth: Auth, raw: bool) -> Request {
    let query = match part {
        "name" => [enc(&h.bytes, raw), b"=1".to_vec()].concat(),
        "authorization" => {
            return Request::new("GET", "/api/v1/links").header("authorization", h.bytes.clone());
        }
        p => [format!("{p}=").into_bytes(), enc(&h.bytes, raw)].concat(),
    };
    Request::new("GET", [&b"/api/v1/links?"[..], &query].concat()).bearer(t, auth)
}

/// `POST /api/v1/clicks/untracked`: one count, one of its members hostile.
fn untracked(t: &Target, part: &str, h: &Hostile, auth: Auth) -> Request {
    let request = Request::new("POST", "/api/v1/clicks/untracked").bearer(t, auth);
    if part == "body" {
        return request.body(Some("application/json"), h.bytes.clone());
    }
    let today = chrono::Utc::now().date_naive().to_string();
    let good = vec![
        (js("link_id"), js(&t.link_id)),
        (js("day"), js(&today)),
        (js("clicks"), b"1".to_vec()),
    ];
    let count = match part {
        "field-name" => {
            let mut members = good;
            members.push((spliced("", h, ""), b"1".to_vec()));
            members
        }
        field => with(good, field, h.json.clone()),
    };
    let counts = [&b"["[..], &object(&count), b"]"].concat();
    request.body(Some("application/json"), object(&[(js("counts"), counts)]))
}

/// The status of the answer, or `None` when the server closed the
/// connection without one; and the start of the body, for the report.
pub async fn send(address: &str, request: &[u8]) -> (Option<u16>, String) {
    let text = tokio::time::timeout(Duration::from_secs(30), raw_exchange(address, request))
        .await
        .expect("an answer within 30 s");
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok());
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.chars().take(300).collect())
        .unwrap_or_default();
    (status, body)
}
