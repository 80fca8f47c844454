//! The synthetic blog `demo-data` fills a site with: 20,000 keywords on
//! 5,000 pages, one to three affiliate links per keyword on its page, and
//! traffic that follows a Zipf law (the keyword of rank r gets about 1/r of
//! the top keyword's clicks), as search traffic to a blog does.

use crate::ids::{LinkId, SiteId};
use rand::RngExt;

pub const KEYWORDS: usize = 20_000;
pub const PAGES: usize = 5_000;

/// Draws ranks 0..n with probability proportional to 1/(rank+1)^s.
pub struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    pub fn new(n: usize, s: f64) -> Self {
        let mut total = 0.0;
        let cumulative = (1..=n)
            .map(|r| {
                total += 1.0 / (r as f64).powf(s);
                total
            })
            .collect();
        Self { cumulative }
    }

    pub fn sample(&self, rng: &mut impl RngExt) -> usize {
        let total = *self.cumulative.last().expect("at least one rank");
        let u = rng.random::<f64>() * total;
        self.cumulative
            .partition_point(|&c| c <= u)
            .min(self.cumulative.len() - 1)
    }
}

const ADJECTIVES: [&str; 20] = [
    "best",
    "cheap",
    "lightweight",
    "waterproof",
    "budget",
    "premium",
    "quiet",
    "portable",
    "wireless",
    "compact",
    "durable",
    "ergonomic",
    "vegan",
    "organic",
    "smart",
    "foldable",
    "electric",
    "manual",
    "kids",
    "professional",
];
const PRODUCTS: [&str; 20] = [
    "running shoes",
    "hiking boots",
    "coffee grinder",
    "standing desk",
    "office chair",
    "air fryer",
    "yoga mat",
    "backpack",
    "tent",
    "sleeping bag",
    "headphones",
    "webcam",
    "keyboard",
    "monitor",
    "blender",
    "water bottle",
    "bike helmet",
    "rain jacket",
    "espresso machine",
    "robot vacuum",
];
const QUALIFIERS: [&str; 50] = [
    "for beginners",
    "for women",
    "for men",
    "under 100",
    "under 50",
    "2025",
    "review",
    "vs",
    "for travel",
    "for small spaces",
    "for flat feet",
    "for winter",
    "for summer",
    "for students",
    "for seniors",
    "for home",
    "for office",
    "on amazon",
    "deals",
    "sale",
    "alternatives",
    "comparison",
    "for gaming",
    "for running",
    "for camping",
    "uk",
    "canada",
    "australia",
    "for kids",
    "for dogs",
    "for cats",
    "for back pain",
    "for tall people",
    "for short people",
    "for wide feet",
    "for marathon",
    "for trail",
    "for gym",
    "for crossfit",
    "for walking",
    "for work",
    "for nurses",
    "for teachers",
    "for developers",
    "for writers",
    "for musicians",
    "for photographers",
    "for vloggers",
    "for streamers",
    "buying guide",
];
const NETWORKS: [Option<&str>; 5] = [
    Some("amazon"),
    Some("awin"),
    Some("shareasale"),
    Some("impact"),
    None,
];

/// Keyword of rank `k`: 20 × 20 × 50 distinct phrases. Every 50th keyword
/// is missing (the post set none), which the reports group as "(none)".
pub fn keyword(k: usize) -> Option<String> {
    if k % 50 == 49 {
        return None;
    }
    let (a, rest) = (k % 20, k / 20);
    let (p, q) = (rest % 20, (rest / 20) % 50);
    Some(format!(
        "{} {} {}",
        ADJECTIVES[a], PRODUCTS[p], QUALIFIERS[q]
    ))
}

/// The page a keyword's links sit on: pages share the keyword ranks modulo
/// 5,000, so page popularity is Zipf-like too.
pub fn page_of(k: usize) -> usize {
    k % PAGES
}

pub fn page_url(host: &str, page: usize) -> String {
    let product = PRODUCTS[page % 20].replace(' ', "-");
    format!("https://{host}/{product}-guide-{page}/")
}

pub struct DemoLink {
    pub id: String,
    pub url: String,
    pub page_url: String,
    pub keyword: Option<String>,
    pub network: Option<&'static str>,
}

/// The links of keyword `k`: one to three offers on its page.
pub fn links_of(site: &SiteId, host: &str, k: usize) -> Vec<DemoLink> {
    let page_url = page_url(host, page_of(k));
    let keyword = keyword(k);
    (0..1 + k % 3)
        .map(|j| {
            let network = NETWORKS[(k + j) % NETWORKS.len()];
            let url = match network {
                Some("amazon") => format!("https://www.amazon.com/dp/B0{k:08}?tag=demo-20&v={j}"),
                Some("awin") => {
                    format!("https://www.awin1.com/cread.php?awinmid={j}&awinaffid=1&p={k}")
                }
                Some("shareasale") => format!("https://www.shareasale.com/r.cfm?b={k}&u=1&m={j}"),
                Some(_) => format!("https://brand{j}.sjv.io/c/1/2/{k}"),
                None => format!("https://shop{j}.example/offer/{k}"),
            };
            DemoLink {
                id: LinkId::derive(site, &url, &page_url, keyword.as_deref())
                    .as_str()
                    .to_owned(),
                url,
                page_url: page_url.clone(),
                keyword: keyword.clone(),
                network,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use std::collections::HashSet;

    #[test]
    fn keywords_are_distinct_and_every_fiftieth_is_none() {
        let all: Vec<_> = (0..KEYWORDS).map(keyword).collect();
        let named: HashSet<_> = all.iter().flatten().collect();
        assert_eq!(named.len(), KEYWORDS - KEYWORDS / 50);
        assert_eq!(all.iter().filter(|k| k.is_none()).count(), KEYWORDS / 50);
    }

    #[test]
    fn zipf_favours_the_first_ranks() {
        let zipf = Zipf::new(KEYWORDS, 1.0);
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let draws: Vec<usize> = (0..100_000).map(|_| zipf.sample(&mut rng)).collect();
        let top = draws.iter().filter(|&&r| r == 0).count();
        let tenth = draws.iter().filter(|&&r| r == 9).count();
        // Rank 1 is drawn about ten times as often as rank 10 (1/H ≈ 9.4%).
        assert!((8_000..11_000).contains(&top), "{top}");
        assert!((6.0..14.0).contains(&(top as f64 / tenth as f64)));
        assert!(draws.iter().all(|&r| r < KEYWORDS));
    }
}
