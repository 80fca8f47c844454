//! Every preset on its fixture (tests/fixtures/imports/), row by row
//! against NAME.expected.json: conversions (amounts compared as decimals),
//! refusals and silent skips, every row accounted for.

use affrank::imports::parse::Source;
use affrank::imports::presets::find;
use affrank::imports::parse_only;
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;
use std::str::FromStr;

const FIXTURES: [(&str, &str); 13] = [
    ("amazon-earnings.csv", "amazon-earnings"),
    ("amazon-earnings-subtag.utf16.txt", "amazon-earnings"),
    ("amazon-earnings.xlsx", "amazon-earnings"),
    ("amazon-orders.csv", "amazon-orders"),
    ("cj-commission-detail.csv", "cj-commission-detail"),
    ("cj-commission-report.csv", "cj-commission-report"),
    ("impact-actions.csv", "impact-actions"),
    ("impact-actions.xlsx", "impact-actions"),
    ("shareasale-activity.txt", "shareasale-activity"),
    ("awin-transactions-de.csv", "awin-transactions"),
    ("rakuten-signature-orders.csv", "rakuten-signature-orders"),
    ("clickbank-transactions.csv", "clickbank-transactions"),
    ("partnerize-conversions.csv", "partnerize-conversions"),
];

pub fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/imports").join(name)
}

fn decimal(v: &Value) -> Option<Decimal> {
    v.as_str().map(|s| Decimal::from_str(s).unwrap())
}

#[test]
fn every_preset_reads_its_fixture_as_expected() {
    let mut problems = vec![];
    for (file, preset) in FIXTURES {
        let expected: Vec<Value> = serde_json::from_str(
            &std::fs::read_to_string(fixture(&format!("{file}.expected.json"))).unwrap(),
        )
        .unwrap();
        let source = Source::Preset(find(preset).unwrap());
        let got = parse_only(std::fs::File::open(fixture(file)).unwrap(), &source)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let got: BTreeMap<u64, _> = got.into_iter().collect();
        let mut seen = 0;
        for e in &expected {
            let row = e["row"].as_u64().unwrap();
            if e.get("skip").is_some() {
                if got.contains_key(&row) {
                    problems.push(format!("{file} row {row}: should be skipped, got {:?}", got[&row]));
                }
                continue;
            }
            seen += 1;
            let Some(g) = got.get(&row) else {
                problems.push(format!("{file} row {row}: missing"));
                continue;
            };
            match (e.get("reject"), g) {
                (Some(_), Err(_)) => {}
                (Some(r), Ok(p)) => problems.push(format!("{file} row {row}: should be refused ({r}), got {p:?}")),
                (None, Err(r)) => problems.push(format!("{file} row {row}: refused: {r}")),
                (None, Ok(p)) => {
                    let checks = [
                        ("transaction_id", Value::from(p.transaction_id.clone())),
                        ("session_id", p.session_id.clone().into()),
                        ("label", p.label.clone().into()),
                        ("currency", p.currency.clone().into()),
                        ("status", p.status.as_str().into()),
                        ("date", p.date.text().into()),
                        ("network", p.network.clone().into()),
                        ("product", p.product.clone().into()),
                    ];
                    for (name, value) in checks {
                        if e[name] != value {
                            problems.push(format!("{file} row {row}: {name} {} != expected {}", value, e[name]));
                        }
                    }
                    if decimal(&e["amount"]) != p.amount {
                        problems.push(format!("{file} row {row}: amount {:?} != expected {}", p.amount, e["amount"]));
                    }
                }
            }
        }
        if seen != got.len() {
            problems.push(format!("{file}: {} rows read, {seen} expected", got.len()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
