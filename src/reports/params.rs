//! The query string of a report, validated. Every rejected value is a 400
//! that names its parameter; unknown parameters are refused too, so a typo
//! (`sortby=`) is an error instead of a silently ignored choice.

use super::Dimension;
use crate::error::ApiError;
use chrono::NaiveDate;

/// Longest range a report covers, in days (three years and a leap day).
pub const MAX_DAYS: i64 = 1096;
pub const DEFAULT_DAYS: i64 = 30;
pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 1000;
pub const MAX_OFFSET: i64 = 1_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Report {
    Summary,
    Timeseries,
    List(Dimension),
    /// One row per network (`GET /api/v1/reports/networks`).
    Networks,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    Asc,
    Desc,
}

/// What a list can be sorted by: a figure, or one of its text columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    Clicks,
    Conversions,
    Revenue,
    Epc,
    ConversionRate,
    /// The row's key: the keyword, the page URL, or the link id.
    Key,
    /// Links only.
    Url,
    PageUrl,
    Network,
}

impl Sort {
    fn parse(dim: Dimension, value: &str) -> Option<Self> {
        Some(match (dim, value) {
            (_, "clicks") => Self::Clicks,
            (_, "conversions") => Self::Conversions,
            (_, "revenue") => Self::Revenue,
            (_, "epc") => Self::Epc,
            (_, "conversion_rate") => Self::ConversionRate,
            (Dimension::Keyword, "keyword") => Self::Key,
            (Dimension::Page, "page_url") => Self::Key,
            (Dimension::Link, "link_id") => Self::Key,
            (Dimension::Link, "url") => Self::Url,
            (Dimension::Link, "page_url") => Self::PageUrl,
            (Dimension::Link, "network") => Self::Network,
            _ => return None,
        })
    }

    fn names(dim: Dimension) -> &'static str {
        match dim {
            Dimension::Keyword => "keyword, clicks, conversions, revenue, epc, conversion_rate",
            Dimension::Page => "page_url, clicks, conversions, revenue, epc, conversion_rate",
            Dimension::Link => {
                "link_id, url, page_url, network, clicks, conversions, revenue, epc, conversion_rate"
            }
        }
    }

    fn is_text(self) -> bool {
        matches!(self, Self::Key | Self::Url | Self::PageUrl | Self::Network)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReportQuery {
    /// First and last day, inclusive, in the site's time zone.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub format: Format,
    pub sort: Sort,
    pub order: Order,
    /// `None`: every row (a CSV download without `limit`).
    pub limit: Option<i64>,
    pub offset: i64,
    /// `network=`: only that network's clicks and conversions.
    pub network: Option<String>,
}

impl ReportQuery {
    /// `today` is the site's current local day: the default range is the 30
    /// days ending on it.
    pub fn parse(
        report: Report,
        pairs: &[(String, String)],
        today: NaiveDate,
    ) -> Result<Self, ApiError> {
        let mut seen: Vec<&str> = Vec::new();
        let mut from = None;
        let mut to = None;
        let mut format = Format::Json;
        let mut sort = None;
        let mut order = None;
        let mut limit = None;
        let mut offset = 0;
        let mut network = None;
        for (name, value) in pairs {
            if seen.contains(&name.as_str()) {
                return Err(ApiError::invalid(name, "is given more than once"));
            }
            seen.push(name);
            let list = match report {
                Report::List(dim) => Some(dim),
                // Its label sorts as a list's key does.
                Report::Networks => Some(Dimension::Link),
                _ => None,
            };
            match (name.as_str(), list) {
                ("network", _) if report != Report::Networks => {
                    network = Some(network_id(name, value)?)
                }
                ("sort", Some(_)) if report == Report::Networks => {
                    sort = Some(match value.as_str() {
                        "network" => Sort::Key,
                        other => Sort::parse(Dimension::Keyword, other)
                            .filter(|s| !s.is_text())
                            .ok_or_else(|| {
                                ApiError::invalid(
                                    name,
                                    "must be one of network, clicks, conversions, revenue, epc, conversion_rate",
                                )
                            })?,
                    })
                }
                ("from", _) => from = Some(date(name, value)?),
                ("to", _) => to = Some(date(name, value)?),
                ("format", _) if report != Report::Summary => {
                    format = match value.as_str() {
                        "json" => Format::Json,
                        "csv" => Format::Csv,
                        _ => return Err(ApiError::invalid(name, "must be json or csv")),
                    }
                }
                ("sort", Some(dim)) => {
                    sort = Some(Sort::parse(dim, value).ok_or_else(|| {
                        ApiError::invalid(name, format!("must be one of {}", Sort::names(dim)))
                    })?)
                }
                ("order", Some(_)) => {
                    order = Some(match value.as_str() {
                        "asc" => Order::Asc,
                        "desc" => Order::Desc,
                        _ => return Err(ApiError::invalid(name, "must be asc or desc")),
                    })
                }
                ("limit", Some(_)) => limit = Some(integer(name, value, 1, MAX_LIMIT)?),
                ("offset", Some(_)) => offset = integer(name, value, 0, MAX_OFFSET)?,
                _ => return Err(ApiError::invalid(name, "is not a parameter of this report")),
            }
        }
        let to = to.unwrap_or(today);
        let from = match from {
            Some(from) => from,
            None => to
                .checked_sub_days(chrono::Days::new(DEFAULT_DAYS as u64 - 1))
                .ok_or_else(|| ApiError::invalid("to", "is too early"))?,
        };
        if from > to {
            return Err(ApiError::invalid(
                "from",
                format!("must not be after to ({from} > {to})"),
            ));
        }
        if (to - from).num_days() + 1 > MAX_DAYS {
            return Err(ApiError::invalid(
                "from",
                format!("the range covers at most {MAX_DAYS} days"),
            ));
        }
        let sort = sort.unwrap_or(Sort::Revenue);
        // Text reads best A to Z, figures best first.
        let order = order.unwrap_or(if sort.is_text() {
            Order::Asc
        } else {
            Order::Desc
        });
        let limit = match (limit, format) {
            (Some(limit), _) => Some(limit),
            (None, Format::Json) => Some(DEFAULT_LIMIT),
            (None, Format::Csv) => None,
        };
        Ok(Self {
            from,
            to,
            format,
            sort,
            order,
            limit,
            offset,
            network,
        })
    }
}

/// A network id as conversions carry it: DESIGN.md's (`amazon`, `cj`…) or
/// a blogger's own (lower-case letters, digits, `_`, `-`; at most 40).
fn network_id(name: &str, value: &str) -> Result<String, ApiError> {
    let ok = !value.is_empty()
        && value.len() <= 40
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(value.to_owned())
    } else {
        Err(ApiError::invalid(
            name,
            "must be a network id such as amazon or cj",
        ))
    }
}

/// `YYYY-MM-DD` exactly: chrono alone would also take `2024-1-5`.
fn date(name: &str, value: &str) -> Result<NaiveDate, ApiError> {
    let shaped = value.len() == 10
        && value.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    shaped
        .then(|| NaiveDate::parse_from_str(value, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| ApiError::invalid(name, format!("{value:?} is not a date (YYYY-MM-DD)")))
}

fn integer(name: &str, value: &str, min: i64, max: i64) -> Result<i64, ApiError> {
    value
        .parse::<i64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| ApiError::invalid(name, format!("must be an integer from {min} to {max}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 3, 31).unwrap()
    }

    fn parse(report: Report, query: &[(&str, &str)]) -> Result<ReportQuery, ApiError> {
        let pairs: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ReportQuery::parse(report, &pairs, today())
    }

    fn field(result: Result<ReportQuery, ApiError>) -> String {
        match result {
            Err(ApiError::InvalidField { field, .. }) => field,
            other => panic!("expected an invalid field, got {other:?}"),
        }
    }

    const KEYWORDS: Report = Report::List(Dimension::Keyword);
    const LINKS: Report = Report::List(Dimension::Link);

    #[test]
    fn defaults_are_the_last_30_days_by_revenue() {
        let q = parse(KEYWORDS, &[]).unwrap();
        assert_eq!(q.to, today());
        assert_eq!(q.from, NaiveDate::from_ymd_opt(2024, 3, 2).unwrap());
        assert_eq!(
            (q.sort, q.order, q.limit, q.offset),
            (Sort::Revenue, Order::Desc, Some(50), 0)
        );
        assert_eq!(q.format, Format::Json);
    }

    #[test]
    fn csv_without_a_limit_has_every_row_and_text_sorts_ascend() {
        let q = parse(KEYWORDS, &[("format", "csv"), ("sort", "keyword")]).unwrap();
        assert_eq!((q.limit, q.sort, q.order), (None, Sort::Key, Order::Asc));
        let q = parse(
            LINKS,
            &[("sort", "url"), ("order", "desc"), ("limit", "1000")],
        )
        .unwrap();
        assert_eq!(
            (q.sort, q.order, q.limit),
            (Sort::Url, Order::Desc, Some(1000))
        );
    }

    /// A report, its query, and the parameter the error must name.
    type Case<'a> = (Report, &'a [(&'a str, &'a str)], &'a str);

    #[test]
    fn every_bad_value_names_its_parameter() {
        let cases: &[Case] = &[
            (KEYWORDS, &[("from", "2024-1-05")], "from"),
            (KEYWORDS, &[("to", "2024-02-30")], "to"),
            (
                KEYWORDS,
                &[("from", "2024-03-05"), ("to", "2024-03-04")],
                "from",
            ),
            (
                KEYWORDS,
                &[("from", "2020-01-01"), ("to", "2024-01-01")],
                "from",
            ),
            (KEYWORDS, &[("sort", "url")], "sort"),
            (KEYWORDS, &[("sort", "revenue; DROP TABLE sites")], "sort"),
            (KEYWORDS, &[("order", "up")], "order"),
            (KEYWORDS, &[("limit", "0")], "limit"),
            (KEYWORDS, &[("limit", "1001")], "limit"),
            (KEYWORDS, &[("limit", "ten")], "limit"),
            (KEYWORDS, &[("offset", "-1")], "offset"),
            (KEYWORDS, &[("format", "xml")], "format"),
            (KEYWORDS, &[("sortby", "clicks")], "sortby"),
            (KEYWORDS, &[("limit", "5"), ("limit", "6")], "limit"),
            (Report::Summary, &[("format", "csv")], "format"),
            (Report::Summary, &[("sort", "clicks")], "sort"),
            (Report::Timeseries, &[("limit", "5")], "limit"),
            (Report::Summary, &[("network", "Amazon!")], "network"),
            (KEYWORDS, &[("network", "")], "network"),
            (Report::Networks, &[("network", "cj")], "network"),
            (Report::Networks, &[("sort", "keyword")], "sort"),
        ];
        for (report, query, name) in cases {
            assert_eq!(field(parse(*report, query)), *name, "{query:?}");
        }
    }

    #[test]
    fn networks_sort_by_their_name_or_a_figure() {
        let q = parse(Report::Networks, &[("sort", "network")]).unwrap();
        assert_eq!((q.sort, q.order), (Sort::Key, Order::Asc));
        let q = parse(Report::Networks, &[("sort", "epc"), ("limit", "5")]).unwrap();
        assert_eq!((q.sort, q.order, q.limit), (Sort::Epc, Order::Desc, Some(5)));
        let q = parse(KEYWORDS, &[("network", "amazon")]).unwrap();
        assert_eq!(q.network.as_deref(), Some("amazon"));
    }

    #[test]
    fn the_longest_range_is_accepted() {
        let q = parse(
            Report::Timeseries,
            &[
                ("from", "2021-01-01"),
                ("to", "2023-12-31"),
                ("format", "csv"),
            ],
        )
        .unwrap();
        assert_eq!((q.to - q.from).num_days() + 1, 1095);
        assert!(parse(KEYWORDS, &[("from", "2024-02-29"), ("to", "2024-02-29")]).is_ok());
    }
}
