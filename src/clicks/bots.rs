//! The bot list, compiled once into a `RegexSet`.

use regex::{RegexSet, RegexSetBuilder};

const PATTERNS: &str = include_str!("bots.txt");

pub struct BotDetector {
    set: RegexSet,
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
        Self { set }
    }

    /// A missing or empty user agent is no browser either.
    pub fn is_bot(&self, user_agent: Option<&str>) -> bool {
        match user_agent.map(str::trim) {
            None | Some("") => true,
            Some(ua) => self.set.is_match(ua),
        }
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
        }
    }
}
