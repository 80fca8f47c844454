//! `affrank demo-data`: fills a site with a year of realistic traffic for
//! trying the reports and for `bench/reports.sh`.
//!
//! Links are registered like rewrites register them; clicks and conversions
//! go in by binary COPY through the production tables (so the triggers keep
//! the rollups exactly as they do for live traffic), in chunks, oldest
//! first; status changes (approvals, rejections, reversals) are UPDATEs, as
//! the postback code makes them. The same seed gives the same data, on any
//! site: only the session ids are the site's own (they key `clicks` across
//! sites), so every site can take the default seed.

mod copy;
pub mod model;

use crate::clicks::ClickRow;
use crate::ids::{LinkId, SessionId, SiteId};
use crate::reports::sealer;
use crate::sites::sql as site_sql;
use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use deadpool_postgres::Pool;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use model::{KEYWORDS, PAGES, Zipf};
use rand::distr::Alphanumeric;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rust_decimal::Decimal;
use std::io::IsTerminal;
use std::str::FromStr;
use std::time::Instant;

pub struct Options {
    pub site: String,
    pub clicks: u64,
    pub days: u32,
    pub seed: u64,
    /// The last day of data (UTC); default today.
    pub end: Option<NaiveDate>,
    /// Share of human clicks that convert.
    pub conversion_rate: f64,
}

/// Where a matched conversion's click was.
pub struct Attribution {
    pub link_id: String,
    pub page_url: String,
    pub keyword: Option<String>,
    pub clicked_at: DateTime<Utc>,
    pub is_bot: bool,
}

pub struct DemoConversion {
    pub site_id: String,
    pub session_id: String,
    pub transaction_id: String,
    pub status: &'static str,
    pub amount: Decimal,
    pub currency: String,
    pub amount_site: Option<Decimal>,
    pub unconverted: bool,
    pub is_lead: bool,
    pub received_at: DateTime<Utc>,
    /// `None`: no click has its session id (unattributed).
    pub click: Option<Attribution>,
}

#[derive(Default)]
pub struct Summary {
    pub links: usize,
    pub clicks: u64,
    pub bots: u64,
    pub conversions: u64,
    pub unmatched: u64,
    pub pending: u64,
    pub rejected: u64,
    pub reversed: u64,
    pub weeks_sealed: u64,
    pub seconds: f64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "demo-data: {} clicks ({} bots) on {} links ({} pages, {} keywords), {} conversions \
             ({} unmatched, {} pending, {} rejected, {} reversed), {} weekly checkpoints, \
             in {:.0} s ({:.0} clicks/s)",
            self.clicks,
            self.bots,
            self.links,
            PAGES,
            KEYWORDS,
            self.conversions,
            self.unmatched,
            self.pending,
            self.rejected,
            self.reversed,
            self.weeks_sealed,
            self.seconds,
            self.clicks as f64 / self.seconds.max(0.001)
        )
    }
}

const CHUNK: u64 = 50_000;
const BOT_SHARE: f64 = 0.04;

fn progress(len: u64, what: &'static str) -> ProgressBar {
    // A bar only for a person watching; logs and pipes get the summary line.
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:12} [{bar:40}] {human_pos}/{human_len} {rate} ETA {eta}",
        )
        .expect("a valid template")
        // indicatif's own {per_sec} prints four decimals of rows per second.
        .with_key(
            "rate",
            |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}/s", state.per_sec());
            },
        )
        .progress_chars("=> "),
    );
    bar.set_message(what);
    bar
}

pub async fn run(pool: &Pool, options: &Options) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let site_id = SiteId::parse(&options.site).map_err(|e| anyhow::anyhow!("--site {e}"))?;
    let client = pool.get().await?;
    let site = site_sql::find_site(&client, &site_id)
        .await?
        .with_context(|| format!("no site {site_id}"))?;
    let host = url::Url::parse(&site.settings.url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "blog.example".into());
    // Transaction ids are `demo-{seed}-{n}`: a second run of one seed on one
    // site would collide with the first halfway through its COPY.
    let again = client
        .query_opt(
            "SELECT 1 FROM conversions WHERE site_id = $1 AND transaction_id = $2",
            &[&site_id.as_str(), &format!("demo-{}-0", options.seed)],
        )
        .await?;
    if again.is_some() {
        anyhow::bail!(
            "site {site_id} already has the demo data of --seed {}; run another seed",
            options.seed
        );
    }
    let mut rng = StdRng::seed_from_u64(options.seed);
    let sessions = SessionSalt::of(&site_id);
    let mut summary = Summary::default();

    let links: Vec<Vec<model::DemoLink>> = (0..KEYWORDS)
        .map(|k| model::links_of(&site_id, &host, k))
        .collect();
    summary.links = insert_links(&client, site_id.as_str(), &links).await?;

    let end = options.end.unwrap_or_else(|| Utc::now().date_naive());
    let end_at = (end + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        .min(Utc::now());
    let span = Duration::days(options.days.into());
    let start_at = end_at - span;
    let zipf = Zipf::new(KEYWORDS, 1.0);
    let chunks = options.clicks.div_ceil(CHUNK).max(1);
    let mut conversions = Vec::new();
    let bar = progress(options.clicks, "clicks");
    for chunk in 0..chunks {
        let n = CHUNK.min(options.clicks - chunk * CHUNK);
        let slice = span / chunks as i32;
        let slice_start = start_at + slice * chunk as i32;
        let mut rows = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let k = zipf.sample(&mut rng);
            let offers = &links[k];
            let link = &offers[rng.random_range(0..offers.len())];
            let at = slice_start
                + Duration::milliseconds(rng.random_range(0..slice.num_milliseconds().max(1)));
            let is_bot = rng.random_bool(BOT_SHARE);
            let row = click_row(&mut rng, &sessions, &site_id, link, at, is_bot);
            if !is_bot && rng.random_bool(options.conversion_rate) {
                conversions.push(conversion(
                    &mut rng,
                    &site,
                    &row,
                    end_at,
                    options.seed,
                    conversions.len(),
                ));
            }
            summary.bots += u64::from(is_bot);
            rows.push(row);
        }
        copy::clicks(&client, &rows).await?;
        summary.clicks += n;
        bar.inc(n);
    }
    bar.finish_and_clear();

    // Postbacks whose click was never recorded.
    let unmatched = (conversions.len() / 100).max(1);
    for _ in 0..unmatched {
        let at = start_at + Duration::seconds(rng.random_range(0..span.num_seconds().max(1)));
        let session = sessions.session_id(&mut rng);
        let mut c = conversion_at(
            &mut rng,
            &site,
            session.as_str(),
            at,
            options.seed,
            conversions.len(),
        );
        c.received_at = at;
        conversions.push(c);
    }
    summary.unmatched = unmatched as u64;
    summary.conversions = conversions.len() as u64;
    let bar = progress(conversions.len() as u64, "conversions");
    for chunk in conversions.chunks(20_000) {
        copy::conversions(&client, chunk).await?;
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();

    // The networks decide later: most pending sales are approved, some are
    // rejected, and a few approved ones are reversed.
    let mut changes: Vec<(&str, Vec<&str>)> = vec![
        ("approved", vec![]),
        ("rejected", vec![]),
        ("reversed", vec![]),
    ];
    for c in &conversions {
        let roll = rng.random::<f64>();
        let to = match c.status {
            "pending" if roll < 0.55 => 0,
            "pending" if roll < 0.70 => 1,
            "approved" if roll < 0.05 => 2,
            _ => continue,
        };
        changes[to].1.push(&c.transaction_id);
    }
    for (status, ids) in &changes {
        for chunk in ids.chunks(10_000) {
            client
                .execute(
                    "UPDATE conversions SET status = $1, updated_at = now() \
                     WHERE site_id = $2 AND transaction_id = ANY($3)",
                    &[status, &site_id.as_str(), &chunk],
                )
                .await?;
        }
    }
    let pending_left = conversions.iter().filter(|c| c.status == "pending").count()
        - changes[0].1.len()
        - changes[1].1.len();
    summary.pending = pending_left as u64;
    summary.rejected = changes[1].1.len() as u64;
    summary.reversed = changes[2].1.len() as u64;

    let zone = chrono_tz::Tz::from_str(&site.settings.time_zone).unwrap_or(chrono_tz::UTC);
    let today = Utc::now().with_timezone(&zone).date_naive();
    summary.weeks_sealed = sealer::catch_up(&client, site_id.as_str(), today).await?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

async fn insert_links(
    client: &deadpool_postgres::Client,
    site_id: &str,
    links: &[Vec<model::DemoLink>],
) -> anyhow::Result<usize> {
    let all: Vec<&model::DemoLink> = links.iter().flatten().collect();
    for chunk in all.chunks(5_000) {
        let ids: Vec<&str> = chunk.iter().map(|l| l.id.as_str()).collect();
        let urls: Vec<&str> = chunk.iter().map(|l| l.url.as_str()).collect();
        let pages: Vec<&str> = chunk.iter().map(|l| l.page_url.as_str()).collect();
        let keywords: Vec<Option<&str>> = chunk.iter().map(|l| l.keyword.as_deref()).collect();
        let networks: Vec<Option<&str>> = chunk.iter().map(|l| l.network).collect();
        client
            .execute(
                "INSERT INTO links (id, site_id, url, page_url, keyword, keyword_source, network) \
                 SELECT id, $2, url, page, keyword, CASE WHEN keyword IS NULL THEN NULL ELSE 'post_meta' END, network \
                 FROM unnest($1::text[], $3::text[], $4::text[], $5::text[], $6::text[]) \
                      AS t(id, url, page, keyword, network) \
                 ON CONFLICT (id) DO NOTHING",
                &[&ids, &site_id, &urls, &pages, &keywords, &networks],
            )
            .await?;
    }
    Ok(all.len())
}

const BROWSER: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const BOT: &str = "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)";

/// Session ids key `clicks` across every site, so two sites filled with
/// one seed must not share them. The draws stay the seed's (one seed gives
/// the same traffic and figures on any site); each character is then
/// shifted by an offset of the site's own. A shift is one-to-one, so ids
/// stay as distinct within a site as they were drawn, and another site's
/// ids are another permutation.
struct SessionSalt([u8; 20]);

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

impl SessionSalt {
    fn of(site: &SiteId) -> Self {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(site.as_str().as_bytes());
        Self(std::array::from_fn(|i| digest[i] % 62))
    }

    fn session_id(&self, rng: &mut StdRng) -> SessionId {
        let id: String = rng
            .sample_iter(Alphanumeric)
            .take(self.0.len())
            .zip(self.0)
            .map(|(drawn, shift)| {
                let at = match drawn {
                    b'0'..=b'9' => drawn - b'0',
                    b'A'..=b'Z' => drawn - b'A' + 10,
                    _ => drawn - b'a' + 36,
                };
                char::from(BASE62[usize::from((at + shift) % 62)])
            })
            .collect();
        SessionId::parse(&id).expect("20 alphanumerics")
    }
}

fn click_row(
    rng: &mut StdRng,
    sessions: &SessionSalt,
    site_id: &SiteId,
    link: &model::DemoLink,
    at: DateTime<Utc>,
    is_bot: bool,
) -> ClickRow {
    ClickRow {
        session_id: sessions.session_id(rng),
        site_id: site_id.clone(),
        link_id: LinkId::from_trusted(link.id.clone()),
        clicked_at: at,
        page_url: link.page_url.clone(),
        keyword: link.keyword.clone(),
        keyword_source: link.keyword.as_ref().map(|_| "post_meta".to_owned()),
        network: link.network.map(str::to_owned),
        referrer: Some(link.page_url.clone()),
        user_agent: Some(if is_bot { BOT } else { BROWSER }.to_owned()),
        visitor_hash: None,
        is_bot,
    }
}

/// A conversion of a recorded click, some minutes to days after it.
fn conversion(
    rng: &mut StdRng,
    site: &crate::sites::Site,
    click: &ClickRow,
    end_at: DateTime<Utc>,
    seed: u64,
    n: usize,
) -> DemoConversion {
    // Exponential delay, half a day on average.
    let minutes = -rng.random::<f64>().max(1e-9).ln() * 720.0;
    let received = (click.clicked_at + Duration::minutes(minutes as i64)).min(end_at);
    let mut c = conversion_at(rng, site, click.session_id.as_str(), received, seed, n);
    c.click = Some(Attribution {
        link_id: click.link_id.as_str().to_owned(),
        page_url: click.page_url.clone(),
        keyword: click.keyword.clone(),
        clicked_at: click.clicked_at,
        is_bot: click.is_bot,
    });
    c
}

fn conversion_at(
    rng: &mut StdRng,
    site: &crate::sites::Site,
    session: &str,
    received_at: DateTime<Utc>,
    seed: u64,
    n: usize,
) -> DemoConversion {
    let is_lead = rng.random_bool(0.10);
    // Log-uniform between 2 and 300 in cents: many small commissions, a few big.
    let amount = if is_lead {
        Decimal::ZERO
    } else {
        let cents = (200.0 * 150f64.powf(rng.random::<f64>())).round() as i64;
        Decimal::new(cents, 2)
    };
    let currency = match rng.random_range(0..100) {
        0..90 => site.settings.currency.clone(),
        90..97 => "EUR".to_owned(),
        _ => "GBP".to_owned(),
    };
    let rate = if currency == site.settings.currency {
        Some(Decimal::ONE)
    } else {
        site.settings.currency_rates.get(&currency).copied()
    };
    let amount_site = rate.map(|r| amount * r);
    DemoConversion {
        site_id: site.id.as_str().to_owned(),
        session_id: session.to_owned(),
        transaction_id: format!("demo-{seed}-{n}"),
        status: if rng.random_bool(0.7) {
            "approved"
        } else {
            "pending"
        },
        amount,
        unconverted: amount_site.is_none() && !is_lead,
        amount_site: if is_lead {
            Some(Decimal::ZERO)
        } else {
            amount_site
        },
        currency,
        is_lead,
        received_at,
        click: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(site: &SiteId, seed: u64) -> Vec<String> {
        let salt = SessionSalt::of(site);
        let mut rng = StdRng::seed_from_u64(seed);
        (0..1000)
            .map(|_| salt.session_id(&mut rng).as_str().to_owned())
            .collect()
    }

    #[test]
    fn one_seed_gives_each_site_session_ids_of_its_own() {
        let (a, b) = (SiteId::mint(), SiteId::mint());
        assert_eq!(ids(&a, 1), ids(&a, 1), "the same seed, the same ids");
        let of_a: std::collections::HashSet<_> = ids(&a, 1).into_iter().collect();
        assert_eq!(of_a.len(), 1000);
        assert!(ids(&b, 1).iter().all(|id| !of_a.contains(id)));
        assert!(
            of_a.iter()
                .all(|id| id.len() == 20 && SessionId::parse(id).is_ok())
        );
    }
}
