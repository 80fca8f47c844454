//! From a file's rows to conversions: find the header, then each row is
//! a conversion, a refusal (with its row number and reason) or a silent
//! skip (a totals row, a ClickBank test). No database here: the fuzz
//! target and the dry parse run this alone.

use super::presets::{Cells, Columns, Keys, Mapping, Parsed, Preset};
use super::read::{self, Kind, Stop, Unreadable};
use std::io::{Read, Seek};

/// How a file's columns become fields.
#[derive(Debug)]
pub enum Source {
    Preset(&'static Preset),
    Columns(Mapping),
}

impl std::fmt::Debug for Preset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id)
    }
}

impl Source {
    fn required(&self) -> Vec<Vec<String>> {
        match self {
            Self::Preset(p) => p
                .required
                .iter()
                .map(|alts| alts.iter().map(|a| (*a).to_owned()).collect())
                .collect(),
            Self::Columns(m) => m.columns.iter().map(|(_, h, _)| vec![h.clone()]).collect(),
        }
    }

    fn required_text(&self) -> String {
        match self {
            Self::Preset(p) => p
                .required
                .iter()
                .map(|alts| alts.join(" or "))
                .collect::<Vec<_>>()
                .join(", "),
            Self::Columns(m) => m
                .columns
                .iter()
                .map(|(_, _, o)| o.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    pub fn zone(&self) -> Option<chrono_tz::Tz> {
        match self {
            Self::Preset(p) => p.zone,
            Self::Columns(_) => None,
        }
    }

    pub fn network(&self) -> &str {
        match self {
            Self::Preset(p) => p.network,
            Self::Columns(_) => "",
        }
    }
}

/// What parsing tells its consumer, in file order.
#[derive(Debug, PartialEq)]
pub enum Event<'a> {
    /// The header row, as written.
    Header(&'a [String]),
    Row(u64, Parsed),
    Rejected(u64, String),
    Skipped(u64, String),
}

/// Longest transaction id kept (networks' ids are a few dozen characters).
pub const MAX_TRANSACTION_ID: usize = 255;
/// Longest label or product kept; longer ones are cut.
pub const MAX_TEXT: usize = 500;

/// Reads `file` with `source` and hands each event to `each`. A file whose
/// header is never found, or that cannot be read, is `Unreadable`.
pub fn parse<R, E>(
    file: R,
    source: &Source,
    mut each: impl FnMut(Event<'_>) -> Result<(), E>,
) -> Result<Kind, Stop<E>>
where
    R: Read + Seek + Send + 'static,
{
    let (sheet, preferred) = match source {
        Source::Preset(p) => (p.sheet, p.delimiter),
        Source::Columns(_) => (None, b','),
    };
    let required = source.required();
    let mut columns: Option<Columns> = None;
    let mut keys = Keys::default();
    let kind = read::for_each(file, sheet, preferred, |kind, row, cells| {
        let Some(header) = &columns else {
            let found = Columns::new(cells);
            if required.iter().all(|alts| alts.iter().any(|a| found.has(a))) {
                each(Event::Header(cells))?;
                columns = Some(found);
            }
            return Ok(());
        };
        if cells.iter().all(|c| c.trim().is_empty()) {
            return Ok(());
        }
        let r = Cells {
            columns: header,
            cells,
            semicolon: kind == (Kind::Text { delimiter: b';' }),
        };
        let skip = match source {
            Source::Preset(p) => p.skip(&r),
            Source::Columns(_) => None,
        };
        if let Some(why) = skip {
            return each(Event::Skipped(row, why));
        }
        let converted = match source {
            Source::Preset(p) => p.convert(&r, &mut keys),
            Source::Columns(m) => m.convert(&r),
        };
        each(match converted.and_then(checked) {
            Ok(parsed) => Event::Row(row, parsed),
            Err(reason) => Event::Rejected(row, reason),
        })
    })?;
    if columns.is_none() {
        return Err(Stop::Unreadable(Unreadable(format!(
            "header not found: no row has the columns {}",
            source.required_text()
        ))));
    }
    Ok(kind)
}

/// What the ledger cannot store is refused, not cut: a transaction id is
/// a key.
fn checked(mut p: Parsed) -> Result<Parsed, String> {
    crate::text::check(&p.transaction_id, MAX_TRANSACTION_ID)
        .map_err(|e| format!("transaction id {e}"))?;
    if let Some(c) = &p.currency
        && !(c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Err(format!("currency '{c}' is not an ISO 4217 code"));
    }
    if crate::text::check(&p.network, 64).is_err() {
        return Err("network is not a short name".into());
    }
    let cut = |t: Option<String>| t.map(|t| crate::text::storable(&t, MAX_TEXT).into_owned());
    p.label = cut(p.label);
    p.product = cut(p.product);
    Ok(p)
}
