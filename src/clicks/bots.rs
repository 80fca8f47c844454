//! The bot list, compiled once into a `RegexSet`, with the latest verdicts
//! remembered by user agent.

use regex::{RegexSet, RegexSetBuilder};
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;

const PATTERNS: &str = include_str!("bots.txt");

/// A site's visitors come with a few hundred user agents at most, and
/// matching one against the set was the costliest string work of a click.
const REMEMBERED: usize = 1024;

/// A user agent and whether it is a bot's.
type Verdict = (Box<str>, bool);

pub struct BotDetector {
    set: RegexSet,
    /// Slot by hash of the user agent; a slot keeps the last one seen there,
    /// compared in full, so a collision only costs a match.
    remembered: Box<[Mutex<Option<Verdict>>]>,
    hasher: RandomState,
}

impl BotDetector {
    pub fn new() -> Self {
        let patterns = PATTERNS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'));
        let set = RegexSetBuilder::new(patterns)
            .case_insensitive(true)
            // User agents are ASCII; Unicode word boundaries would push the
            // set off the lazy DFA onto a slower engine.
            .unicode(false)
            .build()
            .expect("bots.txt holds valid patterns");
        Self {
            set,
            remembered: (0..REMEMBERED).map(|_| Mutex::new(None)).collect(),
            hasher: RandomState::new(),
        }
    }

    /// A missing or empty user agent is no browser either.
    pub fn is_bot(&self, user_agent: Option<&str>) -> bool {
        match user_agent.map(str::trim) {
            None | Some("") => true,
            Some(ua) => self.remembered_or_matched(ua),
        }
    }

    /// A slot another click holds is not waited for: that click matches.
    fn remembered_or_matched(&self, ua: &str) -> bool {
        let slot = &self.remembered[self.hasher.hash_one(ua) as usize % REMEMBERED];
        if let Ok(guard) = slot.try_lock()
            && let Some((seen, verdict)) = guard.as_ref()
            && **seen == *ua
        {
            return *verdict;
        }
        let verdict = self.set.is_match(ua);
        if let Ok(mut guard) = slot.try_lock() {
            *guard = Some((ua.into(), verdict));
        }
        verdict
    }
}

impl Default for BotDetector {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_crawlers_previews_and_libraries() {
        let d = BotDetector::new();
        for ua in [
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
            "curl/8.5.0",
            "python-requests/2.31.0",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
            "",
        ] {
            assert!(d.is_bot(Some(ua)), "{ua}");
            assert!(d.is_bot(Some(ua)), "{ua}, remembered");
        }
        assert!(d.is_bot(None));
    }

    #[test]
    fn lets_browsers_through() {
        let d = BotDetector::new();
        for ua in [
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
        ] {
            assert!(!d.is_bot(Some(ua)), "{ua}");
            assert!(!d.is_bot(Some(ua)), "{ua}, remembered");
        }
    }

    proptest::proptest! {
        // Each case compiles the set afresh: a few dozen cases will do.
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

        #[test]
        fn a_remembered_verdict_is_the_sets_verdict(
            agents in proptest::collection::vec(
                "(Mozilla/5\\.0 |curl/|Googlebot|Chrome/1[0-9]{2}|bot|Safari| ){1,6}", 1..40),
            order in proptest::collection::vec(0usize..40, 0..200),
        ) {
            let d = BotDetector::new();
            for i in order.into_iter().chain(0..agents.len()) {
                let ua = &agents[i % agents.len()];
                let expected = ua.trim().is_empty() || d.set.is_match(ua.trim());
                proptest::prop_assert_eq!(d.is_bot(Some(ua)), expected, "{}", ua);
            }
        }
    }
}
