//! The networks' transaction exports, transcribed from docs/import-formats.md
//! ("Preset table", "Status mapping"), and the generic `--columns` mapping.
//! Headers are matched by name (trimmed, case-insensitive, inner spaces
//! collapsed), never by position.

use super::values::{MoneyStyle, When, date, money, session_or_label, text};
use crate::postbacks::params::Status;
use rust_decimal::Decimal;
use std::collections::HashMap;

/// One row as a conversion, before the ledger sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed {
    pub transaction_id: String,
    pub session_id: Option<String>,
    pub label: Option<String>,
    /// `None`: the report has no amount (Amazon Orders).
    pub amount: Option<Decimal>,
    pub currency: Option<String>,
    pub status: Status,
    pub date: When,
    pub network: String,
    pub product: Option<String>,
}

/// A row's cells by header.
pub struct Cells<'a> {
    pub columns: &'a Columns,
    pub cells: &'a [String],
    /// The file is semicolon-delimited: what Excel writes where the
    /// decimal separator is a comma.
    pub semicolon: bool,
}

/// The header row: normalised name → position, and the names as written.
pub struct Columns {
    pub names: Vec<String>,
    index: HashMap<String, usize>,
}

pub fn normalise(header: &str) -> String {
    header
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl Columns {
    pub fn new(cells: &[String]) -> Self {
        let mut index = HashMap::new();
        for (i, c) in cells.iter().enumerate() {
            index.entry(normalise(c)).or_insert(i);
        }
        Self {
            names: cells.iter().map(|c| c.trim().to_owned()).collect(),
            index,
        }
    }

    pub fn has(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// The first of `alternatives` the header has.
    pub fn position(&self, alternatives: &[&str]) -> Option<usize> {
        alternatives.iter().find_map(|a| self.index.get(*a).copied())
    }

    fn starting(&self, prefix: &str) -> Option<usize> {
        self.names
            .iter()
            .position(|n| normalise(n).starts_with(prefix))
    }
}

impl Cells<'_> {
    /// The cell under the first of `alternatives` the header has; "" when
    /// none is, or the row is short.
    pub fn get(&self, alternatives: &[&str]) -> &str {
        self.columns
            .position(alternatives)
            .and_then(|i| self.cells.get(i))
            .map_or("", String::as_str)
    }

    fn at(&self, i: Option<usize>) -> &str {
        i.and_then(|i| self.cells.get(i)).map_or("", String::as_str)
    }

    fn name(&self, alternatives: &[&str], fallback: &'static str) -> String {
        self.columns
            .position(alternatives)
            .map_or(fallback.to_owned(), |i| self.columns.names[i].clone())
    }
}

/// Ordinals for keys built from columns: two identical Amazon rows are two
/// items (`:1`, `:2`), in file order.
#[derive(Default)]
pub struct Keys(HashMap<String, u32>);

impl Keys {
    fn numbered(&mut self, base: String) -> String {
        let n = self.0.entry(base.clone()).or_insert(0);
        *n += 1;
        format!("{base}:{n}")
    }
}

type Convert = fn(&Cells, &mut Keys) -> Result<Parsed, String>;
type Skip = fn(&Cells) -> Option<String>;

pub struct Preset {
    pub id: &'static str,
    pub name: &'static str,
    pub network: &'static str,
    pub formats: &'static [&'static str],
    pub note: &'static str,
    /// The delimiter the export uses, which wins a tie in the sniffing.
    pub delimiter: u8,
    /// The XLSX sheet to read (else the first).
    pub sheet: Option<&'static str>,
    /// Headers (each a list of alternatives, normalised) that make a row
    /// the header row.
    pub required: &'static [&'static [&'static str]],
    /// Zone of the zone-less date-times the network writes; `None`: the
    /// site's time zone.
    pub zone: Option<chrono_tz::Tz>,
    convert: Convert,
    skip: Option<Skip>,
}

impl Preset {
    pub fn convert(&self, cells: &Cells, keys: &mut Keys) -> Result<Parsed, String> {
        (self.convert)(cells, keys)
    }

    pub fn skip(&self, cells: &Cells) -> Option<String> {
        self.skip.and_then(|f| f(cells))
    }
}

const AMAZON_DATES: &[&str] = &["%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%m/%d/%Y", "%B %d, %Y"];

pub static PRESETS: &[Preset] = &[
    Preset {
        id: "amazon-earnings",
        name: "Amazon Associates: Earnings report",
        network: "amazon",
        formats: &["csv", "xlsx"],
        note: "Reports → Download reports → Fee-Earnings (with or without the SubTag column). \
               The file names no currency: choose the store's.",
        delimiter: b',',
        sheet: Some("Fee-Earnings"),
        required: &[&["asin"], &["tracking id"], &["date shipped"]],
        zone: None,
        convert: amazon_earnings,
        skip: Some(amazon_skip),
    },
    Preset {
        id: "amazon-orders",
        name: "Amazon Associates: Orders report",
        network: "amazon",
        formats: &["csv", "xlsx"],
        note: "Reports → Download reports → Fee-Orders: ordered items, pending, without \
               commission. Importing Orders and Earnings for the same days counts items twice.",
        delimiter: b',',
        sheet: Some("Fee-Orders"),
        required: &[&["asin"], &["tag"], &["date"], &["qty"]],
        zone: None,
        convert: amazon_orders,
        skip: Some(amazon_skip),
    },
    Preset {
        id: "cj-commission-detail",
        name: "CJ: Commission Detail (API field names)",
        network: "cj",
        formats: &["csv"],
        note: "A CSV with the Commission Detail API's fields (commissionId, actionStatus, \
               pubCommissionAmountUsd, eventDate, shopperId).",
        delimiter: b',',
        sheet: None,
        required: &[&["commissionid"], &["actionstatus"], &["pubcommissionamountusd"]],
        zone: None,
        convert: cj_detail,
        skip: None,
    },
    Preset {
        id: "cj-commission-report",
        name: "CJ: Commission report (members site)",
        network: "cj",
        formats: &["csv"],
        note: "The members-site commission report download (Commission ID, Action Status, \
               Publisher Commission, Event Date, SID).",
        delimiter: b',',
        sheet: None,
        required: &[&["commission id"], &["action status"], &["publisher commission"]],
        zone: None,
        convert: cj_report,
        skip: None,
    },
    Preset {
        id: "impact-actions",
        name: "Impact: Action Listing",
        network: "impact",
        formats: &["csv", "xlsx"],
        note: "Reports → Action Listing → Download as CSV or Excel; Sub Id 1 carries the session.",
        delimiter: b',',
        sheet: None,
        required: &[&["action id"], &["status", "action status"], &["payout"]],
        zone: None,
        convert: impact,
        skip: None,
    },
    Preset {
        id: "shareasale-activity",
        name: "ShareASale: Activity Details",
        network: "shareasale",
        formats: &["csv"],
        note: "The activity report, pipe-delimited; Aff Comment carries the afftrack value. \
               Times are read as US Eastern.",
        delimiter: b'|',
        sheet: None,
        required: &[&["trans id"], &["commission"], &["trans date"]],
        zone: Some(chrono_tz::America::New_York),
        convert: shareasale,
        skip: None,
    },
    Preset {
        id: "awin-transactions",
        name: "Awin: Transactions",
        network: "awin",
        formats: &["csv"],
        note: "Reports → Transactions → Export as CSV; a semicolon file uses a decimal comma.",
        delimiter: b';',
        sheet: None,
        required: &[
            &["transaction id", "id"],
            &["commission", "commission amount"],
            &["click reference", "click ref", "clickref"],
        ],
        zone: None,
        convert: awin,
        skip: None,
    },
    Preset {
        id: "rakuten-signature-orders",
        name: "Rakuten Advertising: Signature Orders",
        network: "rakuten",
        formats: &["csv"],
        note: "Reports → Signature Orders (GMT). Returns are separate negative rows.",
        delimiter: b',',
        sheet: None,
        required: &[&["member id (u1)"], &["order id"], &["total commission"]],
        zone: Some(chrono_tz::UTC),
        convert: rakuten,
        skip: None,
    },
    Preset {
        id: "clickbank-transactions",
        name: "ClickBank: Transactions",
        network: "clickbank",
        formats: &["csv"],
        note: "Reporting → Transaction Report → CSV (Pacific time); refunds and chargebacks \
               are separate negative rows.",
        delimiter: b',',
        sheet: None,
        required: &[&["receipt"], &["transaction type"], &["amount"]],
        zone: Some(chrono_tz::America::Los_Angeles),
        convert: clickbank,
        skip: Some(clickbank_skip),
    },
    Preset {
        id: "partnerize-conversions",
        name: "Partnerize: Conversions",
        network: "partnerize",
        formats: &["csv"],
        note: "The publisher conversion report as CSV; publisher_reference carries the session.",
        delimiter: b',',
        sheet: None,
        required: &[&["conversion_id"], &["conversion_status"], &["publisher_commission"]],
        zone: None,
        convert: partnerize,
        skip: None,
    },
];

pub fn find(id: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.id == id)
}

// ------------------------------------------------------------------ Amazon

fn amazon_skip(r: &Cells) -> Option<String> {
    let first = r.cells.iter().map(|c| c.trim()).find(|c| !c.is_empty())?;
    (r.get(&["asin"]).trim().is_empty() && ["total", "totals"].contains(&first.to_lowercase().as_str()))
        .then(|| "totals row".to_owned())
}

const SUBTAG: &[&str] = &["subtag", "sub tag", "sub-tag", "ascsubtag"];

fn amazon_earnings(r: &Cells, keys: &mut Keys) -> Result<Parsed, String> {
    let asin = r.get(&["asin"]).trim();
    let tracking = r.get(&["tracking id"]).trim();
    let subtag = r.get(SUBTAG).trim();
    if asin.is_empty() {
        return Err("missing ASIN: no transaction key can be formed".into());
    }
    let fee = r.columns.starting("ad fees");
    let fee_name = fee.map_or("Ad Fees".to_owned(), |i| r.columns.names[i].clone());
    let amount = money(r.at(fee), MoneyStyle::Point, &fee_name)?;
    let when = date(r.get(&["date shipped"]), AMAZON_DATES)?;
    let returns = r.get(&["returns"]).trim();
    let returned = !(returns.is_empty() || returns == "0") || amount.is_sign_negative();
    let kind = if returned { "return" } else { "ship" };
    let day = &when.text()[..10];
    let id = keys.numbered(format!("amzE:{tracking}:{subtag}:{asin}:{day}:{kind}"));
    Ok(Parsed {
        transaction_id: id,
        session_id: session_or_label(subtag).0,
        label: text(tracking),
        amount: Some(amount),
        currency: None,
        status: if returned { Status::Reversed } else { Status::Approved },
        date: when,
        network: "amazon".into(),
        product: text(r.get(&["name"])),
    })
}

fn amazon_orders(r: &Cells, keys: &mut Keys) -> Result<Parsed, String> {
    let asin = r.get(&["asin"]).trim();
    let tag = r.get(&["tag"]).trim();
    let when = date(r.get(&["date"]), AMAZON_DATES)?;
    if asin.is_empty() {
        return Err("missing ASIN: no transaction key can be formed".into());
    }
    let day = &when.text()[..10];
    let id = keys.numbered(format!("amzO:{tag}:{asin}:{day}"));
    Ok(Parsed {
        transaction_id: id,
        session_id: None,
        label: text(tag),
        amount: None,
        currency: None,
        status: Status::Pending,
        date: when,
        network: "amazon".into(),
        product: text(r.get(&["name"])),
    })
}

// ------------------------------------------------------------------ CJ

fn cj_status(raw: &str, amount: Decimal, column: &str) -> Result<Status, String> {
    let status = match raw.trim().to_lowercase().as_str() {
        "new" | "extended" => Status::Pending,
        "locked" | "closed" => Status::Approved,
        "corrected" => Status::Reversed,
        _ => return Err(format!("unknown {column} '{}'", raw.trim())),
    };
    Ok(if amount.is_sign_negative() && !amount.is_zero() {
        Status::Reversed
    } else {
        status
    })
}

fn cj_detail(r: &Cells, _: &mut Keys) -> Result<Parsed, String> {
    let id = r.get(&["commissionid"]).trim();
    if id.is_empty() {
        return Err("missing commissionId".into());
    }
    let amount = money(
        r.get(&["pubcommissionamountusd"]),
        MoneyStyle::Point,
        "pubCommissionAmountUsd",
    )?;
    let status = cj_status(r.get(&["actionstatus"]), amount, "actionStatus")?;
    let when = date(r.get(&["eventdate"]), &["%Y-%m-%dT%H:%M:%S%z"])?;
    let (session_id, label) = session_or_label(r.get(&["shopperid", "sid"]));
    Ok(Parsed {
        transaction_id: id.into(),
        session_id,
        label,
        amount: Some(amount),
        currency: Some("USD".into()),
        status,
        date: when,
        network: "cj".into(),
        product: None,
    })
}

fn cj_report(r: &Cells, _: &mut Keys) -> Result<Parsed, String> {
    let id = r.get(&["commission id"]).trim();
    if id.is_empty() {
        return Err("missing Commission ID".into());
    }
    let amount = money(
        r.get(&["publisher commission"]),
        MoneyStyle::Point,
        &r.name(&["publisher commission"], "Publisher Commission"),
    )?;
    let status = cj_status(r.get(&["action status"]), amount, "Action Status")?;
    let when = date(r.get(&["event date"]), &["%d-%b-%Y %H:%M", "%d-%b-%Y %H:%M:%S"])?;
    let (session_id, label) = session_or_label(r.get(&["sid"]));
    Ok(Parsed {
        transaction_id: id.into(),
        session_id,
        label,
        amount: Some(amount),
        currency: Some("USD".into()),
        status,
        date: when,
        network: "cj".into(),
        product: None,
    })
}

// ------------------------------------------------------------------ Impact

fn impact(r: &Cells, _: &mut Keys) -> Result<Parsed, String> {
    let id = r.get(&["action id"]).trim();
    if id.is_empty() {
        return Err("missing Action Id".into());
    }
    let raw = r.get(&["status", "action status"]).trim();
    let status = match raw.to_lowercase().as_str() {
        "pending" => Status::Pending,
        "approved" => Status::Approved,
        "reversed" => Status::Reversed,
        _ => return Err(format!("unknown status '{raw}'")),
    };
    let amount = money(r.get(&["payout"]), MoneyStyle::Point, &r.name(&["payout"], "Payout"))?;
    let when = date(r.get(&["action date"]), &["%Y-%m-%dT%H:%M:%S%z"])?;
    let (session_id, label) = session_or_label(r.get(&["sub id 1", "subid1"]));
    Ok(Parsed {
        transaction_id: id.into(),
        session_id,
        label,
        amount: Some(amount),
        currency: text(r.get(&["currency"])).map(|c| c.to_uppercase()),
        status,
        date: when,
        network: "impact".into(),
        product: None,
    })
}

// ------------------------------------------------------------------ ShareASale

fn shareasale(r: &Cells, _: &mut Keys) -> Result<Parsed, String> {
    let id = r.get(&["trans id"]).trim();
    if id.is_empty() {
        return Err("missing Trans ID".into());
    }
    let amount = money(r.get(&["commission"]), MoneyStyle::Point, "Commission")?;
    let when = date(
        r.get(&["trans date"]),
        &["%m/%d/%Y %I:%M:%S %p", "%m-%d-%Y %H:%M:%S"],
    )?;
    let set = |name: &str| !matches!(r.get(&[name]).trim(), "" | "0");
    let status = if !r.get(&["reversal date"]).trim().is_empty() {
        Status::Reversed
    } else if set("voided") {
        Status::Rejected
    } else if set("locked") {
        Status::Approved
    } else {
        Status::Pending
    };
    let (session_id, label) = session_or_label(r.get(&["aff comment"]));
    Ok(Parsed {
        transaction_id: id.into(),
        session_id,
        label,
        amount: Some(amount),
        currency: Some("USD".into()),
        status,
        date: when,
        network: "shareasale".into(),
        product: text(r.get(&["sku list"])),
    })
}

// ------------------------------------------------------------------ Awin

fn awin(r: &Cells, _: &mut Keys) -> Result<Parsed, String> {
    let id = r.get(&["transaction id", "id"]).trim();
    if id.is_empty() {
        return Err("missing Transaction ID".into());
    }
    let raw = r.get(&["status", "commission status", "commission_status"]).trim();
    let status = match raw.to_lowercase().as_str() {
        "pending" | "0" => Status::Pending,
        "approved" | "1" => Status::Approved,
        "declined" | "2" | "deleted" => Status::Rejected,
        _ => return Err(format!("unknown status '{raw}'")),
    };
    // A semicolon file is what Excel writes where the decimal separator is
    // a comma; a comma file uses a point.
    let style = if r.semicolon {
        MoneyStyle::Comma
    } else {
        MoneyStyle::Point
    };
    let amount = money(
        r.get(&["commission", "commission amount"]),
        style,
        &r.name(&["commission", "commission amount"], "Commission"),
    )?;
    let when = date(
        r.get(&["transaction date", "date"]),
        &["%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d/%m/%Y %H:%M"],
    )?;
    let (session_id, label) = session_or_label(r.get(&["click reference", "click ref", "clickref"]));
    Ok(Parsed {
        transaction_id: id.into(),
        session_id,
        label,
        amount: Some(amount),
        currency: text(r.get(&["currency"])).map(|c| c.to_uppercase()),
        status,
        date: when,
        network: "awin".into(),
        product: None,
    })
}

// ------------------------------------------------------------------ Rakuten

fn rakuten(r: &Cells, _: &mut Keys) -> Result<Parsed, String> {
    let order = r.get(&["order id"]).trim();
    if order.is_empty() {
        return Err("missing Order ID".into());
    }
    let amount = money(
        r.get(&["total commission"]),
        MoneyStyle::Point,
        "Total Commission",
    )?;
    let at = |d: &str, t: &str| {
        let raw = r.get(&[d]).trim();
        date(&format!("{raw} {}", r.get(&[t]).trim()), &["%m/%d/%y %H:%M:%S"])
            .map_err(|_| format!("date '{raw}' is not a valid date"))
    };
    let when = at("transaction date", "transaction time")?;
    let processed = at("process date", "process time")?;
    let sku = r.get(&["sku"]).trim();
    let (session_id, label) = session_or_label(r.get(&["member id (u1)"]));
    Ok(Parsed {
        transaction_id: format!("{}:{order}:{sku}:{}", r.get(&["mid"]).trim(), processed.text()),
        session_id,
        label,
        amount: Some(amount),
        currency: text(r.get(&["currency"])).map(|c| c.to_uppercase()),
        status: if amount.is_sign_negative() && !amount.is_zero() {
            Status::Reversed
        } else {
            Status::Approved
        },
        date: when,
        network: "rakuten".into(),
        product: text(sku),
    })
}

// ------------------------------------------------------------------ ClickBank

fn clickbank_skip(r: &Cells) -> Option<String> {
    let kind = r.get(&["transaction type"]).trim().to_lowercase();
    if kind.starts_with("test") {
        return Some(format!("test transaction ({})", kind.to_uppercase()));
    }
    matches!(kind.as_str(), "insf" | "cancel-rebill" | "uncancel-rebill")
        .then(|| format!("no money moved ({})", kind.to_uppercase()))
}

fn clickbank(r: &Cells, _: &mut Keys) -> Result<Parsed, String> {
    let receipt = r.get(&["receipt"]).trim();
    if receipt.is_empty() {
        return Err("missing Receipt".into());
    }
    let kind = r.get(&["transaction type"]).trim();
    let status = match kind.to_lowercase().as_str() {
        "sale" | "bill" => Status::Approved,
        "rfnd" | "cgbk" => Status::Reversed,
        _ => return Err(format!("unknown Transaction Type '{kind}'")),
    };
    let amount = money(r.get(&["amount"]), MoneyStyle::Point, "Amount")?;
    let when = date(
        &format!(
            "{} {}",
            r.get(&["transaction date"]).trim(),
            r.get(&["transaction time"]).trim()
        ),
        &["%Y-%m-%d %H:%M:%S"],
    )?;
    let (session_id, label) = session_or_label(r.get(&["tid", "tracking id"]));
    let day = when.text()[..10].to_owned();
    Ok(Parsed {
        transaction_id: format!("{receipt}:{}:{day}", kind.to_uppercase()),
        session_id,
        label,
        amount: Some(amount),
        currency: Some(text(r.get(&["currency"])).map_or("USD".into(), |c| c.to_uppercase())),
        status,
        date: when,
        network: "clickbank".into(),
        product: text(r.get(&["product title"])),
    })
}

// ------------------------------------------------------------------ Partnerize

fn partnerize(r: &Cells, _: &mut Keys) -> Result<Parsed, String> {
    let id = r.get(&["conversion_id"]).trim();
    if id.is_empty() {
        return Err("missing conversion_id".into());
    }
    let raw = r.get(&["conversion_status"]).trim();
    let status = match raw.to_lowercase().as_str() {
        "approved" => Status::Approved,
        "pending" | "mixed" => Status::Pending,
        "rejected" => Status::Rejected,
        _ => return Err(format!("unknown conversion_status '{raw}'")),
    };
    let when = date(r.get(&["conversion_time"]), &["%Y-%m-%d %H:%M:%S"])?;
    let amount = money(
        r.get(&["publisher_commission"]),
        MoneyStyle::Point,
        "publisher_commission",
    )?;
    let (session_id, label) = session_or_label(r.get(&["publisher_reference"]));
    Ok(Parsed {
        transaction_id: id.into(),
        session_id,
        label,
        amount: Some(amount),
        currency: text(r.get(&["currency"])).map(|c| c.to_uppercase()),
        status,
        date: when,
        network: "partnerize".into(),
        product: None,
    })
}

// ------------------------------------------------------------------ generic

/// The fields a generic mapping may name.
pub const FIELDS: [&str; 9] = [
    "transaction_id",
    "session_id",
    "amount",
    "currency",
    "status",
    "date",
    "network",
    "label",
    "product",
];
const REQUIRED: [&str; 3] = ["transaction_id", "amount", "date"];

/// `--columns FIELD=COLUMN,…`: which header each field is read from.
#[derive(Clone, Debug, PartialEq)]
pub struct Mapping {
    /// (field, normalised header, header as given)
    pub columns: Vec<(&'static str, String, String)>,
}

impl Mapping {
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut columns: Vec<(&'static str, String, String)> = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (field, column) = part
                .split_once('=')
                .ok_or_else(|| format!("'{part}' is not FIELD=COLUMN"))?;
            let field = field.trim().to_lowercase();
            let field = FIELDS
                .iter()
                .copied()
                .find(|f| *f == field)
                .ok_or_else(|| format!("'{field}' is not a field (one of {})", FIELDS.join(", ")))?;
            let column = column.trim();
            if column.is_empty() {
                return Err(format!("{field} names no column"));
            }
            if columns.iter().any(|(f, _, _)| *f == field) {
                return Err(format!("{field} is given twice"));
            }
            columns.push((field, normalise(column), column.to_owned()));
        }
        for required in REQUIRED {
            if !columns.iter().any(|(f, _, _)| *f == required) {
                return Err(format!("{required} is required (transaction_id, amount and date are)"));
            }
        }
        Ok(Self { columns })
    }

    pub fn header(&self, field: &str) -> Option<&str> {
        self.columns
            .iter()
            .find(|(f, _, _)| *f == field)
            .map(|(_, h, _)| h.as_str())
    }

    fn original(&self, field: &str) -> &str {
        self.columns
            .iter()
            .find(|(f, _, _)| *f == field)
            .map_or("", |(_, _, o)| o.as_str())
    }

    /// A row by the mapping: the postback vocabulary for statuses
    /// (approved when no status column; reversed for a negative amount),
    /// a decimal comma in semicolon files.
    pub fn convert(&self, r: &Cells) -> Result<Parsed, String> {
        let cell = |field: &str| self.header(field).map_or("", |h| r.get(&[h]));
        let id = cell("transaction_id").trim();
        if id.is_empty() {
            return Err(format!("missing {}", self.original("transaction_id")));
        }
        let style = if r.semicolon {
            MoneyStyle::Comma
        } else {
            MoneyStyle::Point
        };
        let amount = money(cell("amount"), style, self.original("amount"))?;
        let when = date(
            cell("date"),
            &[
                "%Y-%m-%d %H:%M",
                "%m/%d/%Y %H:%M:%S",
                "%m/%d/%Y %H:%M",
                "%m/%d/%Y",
                "%d.%m.%Y %H:%M:%S",
                "%d.%m.%Y %H:%M",
                "%d.%m.%Y",
                "%B %d, %Y",
            ],
        )?;
        let raw_status = cell("status").trim();
        let status = if raw_status.is_empty() {
            if amount.is_sign_negative() && !amount.is_zero() {
                Status::Reversed
            } else {
                Status::Approved
            }
        } else {
            Status::parse(raw_status).ok_or_else(|| format!("unknown status '{raw_status}'"))?
        };
        let (session_id, sub_label) = session_or_label(cell("session_id"));
        Ok(Parsed {
            transaction_id: id.into(),
            session_id,
            label: text(cell("label")).or(sub_label),
            amount: Some(amount),
            currency: text(cell("currency")).map(|c| c.to_uppercase()),
            status,
            date: when,
            network: cell("network").trim().to_lowercase(),
            product: text(cell("product")),
        })
    }
}

