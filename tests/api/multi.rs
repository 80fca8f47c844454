//! Several sidecars, one database: two `affrank serve` processes, each with
//! a data directory (spool, link cache) of its own, behind Debian's nginx
//! (an `upstream` of both) on one PostgreSQL. One of them is killed with
//! `kill -9` in the middle of a stream of clicks and postbacks, and every
//! answer the load generator got (a 302, a postback's status) must be in
//! the database exactly once.

use crate::helpers::db::{
    create_database, database_url, drop_database, pg_connect, reachable_tempdir,
};
use crate::helpers::http::{BROWSER_UA, location, no_redirects, session_of, urlencode};
use crate::helpers::nginx::{Nginx, answered_by, tried};
use crate::helpers::sidecar::{Sidecar, cli_site_add, free_port, serve_env};
use crate::helpers::wait_until;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

/// Clicks in the whole run; every eighth is followed by a postback.
const CLICKS: usize = 3_000;
/// Concurrent visitors, each with one request in flight at a time.
const WORKERS: usize = 16;
/// The sidecar is killed once this many clicks were acknowledged.
const KILL_AT: usize = CLICKS / 3;
/// The load stops here even if it is not done (a slow machine).
const LOAD_LIMIT: Duration = Duration::from_secs(30);

/// An acknowledged click: a 302 through nginx.
struct Click {
    session: String,
    answered_by: String,
    retried: bool,
    after_kill: bool,
}

/// A postback as sent; each send's acknowledged answer is an `Answer`.
#[derive(Clone)]
struct Postback {
    transaction: String,
    session: String,
    amount: String,
    /// A form body (POST) rather than a query string (GET).
    post: bool,
    /// The session is of an acknowledged click (else of none).
    known_click: bool,
}

struct Answer {
    postback: Postback,
    status: String,
    retried: bool,
}

#[derive(Default)]
struct Log {
    clicks: Vec<Click>,
    answers: Vec<Answer>,
    /// Requests that got no acknowledgement: none may.
    failures: Vec<String>,
}

/// What the load generator's tasks share.
struct Load {
    http: reqwest::Client,
    nginx: String,
    site_id: String,
    token: String,
    links: Vec<String>,
    next: AtomicUsize,
    acknowledged_clicks: AtomicUsize,
    in_flight: AtomicUsize,
    killed: AtomicBool,
    until: Instant,
}

impl Load {
    async fn click(&self, n: usize, log: &mut Log) -> Option<String> {
        let link = &self.links[n % self.links.len()];
        self.in_flight.fetch_add(1, SeqCst);
        let sent = self
            .http
            .get(format!("{}/go/{link}", self.nginx))
            .header("user-agent", BROWSER_UA)
            .header("x-forwarded-for", visitor(n))
            .send()
            .await;
        self.in_flight.fetch_sub(1, SeqCst);
        let response = match sent {
            Ok(r) if r.status() == 302 => r,
            Ok(r) => {
                log.failures
                    .push(format!("click {n}: {} {:?}", r.status(), tried(&r)));
                return None;
            }
            Err(e) => {
                log.failures.push(format!("click {n}: {e}"));
                return None;
            }
        };
        let session = session_of(&location(&response));
        log.clicks.push(Click {
            session: session.clone(),
            answered_by: answered_by(&response),
            retried: tried(&response).len() > 1,
            after_kill: self.killed.load(SeqCst),
        });
        self.acknowledged_clicks.fetch_add(1, SeqCst);
        Some(session)
    }

    async fn postback(&self, postback: &Postback, log: &mut Log) {
        let query = format!(
            "sid={}&amount={}&transaction_id={}&token={}",
            postback.session,
            postback.amount,
            postback.transaction,
            urlencode(&self.token)
        );
        let url = format!("{}/api/v1/postbacks/{}", self.nginx, self.site_id);
        let request = if postback.post {
            self.http
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(query)
        } else {
            self.http.get(format!("{url}?{query}"))
        };
        self.in_flight.fetch_add(1, SeqCst);
        let sent = request.send().await;
        self.in_flight.fetch_sub(1, SeqCst);
        let response = match sent {
            Ok(r) => r,
            Err(e) => {
                log.failures
                    .push(format!("postback {}: {e}", postback.transaction));
                return;
            }
        };
        let (code, retried) = (response.status().as_u16(), tried(&response).len() > 1);
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let status = body["status"].as_str().unwrap_or_default().to_owned();
        if code == 200 && ["matched", "unmatched", "duplicate", "queued"].contains(&status.as_str())
        {
            log.answers.push(Answer {
                postback: postback.clone(),
                status,
                retried,
            });
        } else {
            log.failures
                .push(format!("postback {}: {code} {body}", postback.transaction));
        }
    }

    /// One visitor: clicks until the run is done. After every eighth click
    /// a postback (every fifth of them for a session no click has, every
    /// sixth sent twice at once, every second one a POST), and now and then
    /// the visitor's last postback again, as networks repeat them.
    async fn visitor(&self) -> Log {
        let mut log = Log::default();
        let mut last: Option<Postback> = None;
        loop {
            let n = self.next.fetch_add(1, SeqCst);
            if n >= CLICKS || Instant::now() > self.until {
                return log;
            }
            let Some(session) = self.click(n, &mut log).await else {
                continue;
            };
            if n.is_multiple_of(8) {
                let known_click = !n.is_multiple_of(40);
                let postback = Postback {
                    transaction: format!("T{n:05}"),
                    session: if known_click {
                        session
                    } else {
                        format!("NoClick{n:05}")
                    },
                    amount: format!("{}.{:02}", 1 + n % 50, n % 100),
                    post: n % 16 == 8,
                    known_click,
                };
                if n.is_multiple_of(48) {
                    let (mut first, mut second) = (Log::default(), Log::default());
                    tokio::join!(
                        self.postback(&postback, &mut first),
                        self.postback(&postback, &mut second)
                    );
                    for other in [first, second] {
                        log.answers.extend(other.answers);
                        log.failures.extend(other.failures);
                    }
                } else {
                    self.postback(&postback, &mut log).await;
                }
                last = Some(postback);
            } else if n % 24 == 13
                && let Some(again) = &last
            {
                self.postback(again, &mut log).await;
            }
        }
    }
}

/// A visitor's address, for nginx to pass on in `X-Forwarded-For`.
fn visitor(n: usize) -> String {
    format!("198.51.100.{}", n % 250)
}

/// Rewrites a post with three affiliate links through `address`; their ids.
async fn register_links(address: &str, key: &str, page: &str, keyword: &str) -> Vec<String> {
    let html = "<a href=\"https://prf.hn/click/camref:1\">a</a> \
                <a href=\"https://www.awin1.com/cread.php?awinmid=1&amp;awinaffid=2\">b</a> \
                <a href=\"https://www.shareasale.com/r.cfm?b=1&amp;u=2&amp;m=3\">c</a>";
    let answer: Value = no_redirects()
        .post(format!("{address}/api/v1/rewrite"))
        .bearer_auth(key)
        .json(&json!({"html": html, "page_url": page, "keyword": keyword, "keyword_source": "post_meta"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let links: Vec<String> = answer["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(links.len(), 3, "{answer}");
    links
}

fn spool_files(data: &tempfile::TempDir) -> usize {
    std::fs::read_dir(data.path().join("spool"))
        .map(|dir| dir.filter(|e| e.as_ref().unwrap().path().is_file()).count())
        .unwrap_or(0)
}

fn decimal(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap_or_else(|_| panic!("{text} is a decimal"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sidecars_behind_nginx_lose_and_double_nothing_when_one_is_killed() {
    let started = Instant::now();
    let name = create_database().await;
    let url = database_url(&name);
    let (data_a, data_b) = (reachable_tempdir(), reachable_tempdir());
    let (env_a, env_b) = (serve_env(&url, &data_a), serve_env(&url, &data_b));
    let site = cli_site_add(&env_a, &[]);
    let key = site["api_key"].as_str().unwrap();
    let (port_a, port_b) = (free_port(), free_port());
    let (mut a, b) = tokio::join!(
        Sidecar::start_on(port_a, &env_a, false, &[]),
        Sidecar::start_on(port_b, &env_b, false, &[])
    );
    let (upstream_a, upstream_b) = (format!("127.0.0.1:{port_a}"), format!("127.0.0.1:{port_b}"));
    let nginx = Nginx::start(&[upstream_a.clone(), upstream_b.clone()]).await;
    // Links made through one process are clicked through both: the other
    // finds them in the database, not in its own cache.
    let mut links =
        register_links(&a.address, key, "https://blog.test/shoes/", "running shoes").await;
    links.extend(register_links(&b.address, key, "https://blog.test/tents/", "tents").await);

    let load = Load {
        http: no_redirects(),
        nginx: nginx.address.clone(),
        site_id: site["site_id"].as_str().unwrap().to_owned(),
        token: site["postback_secret"].as_str().unwrap().to_owned(),
        links,
        next: AtomicUsize::new(0),
        acknowledged_clicks: AtomicUsize::new(0),
        in_flight: AtomicUsize::new(0),
        killed: AtomicBool::new(false),
        until: Instant::now() + LOAD_LIMIT,
    };
    // kill -9 once a third of the clicks are in, with requests in flight.
    let killer = async {
        while load.acknowledged_clicks.load(SeqCst) < KILL_AT && Instant::now() < load.until {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let in_flight = load.in_flight.load(SeqCst);
        a.signal(nix::sys::signal::Signal::SIGKILL);
        load.killed.store(true, SeqCst);
        let status = a.wait();
        (in_flight, load.acknowledged_clicks.load(SeqCst), status)
    };
    let visitors = futures_util::future::join_all((0..WORKERS).map(|_| load.visitor()));
    let ((in_flight_at_kill, clicks_at_kill, killed_status), logs) = tokio::join!(killer, visitors);
    let load_took = started.elapsed();
    let mut log = Log::default();
    for one in logs {
        log.clicks.extend(one.clicks);
        log.answers.extend(one.answers);
        log.failures.extend(one.failures);
    }

    // The run was what it claims: the kill came mid-load, both processes
    // served, and nginx sent on what the dead one could not answer.
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        killed_status.signal(),
        Some(9),
        "the sidecar was killed by SIGKILL"
    );
    assert!(
        (KILL_AT..CLICKS).contains(&clicks_at_kill),
        "killed at {clicks_at_kill} acknowledged clicks"
    );
    assert!(in_flight_at_kill > 0, "requests were in flight at the kill");
    assert!(
        log.failures.is_empty(),
        "every request was acknowledged (nginx retries on the live one): {} failed, first {:?}",
        log.failures.len(),
        &log.failures[..log.failures.len().min(5)]
    );
    assert_eq!(
        log.clicks.len(),
        CLICKS,
        "every click was made within {LOAD_LIMIT:?}"
    );
    let served = |by: &str, after_kill: bool| {
        log.clicks
            .iter()
            .filter(|c| c.answered_by == by && c.after_kill == after_kill)
            .count()
    };
    let (a_before, b_before, b_after) = (
        served(&upstream_a, false),
        served(&upstream_b, false),
        served(&upstream_b, true),
    );
    assert!(
        a_before > 0 && b_before > 0,
        "both served: {a_before}, {b_before}"
    );
    assert!(b_after >= 500, "the survivor carried the rest: {b_after}");
    let retried = log.clicks.iter().filter(|c| c.retried).count()
        + log.answers.iter().filter(|a| a.retried).count();
    assert!(
        retried > 0,
        "nginx retried what the dead one did not answer"
    );

    // The killed one comes back on its port with its data directory, and
    // nginx sends it clicks again once its fail_timeout is over.
    let a = Sidecar::start_on(port_a, &env_a, false, &[]).await;
    let rejoined = Instant::now();
    let mut after = Log::default();
    while !after.clicks.iter().any(|c| c.answered_by == upstream_a) {
        assert!(
            rejoined.elapsed() < Duration::from_secs(10),
            "nginx never went back to the restarted one"
        );
        load.click(CLICKS + after.clicks.len(), &mut after).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(after.failures.is_empty(), "{:?}", after.failures);
    let clicks_after_restart = after.clicks.len();
    log.clicks.extend(after.clicks);
    wait_until("both spools to be replayed", async || {
        spool_files(&data_a) + spool_files(&data_b) == 0
    })
    .await;

    let db = pg_connect(&url).await.unwrap();

    // Clicks: each acknowledged one once; the others are the ones the dead
    // process committed but never answered (nginx sent them on), at most
    // one a visitor.
    let acknowledged: HashSet<&str> = log.clicks.iter().map(|c| c.session.as_str()).collect();
    assert_eq!(
        acknowledged.len(),
        log.clicks.len(),
        "no session id was handed out twice"
    );
    let stored: HashMap<String, i64> = db
        .query(
            "SELECT session_id, count(*) FROM clicks GROUP BY session_id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let row = db
        .query_one(
            "SELECT count(*), count(DISTINCT session_id) FROM clicks",
            &[],
        )
        .await
        .unwrap();
    let (click_rows, distinct_clicks): (i64, i64) = (row.get(0), row.get(1));
    assert_eq!(click_rows, distinct_clicks, "no click counted twice");
    let missing: Vec<&&str> = acknowledged
        .iter()
        .filter(|s| stored.get(**s) != Some(&1))
        .collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged clicks are not in `clicks` exactly once, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    let unanswered_clicks = click_rows as usize - acknowledged.len();
    assert!(
        unanswered_clicks <= WORKERS,
        "{unanswered_clicks} clicks nobody was answered for"
    );

    // Postbacks: each acknowledged transaction once, with what was sent;
    // at most one answer a new conversion, the others "duplicate".
    let sent: HashMap<&str, &Postback> = log
        .answers
        .iter()
        .map(|a| (a.postback.transaction.as_str(), &a.postback))
        .collect();
    let mut new_answers: HashMap<&str, usize> = HashMap::new();
    for answer in &log.answers {
        let p = &answer.postback;
        let expected = if p.known_click {
            "matched"
        } else {
            "unmatched"
        };
        assert!(
            answer.status == expected || answer.status == "duplicate",
            "{}: {} (expected {expected} or duplicate)",
            p.transaction,
            answer.status
        );
        if answer.status != "duplicate" {
            *new_answers.entry(&p.transaction).or_default() += 1;
        }
    }
    assert!(
        new_answers.values().all(|n| *n == 1),
        "a transaction was new twice"
    );
    let conversions: HashMap<String, (i64, String, String, bool)> = db
        .query(
            "SELECT transaction_id, count(*), min(session_id), min(amount)::text, \
                    bool_and(clicked_at IS NOT NULL AND link_id IS NOT NULL) \
             FROM conversions GROUP BY transaction_id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2), r.get(3), r.get(4))))
        .collect();
    let row = db
        .query_one(
            "SELECT count(*), count(DISTINCT transaction_id) FROM conversions",
            &[],
        )
        .await
        .unwrap();
    let (conversion_rows, distinct_conversions): (i64, i64) = (row.get(0), row.get(1));
    assert_eq!(
        conversion_rows, distinct_conversions,
        "no conversion counted twice"
    );
    for (transaction, p) in &sent {
        let Some((count, session, amount, attributed)) = conversions.get(*transaction) else {
            panic!("acknowledged postback {transaction} is not in `conversions`");
        };
        assert_eq!(*count, 1, "{transaction}");
        assert_eq!(session, &p.session, "{transaction}");
        assert_eq!(decimal(amount), decimal(&p.amount), "{transaction}");
        assert_eq!(
            *attributed, p.known_click,
            "{transaction}: matched to its click"
        );
    }
    // And nothing else: every postback sent was answered, a retried one
    // that the dead process had committed as "duplicate".
    assert_eq!(conversions.len(), sent.len(), "conversions nobody sent");
    // The log has a row for each answer, and one for each request the dead
    // process logged but never answered.
    let logged = db
        .query_one("SELECT count(*) FROM postback_log", &[])
        .await
        .unwrap()
        .get::<_, i64>(0) as usize;
    let unanswered_postbacks = logged - log.answers.len();
    assert!(
        logged >= log.answers.len() && unanswered_postbacks <= WORKERS * 2,
        "{logged} log rows for {} answers",
        log.answers.len()
    );

    // The reports, from the rollups, through either process, equal the raw tables.
    let raw = db
        .query_one(
            "SELECT (SELECT count(*) FILTER (WHERE NOT is_bot) FROM clicks), \
                    (SELECT count(*) FILTER (WHERE is_bot) FROM clicks), \
                    count(*) FILTER (WHERE status IN ('approved', 'pending')), \
                    coalesce(sum(amount_site) FILTER (WHERE status = 'approved'), 0)::text, \
                    coalesce(sum(amount_site) FILTER (WHERE status = 'approved' AND clicked_at IS NULL), 0)::text \
             FROM conversions",
            &[],
        )
        .await
        .unwrap();
    let (raw_clicks, raw_bots, raw_conversions): (i64, i64, i64) =
        (raw.get(0), raw.get(1), raw.get(2));
    let (raw_revenue, raw_unattributed) = (decimal(raw.get(3)), decimal(raw.get(4)));
    assert_eq!(raw_clicks, click_rows, "every click is a browser's");
    assert_eq!(raw_bots, 0);
    assert_eq!(raw_conversions, distinct_conversions);
    for address in [&a.address, &b.address] {
        let summary: Value = no_redirects()
            .get(format!("{address}/api/v1/reports/summary"))
            .bearer_auth(key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            summary["clicks"].as_i64(),
            Some(raw_clicks),
            "{address}: {summary}"
        );
        assert_eq!(
            summary["bot_clicks"].as_i64(),
            Some(raw_bots),
            "{address}: {summary}"
        );
        assert_eq!(
            summary["conversions"].as_i64(),
            Some(raw_conversions),
            "{address}: {summary}"
        );
        assert_eq!(
            decimal(summary["revenue"].as_str().unwrap()),
            raw_revenue,
            "{address}"
        );
        assert_eq!(
            decimal(summary["unattributed_revenue"].as_str().unwrap()),
            raw_unattributed,
            "{address}"
        );
    }
    // And the revenue is what was sent, transaction by transaction.
    let sent_revenue: Decimal = sent.values().map(|p| decimal(&p.amount)).sum();
    let sent_unattributed: Decimal = sent
        .values()
        .filter(|p| !p.known_click)
        .map(|p| decimal(&p.amount))
        .sum();
    assert_eq!(
        (raw_revenue, raw_unattributed),
        (sent_revenue, sent_unattributed)
    );

    eprintln!(
        "multi: {} clicks and {} postback answers ({} distinct transactions) by {load_took:?}; \
         killed at {clicks_at_kill} clicks with {in_flight_at_kill} requests in flight; \
         before the kill A answered {} clicks, B {}; after it B {}; {retried} retried by nginx; \
         {clicks_after_restart} clicks until nginx used the restarted one; \
         {unanswered_clicks} clicks and {unanswered_postbacks} postback log rows committed but unanswered; \
         {:?} in all",
        CLICKS,
        log.answers.len(),
        sent.len(),
        a_before,
        b_before,
        b_after,
        started.elapsed()
    );
    drop((a, b, nginx, db));
    drop_database(name);
}

/// The per-site postback limit is kept in each process's memory: behind
/// nginx, two processes take twice the burst (README, deployment).
#[tokio::test]
async fn each_process_applies_the_site_rate_limit_on_its_own() {
    const BURST: usize = 5;
    let name = create_database().await;
    let url = database_url(&name);
    let (data_a, data_b) = (reachable_tempdir(), reachable_tempdir());
    let limits = [
        ("AFFRANK_POSTBACK_SITE_RATE", "1"),
        ("AFFRANK_POSTBACK_SITE_BURST", "5"),
        ("AFFRANK_POSTBACK_ADDRESS_BURST", "10000"),
    ];
    let env_a: Vec<(&str, &str)> = serve_env(&url, &data_a).into_iter().chain(limits).collect();
    let env_b: Vec<(&str, &str)> = serve_env(&url, &data_b).into_iter().chain(limits).collect();
    let site = cli_site_add(&env_a, &[]);
    let (a, b) = tokio::join!(
        Sidecar::start(&env_a, false, &[]),
        Sidecar::start(&env_b, false, &[])
    );
    let upstreams = [&a.address, &b.address].map(|a| a.trim_start_matches("http://").to_owned());
    let nginx = Nginx::start(&upstreams).await;
    let (site_id, token) = (
        site["site_id"].as_str().unwrap(),
        site["postback_secret"].as_str().unwrap(),
    );
    let http = no_redirects();
    let mut accepted: HashMap<String, usize> = HashMap::new();
    let mut limited = 0;
    for n in 0..4 * BURST {
        let response = http
            .get(format!(
                "{}/api/v1/postbacks/{site_id}?sid=Limited{n}&amount=1&oid=L{n}&token={token}",
                nginx.address
            ))
            .send()
            .await
            .unwrap();
        match response.status().as_u16() {
            200 => *accepted.entry(answered_by(&response)).or_default() += 1,
            429 => {
                assert!(response.headers().contains_key("retry-after"));
                limited += 1;
            }
            other => panic!("postback {n}: {other}"),
        }
    }
    // Each process let its burst through (and at most a token or two that
    // refilled meanwhile at 1/s), so together twice one process's burst.
    assert_eq!(accepted.len(), 2, "{accepted:?}");
    for (upstream, n) in &accepted {
        assert!((BURST..=BURST + 2).contains(n), "{upstream}: {n} accepted");
    }
    assert_eq!(accepted.values().sum::<usize>() + limited, 4 * BURST);
    drop((a, b, nginx));
    drop_database(name);
}
