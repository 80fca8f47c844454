//! No input from anyone changes what others get (issue #18): hostile values
//! in every field of every endpoint (path, query, form, JSON, headers), with
//! and without valid credentials. Never a 5xx, never the outage mode (a
//! spooled or `queued` write while the database is up), nothing the
//! database refuses, and a good postback sent right after is `matched`.

mod refused;
mod requests;
mod values;

use crate::helpers::app::{TestApp, spawn_app_with};
use crate::helpers::http::{location, metric, session_of};
use futures_util::StreamExt;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config as ProptestConfig, RngAlgorithm, TestRng, TestRunner};
use requests::{Auth, Target, build, fields, send};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use values::Hostile;

/// A fresh server whose rate limits a few thousand requests do not reach,
/// a site, and a click whose session id the good postbacks carry.
async fn setup() -> (TestApp, Target) {
    let app = spawn_app_with(|c| {
        c.postbacks.site_rate = 1_000_000;
        c.postbacks.site_burst = 1_000_000;
        c.postbacks.address_rate = 1_000_000;
        c.postbacks.address_burst = 1_000_000;
    })
    .await;
    let site = app.add_site().await;
    let link_id = app
        .register_link(&site, "https://prf.hn/click/camref:1")
        .await;
    let session = session_of(&location(&app.click(&link_id).await));
    let target = Target {
        address: app.address.clone(),
        site_id: site.id,
        api_key: site.api_key,
        secret: site.secret,
        session,
        link_id,
    };
    (app, target)
}

/// What went wrong, grouped by what happened: the count, and one example.
#[derive(Default)]
struct Findings(BTreeMap<String, (usize, String)>);

impl Findings {
    fn add(&mut self, kind: String, example: String) {
        let entry = self.0.entry(kind).or_insert((0, example));
        entry.0 += 1;
    }

    fn total(&self) -> usize {
        self.0.values().map(|(n, _)| n).sum()
    }

    fn assert_none(&self, cases: usize) {
        let report: Vec<String> = self
            .0
            .iter()
            .map(|(kind, (n, example))| format!("{n} × {kind}\n    e.g. {example}"))
            .collect();
        assert!(
            self.0.is_empty(),
            "{} failures in {cases} hostile requests:\n{}",
            self.total(),
            report.join("\n")
        );
    }
}

static SEQ: AtomicU64 = AtomicU64::new(0);

/// Sends one hostile request; a finding if it is answered 5xx or not at all.
async fn hostile(
    t: &Target,
    field: &str,
    h: &Hostile,
    auth: Auth,
    raw: bool,
) -> Option<(String, String)> {
    let request = build(t, field, h, auth, raw, SEQ.fetch_add(1, Ordering::Relaxed));
    let (status, body) = send(&t.address, &request).await;
    let kind = match status {
        Some(s) if s < 500 => return None,
        Some(s) => format!("{s} from {field}"),
        None => format!("no answer from {field}"),
    };
    Some((kind, format!("{} ({auth:?}, raw {raw}): {body}", h.name)))
}

/// A good postback for the click: anything but `matched` means an earlier
/// request changed what this one gets.
async fn good_postback(app: &TestApp, t: &Target) -> Option<(String, String)> {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let (status, body) = app
        .postback(
            &t.site_id,
            &format!(
                "sid={}&amount=2.00&txid=good-{n}&token={}",
                t.session, t.secret
            ),
        )
        .await;
    if status == 200 && body["status"] == "matched" {
        return None;
    }
    Some((
        format!("good postback answered {status} {}", body["status"]),
        body.to_string(),
    ))
}

/// Nothing was spooled, queued or set aside, and the database is ready.
async fn no_outage(app: &TestApp, findings: &mut Findings) {
    let metrics = app.metrics().await;
    for series in [
        "affrank_spool_depth",
        "affrank_clicks_spooled_total",
        "affrank_spool_refused_total",
    ] {
        let value = metric(&metrics, series);
        if value != 0.0 {
            findings.add(format!("{series} is {value}"), String::new());
        }
    }
    for line in metrics.lines().filter(|l| {
        l.starts_with("affrank_postbacks_total{outcome=\"queued\"}")
            || l.starts_with("affrank_writes_refused_total")
    }) {
        if !line.ends_with(" 0") {
            findings.add(line.to_owned(), String::new());
        }
    }
    let ready = app
        .http
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap()
        .status();
    if ready != 200 {
        findings.add(format!("/readyz answered {ready}"), String::new());
    }
    let quarantine = app.spool_dir().join("quarantine");
    let aside = std::fs::read_dir(&quarantine).map_or(0, |d| d.count());
    if aside > 0 {
        findings.add(format!("{aside} files in spool/quarantine"), String::new());
    }
}

/// The credentials each field is tried with: the right ones and none (a
/// wrong one takes the same path as none; the random cases send it too).
/// `/go/`, the probes and a hostile key itself take none.
fn auths(field: &str) -> &'static [Auth] {
    if field.starts_with("go") || field.starts_with("ops") || field.ends_with("authorization") {
        &[Auth::Valid]
    } else {
        &[Auth::Valid, Auth::Missing]
    }
}

/// Every known-nasty value in every field, with and without credentials;
/// a good postback after every value's round and between its requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_known_nasty_value_in_every_field_changes_nothing_for_others() {
    let (app, t) = setup().await;
    let fields = fields();
    let mut findings = Findings::default();
    let mut sent = 0;
    for h in values::known() {
        let cases: Vec<(&str, Auth)> = fields
            .iter()
            .flat_map(|f| auths(f).iter().map(move |a| (f.as_str(), *a)))
            .collect();
        sent += cases.len();
        // Eight at a time, a good postback among them now and then, so that
        // hostile and good records share the writers' batches.
        let outcomes: Vec<_> = futures_util::stream::iter(cases.into_iter().enumerate())
            .map(|(i, (field, auth))| {
                let (app, t, h) = (&app, &t, &h);
                async move {
                    let mut found = hostile(t, field, h, auth, false)
                        .await
                        .into_iter()
                        .collect::<Vec<_>>();
                    if i % 8 == 0 {
                        found.extend(good_postback(app, t).await);
                    }
                    found
                }
            })
            .buffer_unordered(8)
            .collect()
            .await;
        for (kind, example) in outcomes.into_iter().flatten() {
            findings.add(kind, example);
        }
        if let Some((kind, example)) = good_postback(&app, &t).await {
            findings.add(format!("{kind} right after {}", h.name), example);
        }
    }
    no_outage(&app, &mut findings).await;
    findings.assert_none(sent);
}

/// Random requests (`HOSTILE_CASES`, default 300): a random field, hostile
/// value, credentials and encoding; a good postback right after each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_hostile_requests_change_nothing_for_others() {
    let (app, t) = setup().await;
    let cases: u32 = std::env::var("HOSTILE_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300);
    let strategy = (
        proptest::sample::select(fields()),
        proptest::sample::select(vec![Auth::Valid, Auth::Wrong, Auth::Missing]),
        proptest::bool::weighted(0.2),
        values::strategy(),
    );
    // A fixed seed, so a failure in CI is the same failure here;
    // `HOSTILE_SEED=n` explores others.
    let seed: u64 = std::env::var("HOSTILE_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(18);
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        ProptestConfig::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let mut findings = Findings::default();
    for _ in 0..cases {
        let (field, auth, raw, h) = strategy.new_tree(&mut runner).unwrap().current();
        if let Some((kind, example)) = hostile(&t, &field, &h, auth, raw).await {
            findings.add(kind, example);
        }
        if let Some((kind, example)) = good_postback(&app, &t).await {
            findings.add(
                format!("{kind} right after {field}"),
                format!("{}: {example}", h.name),
            );
        }
    }
    no_outage(&app, &mut findings).await;
    findings.assert_none(cases as usize);
}
