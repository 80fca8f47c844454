//! How a list report reads a range of days.
//!
//! A checkpoint C(W) holds, per key, the totals of every day before the
//! Monday W (migration 0003). The totals of [start, end) are then
//! Cum(end) - Cum(start), and Cum(x) is a checkpoint near x plus or minus the
//! few days between them:
//!
//! ```text
//!   Cum(x) = C(W) + days[W, x)      W the Monday on or before x
//!          = C(W) - days[x, W)      W the Monday after x
//! ```
//!
//! Reading a checkpoint costs as much as reading some number of days of
//! rows: the site's keys over the keys it sees in a day (about 3 for a
//! big site's Zipf-like keywords, 20 or more for a small site, whose days
//! are sparse). The seal measures it (`report_state.checkpoint_days`), and
//! each report takes the cheaper way: day by day, or two checkpoints and at
//! most a few days on each side, which bounds the work by the number of
//! keys whatever the range's length.

use chrono::{Datelike, Days, NaiveDate};

/// Checkpoints exist for every Monday from `from` to `through`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sealed {
    pub from: NaiveDate,
    pub through: NaiveDate,
    /// The day `report_recent`'s windows end at (exclusive): the start of
    /// the site's current local day, once the sealer has moved them.
    pub recent: Option<NaiveDate>,
}

/// Signed parts whose sum is the range's totals: at most two checkpoints and
/// two day spans `[start, end)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub checkpoints: Vec<(NaiveDate, i32)>,
    pub spans: Vec<(NaiveDate, NaiveDate, i32)>,
    /// A `report_recent` window: its length in days, and the days
    /// `[first, last)` it covers.
    pub recent: Option<(i16, NaiveDate, NaiveDate)>,
}

/// The lengths in days of the `report_recent` windows
/// (`affrank_report_windows()`, migration 0006): with today's rows, the
/// last 7, 30, 90 and 365 days.
pub const WINDOWS: [i16; 4] = [6, 29, 89, 364];

/// One way to express Cum(x): C(week) plus `sign` times days[lo, hi).
#[derive(Clone, Copy, Debug)]
struct Anchor {
    week: NaiveDate,
    lo: NaiveDate,
    hi: NaiveDate,
    sign: i32,
}

impl Anchor {
    fn days(&self) -> i64 {
        (self.hi - self.lo).num_days()
    }
}

pub fn monday_of(day: NaiveDate) -> NaiveDate {
    day - Days::new(day.weekday().num_days_from_monday() as u64)
}

fn anchor(x: NaiveDate, sealed: Sealed) -> Anchor {
    let before = monday_of(x);
    let after = before + Days::new(7);
    let mut options = Vec::with_capacity(2);
    for week in [before, after] {
        if (sealed.from..=sealed.through).contains(&week) {
            options.push(if week <= x {
                Anchor {
                    week,
                    lo: week,
                    hi: x,
                    sign: 1,
                }
            } else {
                Anchor {
                    week,
                    lo: x,
                    hi: week,
                    sign: -1,
                }
            });
        }
    }
    // Outside the sealed weeks: the nearest end of them.
    if options.is_empty() {
        options.push(if x > sealed.through {
            Anchor {
                week: sealed.through,
                lo: sealed.through,
                hi: x,
                sign: 1,
            }
        } else {
            Anchor {
                week: sealed.from,
                lo: x,
                hi: sealed.from,
                sign: -1,
            }
        });
    }
    options
        .into_iter()
        .min_by_key(Anchor::days)
        .expect("at least one option")
}

/// The parts for the days `[start, end)`, given the checkpoints and what
/// reading one costs in days of rows: the cheapest of reading the days, two
/// checkpoints and the days between them and the range's ends, or one
/// recent window and the days between it and the range's ends.
pub fn plan(
    start: NaiveDate,
    end: NaiveDate,
    sealed: Option<Sealed>,
    checkpoint_days: f64,
) -> Plan {
    let direct = Plan {
        checkpoints: Vec::new(),
        spans: vec![(start, end, 1)],
        recent: None,
    };
    let Some(sealed) = sealed else {
        return direct;
    };
    let mut best = ((end - start).num_days() as f64, direct);

    let (a, e) = (anchor(start, sealed), anchor(end, sealed));
    let cost = 2.0 * checkpoint_days + (a.days() + e.days()) as f64;
    if a.week != e.week && cost < best.0 {
        let mut plan = Plan {
            checkpoints: vec![(e.week, 1), (a.week, -1)],
            ..Plan::default()
        };
        for (anchor, sign) in [(e, 1), (a, -1)] {
            if anchor.lo < anchor.hi {
                plan.spans.push((anchor.lo, anchor.hi, sign * anchor.sign));
            }
        }
        best = (cost, plan);
    }

    for (days, last) in WINDOWS
        .into_iter()
        .flat_map(|days| sealed.recent.map(|last| (days, last)))
    {
        let first = last - Days::new(days as u64);
        let cost = checkpoint_days
            + ((end - last).num_days().abs() + (start - first).num_days().abs()) as f64;
        if cost >= best.0 {
            continue;
        }
        // Window [first, last), then move its ends to [start, end).
        let mut spans = Vec::with_capacity(2);
        if end > last {
            spans.push((last, end, 1));
        } else if end < last {
            spans.push((end, last, -1));
        }
        if start > first {
            spans.push((first, start, -1));
        } else if start < first {
            spans.push((start, first, 1));
        }
        let plan = Plan {
            checkpoints: Vec::new(),
            spans,
            recent: Some((days, first, last)),
        };
        best = (cost, plan);
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(n: i64) -> NaiveDate {
        // 2024-01-01 is a Monday.
        NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Duration::days(n)
    }

    /// How many times a plan counts `d`: it must be 1 inside the range, 0 outside.
    fn weight(plan: &Plan, d: NaiveDate) -> i32 {
        let c: i32 = plan
            .checkpoints
            .iter()
            .filter(|(w, _)| d < *w)
            .map(|(_, s)| s)
            .sum();
        let s: i32 = plan
            .spans
            .iter()
            .filter(|(lo, hi, _)| (*lo..*hi).contains(&d))
            .map(|(_, _, s)| s)
            .sum();
        let r = plan
            .recent
            .filter(|(_, first, last)| (*first..*last).contains(&d))
            .map_or(0, |_| 1);
        c + s + r
    }

    proptest! {
        #[test]
        fn every_day_is_counted_once_inside_and_never_outside(
            start in 0i64..500, len in 1i64..800, from_week in 0i64..60, weeks in 0i64..80, sealed in any::<bool>(), recent in proptest::option::of(0i64..1000)
        ) {
            let (start, end) = (day(start), day(start + len));
            let recent = recent.map(day);
            let sealed = sealed.then(|| Sealed { from: day(7 * from_week), through: day(7 * (from_week + weeks)), recent });
            let plan = plan(start, end, sealed, 3.0);
            prop_assert!(plan.checkpoints.len() <= 2 && plan.spans.len() <= 2);
            prop_assert!(plan.recent.is_none() || plan.checkpoints.is_empty());
            for d in -20..1400 {
                let d = day(d);
                let inside = start <= d && d < end;
                prop_assert_eq!(weight(&plan, d), inside as i32, "{:?} on {}", plan, d);
            }
        }
    }

    #[test]
    fn a_year_reads_two_checkpoints_and_a_few_days() {
        let sealed = Sealed {
            from: day(0),
            through: day(7 * 60),
            recent: None,
        };
        // Wednesday to Wednesday a year later (exclusive end).
        let plan = plan(day(16), day(16 + 365), Some(sealed), 3.0);
        assert_eq!(plan.checkpoints.len(), 2);
        let days: i64 = plan
            .spans
            .iter()
            .map(|(lo, hi, _)| (*hi - *lo).num_days())
            .sum();
        assert!(days <= 6, "{plan:?}");
    }

    #[test]
    fn the_presets_read_one_recent_window_and_today() {
        // Today is a Friday, four days after the last checkpoint.
        let today = day(7 * 60 + 4);
        let sealed = Sealed {
            from: day(0),
            through: day(7 * 60),
            recent: Some(today),
        };
        let end = today + chrono::Duration::days(1);
        for (range, window) in [(7, 6), (30, 29), (90, 89), (365, 364)] {
            let start = end - chrono::Duration::days(range);
            let plan = plan(start, end, Some(sealed), 3.0);
            assert_eq!(plan.recent, Some((window, start, today)), "{range} days");
            assert!(plan.checkpoints.is_empty());
            assert_eq!(plan.spans, vec![(today, end, 1)], "{range} days");
        }
    }

    #[test]
    fn windows_a_day_old_still_serve_with_one_more_day() {
        let today = day(7 * 60 + 4);
        let sealed = Sealed {
            from: day(0),
            through: day(7 * 60),
            recent: Some(today - chrono::Duration::days(1)),
        };
        let end = today + chrono::Duration::days(1);
        let plan = plan(end - chrono::Duration::days(30), end, Some(sealed), 3.0);
        assert_eq!(plan.recent.map(|(days, _, _)| days), Some(29));
        let days: i64 = plan
            .spans
            .iter()
            .map(|(lo, hi, _)| (*hi - *lo).num_days())
            .sum();
        assert_eq!(days, 3, "{plan:?}");
    }

    #[test]
    fn a_week_is_read_day_by_day() {
        let sealed = Sealed {
            from: day(0),
            through: day(7 * 60),
            recent: Some(day(7 * 60 + 3)),
        };
        assert_eq!(
            plan(day(3), day(10), Some(sealed), 3.0).spans,
            vec![(day(3), day(10), 1)]
        );
        assert_eq!(
            plan(day(3), day(300), None, 3.0).spans,
            vec![(day(3), day(300), 1)]
        );
        // A small site: a checkpoint costs as much as 25 days of rows.
        assert!(
            plan(day(3), day(40), Some(sealed), 25.0)
                .checkpoints
                .is_empty()
        );
        assert_eq!(
            plan(day(3), day(80), Some(sealed), 25.0).checkpoints.len(),
            2
        );
    }
}
