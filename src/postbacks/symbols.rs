//! A currency symbol before a postback's amount (`€12.50`, `£3`, `$5`)
//! names a currency. It is never dropped: the amount is counted in that
//! currency, and a `currency` parameter that says otherwise is refused,
//! since which of the two the network meant cannot be known.
//!
//! Some symbols stand for several currencies. `$` is read as US dollars
//! unless `currency` names another dollar (CAD, AUD, MXN ...), `¥` as yen
//! unless it says CNY, `£` as pounds sterling unless it names another pound;
//! `kr` (SEK, NOK, DKK, ISK) has no such default and needs `currency`.

pub struct Symbol {
    pub text: &'static str,
    /// What it means when `currency` is absent; `None`: too ambiguous to guess.
    default: Option<&'static str>,
    /// Every currency it may stand for (`default` first).
    means: &'static [&'static str],
}

/// Currencies written with a bare `$`.
const DOLLARS: &[&str] = &[
    "USD", "CAD", "AUD", "NZD", "SGD", "HKD", "TWD", "MXN", "ARS", "CLP", "COP", "UYU", "DOP",
    "CUP", "BSD", "BBD", "BZD", "BMD", "BND", "FJD", "GYD", "JMD", "KYD", "LRD", "NAD", "SBD",
    "SRD", "TTD", "XCD",
];

const fn one(text: &'static str, currency: &'static [&'static str]) -> Symbol {
    Symbol {
        text,
        default: Some(currency[0]),
        means: currency,
    }
}

/// Longest first, so `US$` is found before `$` and `CN¥` before `¥`.
pub const SYMBOLS: &[Symbol] = &[
    one("US$", &["USD"]),
    one("AU$", &["AUD"]),
    one("CA$", &["CAD"]),
    one("NZ$", &["NZD"]),
    one("HK$", &["HKD"]),
    one("MX$", &["MXN"]),
    one("CN¥", &["CNY"]),
    one("CHF", &["CHF"]),
    one("A$", &["AUD"]),
    one("C$", &["CAD"]),
    one("S$", &["SGD"]),
    one("R$", &["BRL"]),
    one("zł", &["PLN"]),
    Symbol {
        text: "kr",
        default: None,
        means: &["SEK", "NOK", "DKK", "ISK"],
    },
    one("$", DOLLARS),
    one("€", &["EUR"]),
    one("£", &["GBP", "GIP", "FKP", "SHP", "EGP"]),
    one("¥", &["JPY", "CNY"]),
    one("₹", &["INR"]),
    one("₩", &["KRW"]),
    one("₽", &["RUB"]),
    one("₺", &["TRY"]),
    one("₪", &["ILS"]),
    one("฿", &["THB"]),
    one("₫", &["VND"]),
    one("₱", &["PHP"]),
];

impl Symbol {
    /// The symbol `text` starts with, if any.
    pub fn at_start_of(text: &str) -> Option<&'static Symbol> {
        SYMBOLS.iter().find(|s| text.starts_with(s.text))
    }

    /// The currency of an amount written with this symbol, given the
    /// `currency` parameter (ISO 4217, upper case) if one was sent.
    pub fn currency(&self, sent: Option<&str>) -> Result<&'static str, String> {
        match (sent, self.default) {
            (Some(code), _) => self
                .means
                .iter()
                .copied()
                .find(|c| *c == code)
                .ok_or_else(|| {
                    format!(
                        "the amount is written in {} ({}), but currency={code}: send one currency",
                        self.text,
                        self.means.join(", ")
                    )
                }),
            (None, Some(default)) => Ok(default),
            (None, None) => Err(format!(
                "{} may be {}: send currency too",
                self.text,
                self.means.join(", ")
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn currency_of(amount: &str, sent: Option<&str>) -> Result<&'static str, String> {
        Symbol::at_start_of(amount)
            .expect("a symbol")
            .currency(sent)
    }

    #[test]
    fn a_symbol_means_its_currency() {
        for (amount, currency) in [
            ("€12.50", "EUR"),
            ("£3", "GBP"),
            ("$5", "USD"),
            ("¥100", "JPY"),
            ("US$5", "USD"),
            ("A$5", "AUD"),
            ("C$5", "CAD"),
            ("CN¥5", "CNY"),
            ("R$5", "BRL"),
            ("₹5", "INR"),
            ("CHF 5", "CHF"),
        ] {
            assert_eq!(currency_of(amount, None), Ok(currency), "{amount}");
            assert_eq!(
                currency_of(amount, Some(currency)),
                Ok(currency),
                "{amount}"
            );
        }
    }

    #[test]
    fn an_ambiguous_symbol_takes_the_currency_parameter_among_its_own() {
        assert_eq!(currency_of("$5", Some("CAD")), Ok("CAD"));
        assert_eq!(currency_of("$5", Some("AUD")), Ok("AUD"));
        assert_eq!(currency_of("¥5", Some("CNY")), Ok("CNY"));
        assert_eq!(currency_of("kr5", Some("SEK")), Ok("SEK"));
        let e = currency_of("kr5", None).unwrap_err();
        assert!(
            e.contains("SEK, NOK, DKK, ISK") && e.contains("send currency"),
            "{e}"
        );
    }

    #[test]
    fn a_symbol_that_contradicts_the_currency_is_refused() {
        for (amount, sent) in [
            ("€12.50", "USD"),
            ("$5", "EUR"),
            ("£3", "EUR"),
            ("US$5", "CAD"),
            ("C$5", "USD"),
            ("¥100", "USD"),
        ] {
            let e = currency_of(amount, Some(sent)).unwrap_err();
            assert!(
                e.contains(&format!("currency={sent}")),
                "{amount} {sent}: {e}"
            );
        }
    }

    #[test]
    fn no_symbol_hides_a_longer_one_behind_it() {
        for (i, s) in SYMBOLS.iter().enumerate() {
            for later in &SYMBOLS[i + 1..] {
                assert!(
                    !later.text.starts_with(s.text),
                    "{} would hide {}",
                    s.text,
                    later.text
                );
            }
            assert!(s.default.is_none_or(|d| s.means[0] == d));
        }
    }
}
