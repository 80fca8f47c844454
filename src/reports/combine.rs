//! A list report's rows, combined in memory from the parts of its plan.
//!
//! A big site has tens of thousands of keys. PostgreSQL summing, joining,
//! counting and sorting them spent about a microsecond per key in each of
//! half a dozen plan nodes (40 ms for 40,000 links); the same work here is
//! a hash map and a partial sort, a few milliseconds, and the database only
//! streams index ranges (`sql::list_parts`).
//!
//! Orders match the SQL they replace: the chosen figure or label, missing
//! values (a ratio without clicks, a link label on another dimension) last
//! in either direction, ties by key number.

use super::figures::RowTotals;
use super::params::{Order, Sort};
use rust_decimal::Decimal;
use std::cmp::Ordering;
use std::collections::HashMap;

/// The rollup figures of one key, summed over signed parts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyFigures {
    pub clicks: i64,
    pub bot_clicks: i64,
    /// Approved or pending.
    pub conversions: i64,
    /// Rejected or reversed: they show in no figure, but give the key a row.
    pub others: i64,
    pub revenue: Decimal,
}

/// Sums signed parts per key number.
#[derive(Debug, Default)]
pub struct Accumulator {
    keys: HashMap<i32, KeyFigures>,
}

impl Accumulator {
    pub fn with_capacity(keys: usize) -> Self {
        Self {
            keys: HashMap::with_capacity(keys),
        }
    }

    /// Adds `sign` (1 or -1) times a part's figures for `key_id`.
    pub fn add(&mut self, key_id: i32, sign: i32, part: &KeyFigures) {
        let sum = self.keys.entry(key_id).or_default();
        let sign = i64::from(sign);
        sum.clicks += sign * part.clicks;
        sum.bot_clicks += sign * part.bot_clicks;
        sum.conversions += sign * part.conversions;
        sum.others += sign * part.others;
        // Most keys earn nothing in most parts; skip the decimal arithmetic.
        if !part.revenue.is_zero() {
            if sign > 0 {
                sum.revenue += part.revenue;
            } else {
                sum.revenue -= part.revenue;
            }
        }
    }

    /// Every key's summed figures, zero sums included.
    pub fn entries(self) -> impl Iterator<Item = (i32, KeyFigures)> {
        self.keys.into_iter()
    }

    /// The keys with any click or conversion (of any status) in the range,
    /// with their billable figures.
    pub fn rows(self, exclude_bots: bool) -> Vec<KeyRow> {
        self.keys
            .into_iter()
            .filter(|(_, f)| f.clicks + f.bot_clicks + f.conversions + f.others > 0)
            .map(|(key_id, f)| KeyRow {
                key_id,
                totals: RowTotals {
                    clicks: if exclude_bots {
                        f.clicks
                    } else {
                        f.clicks + f.bot_clicks
                    },
                    conversions: f.conversions,
                    revenue: f.revenue,
                },
            })
            .collect()
    }
}

/// One key's row before its label is looked up.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyRow {
    pub key_id: i32,
    pub totals: RowTotals,
}

/// For a sort by a text column: each key's place in the database's
/// collation order (equal texts share a place), or `None` where the key has
/// no such text.
pub type LabelRanks = HashMap<i32, Option<i64>>;

/// Whether `sort` needs the keys' labels ranked (`LabelRanks`).
pub fn needs_labels(sort: Sort) -> bool {
    matches!(sort, Sort::Key | Sort::Url | Sort::PageUrl | Sort::Network)
}

/// `a / b` against `c / d`, exactly, for non-negative counts with `b`, `d`
/// positive.
fn ratio_cmp(a: i64, b: i64, c: i64, d: i64) -> Ordering {
    (i128::from(a) * i128::from(d)).cmp(&(i128::from(c) * i128::from(b)))
}

/// EPC `ra / ca` against `rb / cb`, clicks positive.
fn epc_cmp(ra: Decimal, ca: i64, rb: Decimal, cb: i64) -> Ordering {
    match (
        ra.checked_mul(Decimal::from(cb)),
        rb.checked_mul(Decimal::from(ca)),
    ) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => (ra / Decimal::from(ca)).cmp(&(rb / Decimal::from(cb))),
    }
}

fn label_rank(ranks: Option<&LabelRanks>, row: &KeyRow) -> Option<i64> {
    ranks.and_then(|r| r.get(&row.key_id).copied().flatten())
}

/// Whether the row lacks the value it is sorted by.
fn is_missing(sort: Sort, ranks: Option<&LabelRanks>, row: &KeyRow) -> bool {
    match sort {
        Sort::Epc | Sort::ConversionRate => row.totals.clicks <= 0,
        Sort::Key | Sort::Url | Sort::PageUrl | Sort::Network => label_rank(ranks, row).is_none(),
        Sort::Clicks | Sort::Conversions | Sort::Revenue => false,
    }
}

/// Two rows by the sorted value, ascending; rows lacking it are equal here.
fn compare_values(sort: Sort, ranks: Option<&LabelRanks>, a: &KeyRow, b: &KeyRow) -> Ordering {
    let (x, y) = (&a.totals, &b.totals);
    match sort {
        Sort::Clicks => x.clicks.cmp(&y.clicks),
        Sort::Conversions => x.conversions.cmp(&y.conversions),
        Sort::Revenue => x.revenue.cmp(&y.revenue),
        Sort::Epc if x.clicks > 0 && y.clicks > 0 => {
            epc_cmp(x.revenue, x.clicks, y.revenue, y.clicks)
        }
        Sort::ConversionRate if x.clicks > 0 && y.clicks > 0 => {
            ratio_cmp(x.conversions, x.clicks, y.conversions, y.clicks)
        }
        Sort::Epc | Sort::ConversionRate => Ordering::Equal,
        Sort::Key | Sort::Url | Sort::PageUrl | Sort::Network => {
            match (label_rank(ranks, a), label_rank(ranks, b)) {
                (Some(p), Some(q)) => p.cmp(&q),
                _ => Ordering::Equal,
            }
        }
    }
}

/// The full order of a list: rows lacking the sorted value last in either
/// direction, the value in the asked direction, then the key number.
fn row_order(
    sort: Sort,
    order: Order,
    ranks: Option<&LabelRanks>,
    a: &KeyRow,
    b: &KeyRow,
) -> Ordering {
    is_missing(sort, ranks, a)
        .cmp(&is_missing(sort, ranks, b))
        .then_with(|| {
            let values = compare_values(sort, ranks, a, b);
            match order {
                Order::Asc => values,
                Order::Desc => values.reverse(),
            }
        })
        .then_with(|| a.key_id.cmp(&b.key_id))
}

/// Sorts `rows` and keeps the page `[offset, offset + limit)` (every row
/// from `offset` when `limit` is `None`); the rows in all, and the page.
pub fn page(
    mut rows: Vec<KeyRow>,
    sort: Sort,
    order: Order,
    ranks: Option<&LabelRanks>,
    offset: i64,
    limit: Option<i64>,
) -> (i64, Vec<KeyRow>) {
    let total = rows.len() as i64;
    let offset = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(rows.len());
    let end = limit.map_or(rows.len(), |limit| {
        offset
            .saturating_add(usize::try_from(limit).unwrap_or(0))
            .min(rows.len())
    });
    let cmp = |a: &KeyRow, b: &KeyRow| row_order(sort, order, ranks, a, b);
    // Only the first `end` rows need an order: select them, then sort them.
    if end < rows.len() && end > 0 {
        rows.select_nth_unstable_by(end - 1, cmp);
        rows.truncate(end);
    } else if end == 0 {
        rows.clear();
    }
    rows.sort_unstable_by(cmp);
    rows.drain(..offset);
    (total, rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn row(key_id: i32, clicks: i64, conversions: i64, revenue: i64) -> KeyRow {
        KeyRow {
            key_id,
            totals: RowTotals {
                clicks,
                conversions,
                revenue: Decimal::new(revenue, 2),
            },
        }
    }

    #[test]
    fn signed_parts_sum_per_key_and_idle_keys_drop_out() {
        let mut acc = Accumulator::default();
        let part = |clicks, bots, revenue| KeyFigures {
            clicks,
            bot_clicks: bots,
            conversions: 1,
            others: 0,
            revenue: Decimal::new(revenue, 2),
        };
        acc.add(1, 1, &part(10, 2, 1250));
        acc.add(1, -1, &part(4, 1, 250));
        acc.add(2, 1, &part(3, 0, 0));
        acc.add(2, -1, &part(3, 0, 0));
        let rows = acc.rows(true);
        assert_eq!(rows, vec![row(1, 6, 0, 1000)]);
        let mut acc = Accumulator::default();
        acc.add(1, 1, &part(10, 2, 0));
        assert_eq!(acc.rows(false)[0].totals.clicks, 12);
    }

    #[test]
    fn ratios_without_clicks_come_last_in_both_directions() {
        let rows = vec![row(1, 0, 0, 0), row(2, 10, 1, 500), row(3, 5, 1, 500)];
        for order in [Order::Asc, Order::Desc] {
            let (total, page) = page(rows.clone(), Sort::Epc, order, None, 0, None);
            assert_eq!(total, 3);
            assert_eq!(page.last().unwrap().key_id, 1, "{order:?}");
        }
        let (_, desc) = page(rows.clone(), Sort::Epc, Order::Desc, None, 0, None);
        assert_eq!(desc.iter().map(|r| r.key_id).collect::<Vec<_>>(), [3, 2, 1]);
        let (_, asc) = page(rows, Sort::ConversionRate, Order::Asc, None, 0, None);
        assert_eq!(asc.iter().map(|r| r.key_id).collect::<Vec<_>>(), [2, 3, 1]);
    }

    #[test]
    fn labels_follow_their_ranks_with_missing_ones_last() {
        let rows = vec![
            row(1, 1, 0, 0),
            row(2, 1, 0, 0),
            row(3, 1, 0, 0),
            row(4, 1, 0, 0),
        ];
        let ranks: LabelRanks = [(1, Some(2)), (2, None), (3, Some(1)), (4, Some(2))].into();
        let ids = |order| {
            page(rows.clone(), Sort::Url, order, Some(&ranks), 0, None)
                .1
                .iter()
                .map(|r| r.key_id)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(Order::Asc), [3, 1, 4, 2]);
        assert_eq!(ids(Order::Desc), [1, 4, 3, 2]);
    }

    proptest! {
        /// A page is the same slice of the fully sorted list, and the full
        /// sort orders by the figure, then the key number.
        #[test]
        fn a_page_is_a_slice_of_the_whole(
            figures in proptest::collection::vec((0i64..5, 0i64..3, 0i64..400), 0..60),
            offset in 0i64..70, limit in proptest::option::of(0i64..20),
            sort in prop_oneof![Just(Sort::Clicks), Just(Sort::Conversions), Just(Sort::Revenue), Just(Sort::Epc), Just(Sort::ConversionRate)],
            desc in any::<bool>(),
        ) {
            let order = if desc { Order::Desc } else { Order::Asc };
            let rows: Vec<KeyRow> = figures.iter().enumerate()
                .map(|(i, &(c, n, r))| row(i as i32 * 7 % 61, c, n, r)).collect();
            let (total, all) = page(rows.clone(), sort, order, None, 0, None);
            prop_assert_eq!(total as usize, rows.len());
            for pair in all.windows(2) {
                prop_assert_ne!(row_order(sort, order, None, &pair[0], &pair[1]), Ordering::Greater);
            }
            let (_, slice) = page(rows, sort, order, None, offset, limit);
            let expected: Vec<KeyRow> = all.iter().skip(offset as usize)
                .take(limit.map_or(usize::MAX, |l| l as usize)).cloned().collect();
            prop_assert_eq!(slice, expected);
        }
    }
}
