//! Revenue Mapping reports: summary, timeseries, and one row per keyword,
//! page or link, read from the rollups that migration 0003's triggers keep
//! current (see that migration for how, and `plan` for how a range is read).
//! Small click statements reach the rollups through `report_click_pending`
//! (migration 0005): every report folds its site's pending clicks first.

pub mod answer;
pub mod by_network;
pub mod combine;
pub mod csv;
pub mod figures;
pub mod fold;
pub mod ledger_sql;
pub mod params;
pub mod plan;
pub mod raw;
pub mod sealer;
pub mod sql;

/// The three list reports. The letter is `report_day.dim`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimension {
    Keyword,
    Page,
    Link,
}

impl Dimension {
    pub fn code(self) -> i8 {
        match self {
            Self::Keyword => b'k' as i8,
            Self::Page => b'p' as i8,
            Self::Link => b'l' as i8,
        }
    }

    /// The report's name in its path and in CSV file names.
    pub fn name(self) -> &'static str {
        match self {
            Self::Keyword => "keywords",
            Self::Page => "pages",
            Self::Link => "links",
        }
    }
}

/// Keyword rows for clicks whose link had no keyword.
pub const NO_KEYWORD: &str = "(none)";
