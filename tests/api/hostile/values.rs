//! The hostile values: a fixed table of the known-nasty ones, and a
//! proptest strategy that makes more.

use proptest::prelude::*;

/// One hostile value, in the three shapes a request can carry it.
#[derive(Clone, Debug)]
pub struct Hostile {
    pub name: String,
    /// As bytes: percent-encoded into paths, queries and forms, sent as they
    /// are in headers and raw bodies. May be invalid UTF-8.
    pub bytes: Vec<u8>,
    /// As a JSON value (usually a string literal; or raw JSON such as a
    /// lone surrogate escape, a huge number, deep nesting).
    pub json: Vec<u8>,
    /// As the inside of a JSON string literal, to splice into a longer
    /// string (`"https://blog.test/` + this + `"`).
    pub in_string: Vec<u8>,
}

impl Hostile {
    pub fn text(name: &str, text: &str) -> Self {
        let json = serde_json::to_vec(text).unwrap();
        Self {
            name: name.into(),
            bytes: text.as_bytes().to_vec(),
            in_string: json[1..json.len() - 1].to_vec(),
            json,
        }
    }

    /// Bytes that may not be UTF-8: in JSON they stand raw inside the
    /// string (only `"` and `\` escaped), so the body is invalid UTF-8.
    pub fn bytes(name: &str, bytes: &[u8]) -> Self {
        if let Ok(text) = std::str::from_utf8(bytes) {
            return Self::text(name, text);
        }
        let mut inner = Vec::new();
        for &b in bytes {
            if b == b'"' || b == b'\\' {
                inner.push(b'\\');
            }
            inner.push(b);
        }
        Self {
            name: name.into(),
            bytes: bytes.to_vec(),
            json: [&b"\""[..], &inner, b"\""].concat(),
            in_string: inner,
        }
    }

    /// A JSON escape sequence Rust strings cannot hold (a lone surrogate):
    /// `bytes` is its WTF-8 spelling.
    pub fn escape(name: &str, escape: &str, bytes: &[u8]) -> Self {
        Self {
            name: name.into(),
            bytes: bytes.to_vec(),
            json: format!("\"{escape}\"").into_bytes(),
            in_string: escape.as_bytes().to_vec(),
        }
    }

    /// Raw JSON in JSON bodies (not a string); its text elsewhere.
    pub fn raw_json(name: &str, json: &str) -> Self {
        Self {
            json: json.as_bytes().to_vec(),
            ..Self::text(name, json)
        }
    }
}

/// Letters that do not compress: a 10 kB value of them defeats PostgreSQL's
/// compression of index entries (a repeated letter would not).
fn incompressible(len: usize) -> String {
    let mut x: u32 = 0x2545_f491;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (b'a' + (x % 26) as u8) as char
        })
        .collect()
}

/// The known-nasty values of issue #18, each sent into every field.
pub fn known() -> Vec<Hostile> {
    // Far past serde_json's limit of 128 levels, and any recursion's.
    let nested = format!("{}{}", "[".repeat(5_000), "]".repeat(5_000));
    let texts = [
        // What PostgreSQL cannot store, other control characters, and a
        // NUL spelled out.
        [
            ("NUL", "\0"),
            ("NUL inside", "abc\0def"),
            ("U+0001", "\u{1}"),
        ],
        [
            ("DEL and C1", "a\u{7f}\u{85}\u{9f}b"),
            ("CRLF", "x\r\nSet-Cookie: a=b"),
            ("literal %00", "%00"),
        ],
        // Valid but unusual text.
        [
            (
                "bidi, BOM, non-characters",
                "\u{202e}\u{feff}\u{fffe}\u{ffff}",
            ),
            ("emoji", "😀🏳️‍🌈"),
            ("empty", ""),
        ],
        // The syntax of whatever parses or shows the value.
        [
            ("spaces", "   "),
            ("macro", "{SubId1}"),
            ("SQL", "x'); DROP TABLE conversions; --"),
        ],
        [
            ("script", "<script>alert(1)</script>"),
            ("path traversal", "../../etc/passwd"),
            ("form syntax", "a=b&c=%zz&token=x+y"),
        ],
    ];
    let mut values: Vec<Hostile> = texts
        .into_iter()
        .flatten()
        .map(|(name, text)| Hostile::text(name, text))
        .collect();
    values.extend([
        Hostile::bytes("invalid UTF-8", b"\xff\xfe"),
        Hostile::bytes("truncated UTF-8", b"ab\xc3"),
        Hostile::bytes("overlong NUL", b"\xc0\x80"),
        Hostile::escape("lone high surrogate", "\\ud800", b"\xed\xa0\x80"),
        Hostile::escape("lone low surrogate", "a\\udc00b", b"a\xed\xb0\x80b"),
        Hostile::escape("escaped NUL", "\\u0000", b"\0"),
        Hostile::text("10 kB", &"x".repeat(10 * 1024)),
        Hostile::text("10 kB incompressible", &incompressible(10 * 1024)),
        Hostile::text("10 kB of é", &"é".repeat(5 * 1024)),
    ]);
    let json: [[(&str, String); 2]; 3] = [
        [
            ("overlong number", "9".repeat(400)),
            ("huge exponent", "1e999999".into()),
        ],
        [
            ("u64 + 1", "18446744073709551616".into()),
            ("negative", "-1".into()),
        ],
        [
            ("huge nesting", nested),
            ("object", r#"{"a":{"b":[1,{"c":null}]}}"#.into()),
        ],
    ];
    values.extend(
        json.into_iter()
            .flatten()
            .map(|(name, json)| Hostile::raw_json(name, &json)),
    );
    values
}

/// Random hostile values: arbitrary bytes, text full of control
/// characters and syntax, long repeats, long digit runs, and the table.
pub fn strategy() -> impl Strategy<Value = Hostile> {
    let table = known();
    prop_oneof![
        2 => proptest::sample::select(table),
        2 => proptest::collection::vec(any::<u8>(), 0..48)
            .prop_map(|b| Hostile::bytes("random bytes", &b)),
        3 => "[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\\u{d7ff}\\u{e000}\\u{fffd}a-z0-9%&=+{}\"'\\\\#!\\[\\]<>/?. -]{0,40}"
            .prop_map(|t| Hostile::text("random text", &t)),
        1 => (any::<char>(), 1usize..12_000)
            .prop_map(|(c, n)| Hostile::text("long repeat", &c.to_string().repeat(n))),
        1 => "[0-9]{16,400}".prop_map(|t| Hostile::raw_json("long digits", &t)),
        1 => any::<String>().prop_map(|t| Hostile::text("random string", &t)),
    ]
}
