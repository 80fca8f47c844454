//! Report imports: a network's transaction export (CSV, TSV, XLSX) into the
//! conversions ledger, with the postbacks' dedupe (site, network,
//! transaction id), status lifecycle, currency rules and click matching.
//!
//! The file is read on a blocking thread (`parse`: `read` for the rows,
//! `presets` for the columns, `values` for money and dates) and streamed
//! as COPY text into a temporary table; one set-based merge (`merge.sql`)
//! then writes the ledger, all in one transaction: applied whole or not at
//! all. Memory holds a row, a COPY chunk, the first 20 rows for the
//! preview and the first refusals; not the file.

pub mod parse;
pub mod presets;
pub mod read;
pub mod sql;
pub mod values;

use bytes::{BufMut, Bytes, BytesMut};
use chrono::{DateTime, Utc};
use futures_util::SinkExt;
use parse::{Event, Source};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{Read, Seek};

/// Rows shown in the preview.
pub const PREVIEW_ROWS: usize = 20;
/// Refusals listed; `rejected_total` counts them all.
pub const MAX_LISTED_REJECTIONS: usize = 1_000;
/// COPY chunks of about this size go to the database.
const CHUNK: usize = 256 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file, the preset or the columns: answered 400.
    #[error("{0}")]
    Invalid(String),
    #[error("database unavailable")]
    Unavailable(#[from] deadpool_postgres::PoolError),
    #[error("database error")]
    Database(#[from] tokio_postgres::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// What an import needs of its site.
pub struct SiteFacts {
    pub id: String,
    pub currency: String,
    pub rates: BTreeMap<String, Decimal>,
    pub time_zone: chrono_tz::Tz,
}

impl SiteFacts {
    fn convert(&self, amount: Decimal, currency: Option<&str>) -> Option<Decimal> {
        match currency {
            None => Some(amount),
            Some(c) if c == self.currency => Some(amount),
            Some(c) => self.rates.get(c).map(|rate| (amount * rate).normalize()),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Options {
    pub dry_run: bool,
    pub skip_rejected: bool,
    /// The currency of rows whose file names none (Amazon's reports).
    pub currency: Option<String>,
    /// Said in the conversion log: the file's name, how it came.
    pub file_name: Option<String>,
    pub via: &'static str,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rejected {
    pub row: u64,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PreviewRow {
    pub row: u64,
    pub transaction_id: String,
    pub session_id: Option<String>,
    pub amount: Option<Decimal>,
    pub currency: Option<String>,
    pub status: &'static str,
    pub date: String,
    pub network: String,
    pub label: Option<String>,
    pub product: Option<String>,
}

impl PreviewRow {
    pub fn new(row: u64, p: &presets::Parsed) -> Self {
        Self {
            row,
            transaction_id: p.transaction_id.clone(),
            session_id: p.session_id.clone(),
            amount: p.amount,
            currency: p.currency.clone(),
            status: p.status.as_str(),
            date: p.date.text(),
            network: p.network.clone(),
            label: p.label.clone(),
            product: p.product.clone(),
        }
    }
}

/// The answer of the CLI's `--json` and of `POST /api/v1/imports`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ImportResult {
    /// Rows read below the header that were conversions or refusals (not
    /// blank, totals or test rows: those are `skipped`).
    pub rows: u64,
    pub imported: u64,
    pub updated: u64,
    pub duplicate: u64,
    pub unattributed: u64,
    pub rejected: Vec<Rejected>,
    pub rejected_total: u64,
    pub skipped: u64,
    pub applied: bool,
    pub dry_run: bool,
    pub columns: Vec<String>,
    pub preview: Vec<PreviewRow>,
}

/// What the parsing thread learned, besides the rows it streamed.
#[derive(Default)]
struct Summary {
    columns: Vec<String>,
    preview: Vec<PreviewRow>,
    rejected: Vec<Rejected>,
    rejected_total: u64,
    valid: u64,
    skipped: u64,
}

/// Parses `file` into COPY chunks sent down `chunks`.
fn produce<R: Read + Seek + Send + 'static>(
    file: R,
    source: &Source,
    site: &SiteFacts,
    options: &Options,
    mut send: impl FnMut(Bytes) -> Result<(), ()>,
) -> Result<Summary, ImportError> {
    let mut summary = Summary::default();
    let mut buf = BytesMut::with_capacity(CHUNK + 4096);
    let zone = source.zone().unwrap_or(site.time_zone);
    let result = parse::parse(file, source, |event| {
        match event {
            Event::Header(cells) => {
                summary.columns = cells.iter().map(|c| c.trim().to_owned()).collect()
            }
            Event::Skipped(..) => summary.skipped += 1,
            Event::Rejected(row, reason) => {
                summary.rejected_total += 1;
                if summary.rejected.len() < MAX_LISTED_REJECTIONS {
                    summary.rejected.push(Rejected { row, reason });
                }
            }
            Event::Row(row, mut p) => {
                summary.valid += 1;
                if p.currency.is_none() {
                    p.currency = options.currency.clone();
                }
                if summary.preview.len() < PREVIEW_ROWS {
                    summary.preview.push(PreviewRow::new(row, &p));
                }
                let amount_site = site.convert(p.amount.unwrap_or_default(), p.currency.as_deref());
                copy_row(&mut buf, summary.valid, row, &p, amount_site, p.date.instant(zone));
                if buf.len() >= CHUNK {
                    send(buf.split().freeze())?;
                }
            }
        }
        Ok(())
    });
    match result {
        Ok(_) => {}
        Err(read::Stop::Unreadable(e)) => return Err(ImportError::Invalid(e.0)),
        // The consumer went away: its own error says why.
        Err(read::Stop::Consumer(())) => return Ok(summary),
    }
    if !buf.is_empty() {
        let _ = send(buf.split().freeze());
    }
    Ok(summary)
}

/// One row in COPY's text format.
fn copy_row(
    buf: &mut BytesMut,
    ord: u64,
    row: u64,
    p: &presets::Parsed,
    amount_site: Option<Decimal>,
    at: DateTime<Utc>,
) {
    fn field(buf: &mut BytesMut, value: Option<&str>) {
        match value {
            None => buf.put_slice(b"\\N"),
            Some(v) => {
                for b in v.bytes() {
                    match b {
                        b'\\' => buf.put_slice(b"\\\\"),
                        b'\t' => buf.put_slice(b"\\t"),
                        b'\n' => buf.put_slice(b"\\n"),
                        b'\r' => buf.put_slice(b"\\r"),
                        _ => buf.put_u8(b),
                    }
                }
            }
        }
    }
    let fields: [Option<String>; 12] = [
        Some(ord.to_string()),
        Some(row.to_string()),
        Some(p.transaction_id.clone()),
        p.session_id.clone(),
        p.amount.map(|a| a.to_string()),
        p.currency.clone(),
        amount_site.map(|a| a.to_string()),
        Some(p.status.as_str().to_owned()),
        Some(at.to_rfc3339()),
        Some(p.network.clone()),
        p.label.clone(),
        p.product.clone(),
    ];
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            buf.put_u8(b'\t');
        }
        field(buf, f.as_deref());
    }
    buf.put_u8(b'\n');
}

/// Reads `file` without a database: what `dry_run` shows, minus the
/// ledger's verdicts. For the fuzz target and the preset tests.
pub fn parse_only<R: Read + Seek + Send + 'static>(
    file: R,
    source: &Source,
) -> Result<Vec<(u64, Result<presets::Parsed, String>)>, ImportError> {
    let mut out = Vec::new();
    let result = parse::parse(file, source, |event| {
        match event {
            Event::Row(row, p) => out.push((row, Ok(p))),
            Event::Rejected(row, reason) => out.push((row, Err(reason))),
            Event::Header(_) | Event::Skipped(..) => {}
        }
        Ok::<_, ()>(())
    });
    match result {
        Ok(_) => Ok(out),
        Err(read::Stop::Unreadable(e)) => Err(ImportError::Invalid(e.0)),
        Err(read::Stop::Consumer(())) => Ok(out),
    }
}

/// Imports `file` into `site`'s ledger: staged by COPY, merged in one
/// statement, committed when it is not a dry run and no row was refused
/// (or `skip_rejected`). A dry run does everything and rolls back, so its
/// counts are the real ones.
pub async fn import<R: Read + Seek + Send + 'static>(
    pool: &deadpool_postgres::Pool,
    site: SiteFacts,
    source: Source,
    file: R,
    options: Options,
) -> Result<ImportResult, ImportError> {
    let mut client = pool.get().await?;
    let transaction = client.transaction().await?;
    transaction.batch_execute(sql::STAGING).await?;
    let sink = transaction.copy_in::<_, Bytes>(sql::COPY).await?;
    let mut sink = std::pin::pin!(sink);

    let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(4);
    let site = std::sync::Arc::new(site);
    let (site2, options2) = (site.clone(), options.clone());
    let parsing = tokio::task::spawn_blocking(move || {
        let summary = produce(file, &source, &site2, &options2, |chunk| {
            tx.blocking_send(chunk).map_err(|_| ())
        });
        (summary, source)
    });
    let mut copy_error = None;
    while let Some(chunk) = rx.recv().await {
        if let Err(e) = sink.send(chunk).await {
            copy_error = Some(e);
            break;
        }
    }
    drop(rx);
    let (summary, source) = parsing
        .await
        .map_err(|e| anyhow::anyhow!("the import's parser stopped: {e}"))?;
    if let Some(e) = copy_error {
        return Err(e.into());
    }
    let summary = summary?;
    sink.as_mut().finish().await?;

    let now = Utc::now();
    sql::lock_ledger(&transaction, &site.id).await?;
    sql::adopt(&transaction, &site.id).await?;
    let merged = sql::merge(&transaction, &site.id, now).await?;

    let applied =
        !options.dry_run && (summary.rejected_total == 0 || options.skip_rejected);
    let result = ImportResult {
        rows: summary.valid + summary.rejected_total,
        imported: merged.imported as u64,
        updated: merged.updated as u64,
        duplicate: summary.valid - merged.imported as u64 - merged.updated as u64,
        unattributed: merged.unattributed as u64,
        rejected: summary.rejected,
        rejected_total: summary.rejected_total,
        skipped: summary.skipped,
        applied,
        dry_run: options.dry_run,
        columns: summary.columns,
        preview: summary.preview,
    };
    let params = serde_json::json!({
        "file": options.file_name,
        "via": options.via,
        "source": match &source { Source::Preset(p) => p.id.to_owned(), Source::Columns(_) => "columns".to_owned() },
        "rows": result.rows, "imported": result.imported, "updated": result.updated,
        "duplicate": result.duplicate, "unattributed": result.unattributed,
        "rejected": result.rejected_total, "skip_rejected": options.skip_rejected,
    });
    if applied {
        let message = format!(
            "import applied: {} rows, {} imported, {} updated, {} duplicate, {} rejected",
            result.rows, result.imported, result.updated, result.duplicate, result.rejected_total
        );
        sql::log_import(&transaction, &site.id, now, &params, "imported", 200, &message).await?;
        transaction.commit().await?;
    } else {
        transaction.rollback().await?;
        if !options.dry_run {
            let message = format!(
                "import not applied: {} of {} rows rejected (nothing was changed)",
                result.rejected_total, result.rows
            );
            sql::log_import(&client, &site.id, now, &params, "import_rejected", 422, &message)
                .await?;
        }
    }
    Ok(result)
}

/// The presets, for the plugin's dropdown.
pub fn preset_list() -> serde_json::Value {
    serde_json::json!({
        "presets": presets::PRESETS.iter().map(|p| serde_json::json!({
            "id": p.id, "name": p.name, "network": p.network,
            "formats": p.formats, "note": p.note,
        })).collect::<Vec<_>>()
    })
}

impl From<&crate::sites::Site> for SiteFacts {
    fn from(site: &crate::sites::Site) -> Self {
        Self {
            id: site.id.as_str().to_owned(),
            currency: site.settings.currency.clone(),
            rates: site.settings.currency_rates.clone(),
            time_zone: site.settings.time_zone.parse().unwrap_or(chrono_tz::UTC),
        }
    }
}

/// A bad `preset` or `columns`: which of them, and why.
#[derive(Debug)]
pub struct BadSource {
    pub field: &'static str,
    pub message: String,
}

/// The source a request names: exactly one of a preset and a mapping.
pub fn source(preset: Option<&str>, columns: Option<&str>) -> Result<Source, BadSource> {
    match (preset, columns) {
        (Some(id), None) => presets::find(id.trim()).map(Source::Preset).ok_or_else(|| BadSource {
            field: "preset",
            message: format!(
                "unknown preset '{}' (one of {})",
                id.trim(),
                presets::PRESETS.iter().map(|p| p.id).collect::<Vec<_>>().join(", ")
            ),
        }),
        (None, Some(spec)) => presets::Mapping::parse(spec)
            .map(Source::Columns)
            .map_err(|message| BadSource {
                field: "columns",
                message,
            }),
        (Some(_), Some(_)) => Err(BadSource {
            field: "preset",
            message: "give a preset or columns, not both".into(),
        }),
        (None, None) => Err(BadSource {
            field: "preset",
            message: "a preset or columns (FIELD=COLUMN,…) is required".into(),
        }),
    }
}

/// An ISO 4217 code, upper case.
pub fn currency_code(raw: &str) -> Result<String, String> {
    let c = raw.trim().to_uppercase();
    if c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(c)
    } else {
        Err(format!("'{}' is not an ISO 4217 currency code", raw.trim()))
    }
}
