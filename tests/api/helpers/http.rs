//! Requests and answers: the redirect's session id, postbacks, metrics,
//! and requests over a bare socket.

use serde_json::Value;

pub const BROWSER_UA: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// A client that shows redirects instead of following them.
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The session id a redirect carries.
pub fn session_of(location: &str) -> String {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "affrank_sid")
        .map(|(_, v)| v.into_owned())
        .expect("the redirect carries affrank_sid")
}

pub fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// A postback's status code and JSON answer.
pub async fn send_postback(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// `text` percent-encoded for a query string or a form.
pub fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// One value of the Prometheus text, by its full series name.
pub fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

/// Sends `request`, a whole HTTP/1.1 request with `Connection: close`,
/// over a bare connection, for what HTTP clients refuse to build; returns
/// all the server wrote back before it closed.
pub async fn raw_exchange(address: &str, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address.trim_start_matches("http://"))
        .await
        .unwrap();
    // The server may answer (400, 413, 414) and close before reading it all.
    let _ = stream.write_all(request).await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    String::from_utf8_lossy(&response).into_owned()
}

/// `raw_exchange`'s answer: its status and body.
pub async fn raw_http(address: &str, request: &[u8]) -> (u16, String) {
    let response = raw_exchange(address, request).await;
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {response:?}"));
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default();
    (status, body)
}

/// The status of a GET sent over a bare socket: HTTP clients refuse to
/// build the oversized URIs a hostile caller can still send.
pub async fn raw_get_status(address: &str, path: &str) -> u16 {
    let host = address.trim_start_matches("http://");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    raw_http(address, request.as_bytes()).await.0
}

/// A POST whose body is chunked (no Content-Length), as some HTTP clients
/// and proxies send it.
pub async fn post_chunked(
    address: &str,
    path: &str,
    headers: &[(&str, &str)],
    chunks: &[&[u8]],
) -> (u16, String) {
    let host = address.trim_start_matches("http://");
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n"
    )
    .into_bytes();
    for (name, value) in headers {
        request.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    request.extend_from_slice(b"\r\n");
    for chunk in chunks {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    raw_http(address, &request).await
}
