//! A file's rows, streamed: CSV/TSV (any of `,` `\t` `;` `|`, detected;
//! UTF-8 with or without BOM, UTF-16 LE/BE with BOM as Excel writes it;
//! RFC 4180 quoting, a quoted line break staying in its row) or XLSX
//! (calamine's cell reader, one row at a time). Memory holds one row and
//! the reader's buffers, whatever the file's length.

use std::io::{BufRead, BufReader, Cursor, Read, Seek, SeekFrom};

/// The file as a whole cannot be read: answered 400.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unreadable(pub String);

/// What the rows come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text { delimiter: u8 },
    Xlsx,
}

/// A row as a spreadsheet numbers it (1-based, title and header rows
/// counted), and its cells as text.
pub type Record = (u64, Vec<String>);

trait Records {
    fn next_record(&mut self) -> Result<Option<Record>, Unreadable>;
    fn kind(&self) -> Kind;
}

const SAMPLE: usize = 64 * 1024;

/// Why reading stopped early: the file is unreadable, or the consumer
/// said stop (with its own error).
#[derive(Debug)]
pub enum Stop<E> {
    Unreadable(Unreadable),
    Consumer(E),
}

impl<E> From<Unreadable> for Stop<E> {
    fn from(e: Unreadable) -> Self {
        Self::Unreadable(e)
    }
}

/// Hands every row of `file` to `each`, in order: XLSX by its zip
/// signature, else text. `sheet`: the XLSX sheet to read when it exists
/// (else the first); `preferred`: the delimiter a preset expects, which
/// wins a tie in the sniffing. Returns what kind of file it was.
pub fn for_each<R, E>(
    mut file: R,
    sheet: Option<&str>,
    preferred: u8,
    mut each: impl FnMut(Kind, u64, &[String]) -> Result<(), E>,
) -> Result<Kind, Stop<E>>
where
    R: Read + Seek + Send + 'static,
{
    let mut magic = [0u8; 4];
    let got = read_up_to(&mut file, &mut magic)?;
    file.seek(SeekFrom::Start(0))
        .map_err(|e| Unreadable(format!("cannot read the file: {e}")))?;
    if got == 4 && magic == *b"PK\x03\x04" {
        xlsx_rows(file, sheet, |row, cells| each(Kind::Xlsx, row, cells))?;
        return Ok(Kind::Xlsx);
    }
    let mut text = TextRecords::open(file, preferred)?;
    let kind = text.kind();
    while let Some((row, cells)) = text.next_record()? {
        each(kind, row, &cells).map_err(Stop::Consumer)?;
    }
    Ok(kind)
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> Result<usize, Unreadable> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Unreadable(format!("cannot read the file: {e}"))),
        }
    }
    Ok(got)
}

// ------------------------------------------------------------------ text

struct TextRecords {
    reader: csv::Reader<Box<dyn Read + Send>>,
    record: csv::StringRecord,
    row: u64,
    delimiter: u8,
}

impl TextRecords {
    fn open<R: Read + Send + 'static>(file: R, preferred: u8) -> Result<Self, Unreadable> {
        let mut raw = BufReader::with_capacity(SAMPLE, file);
        let head = raw
            .fill_buf()
            .map_err(|e| Unreadable(format!("cannot read the file: {e}")))?;
        let decoded: Box<dyn Read + Send> = if head.starts_with(b"\xEF\xBB\xBF") {
            raw.consume(3);
            Box::new(raw)
        } else if head.starts_with(b"\xFF\xFE") {
            raw.consume(2);
            Box::new(Utf16ToUtf8::new(raw, false))
        } else if head.starts_with(b"\xFE\xFF") {
            raw.consume(2);
            Box::new(Utf16ToUtf8::new(raw, true))
        } else {
            Box::new(raw)
        };
        // Sniff the delimiter on the first 64 KiB, then read on from there.
        let mut decoded = decoded;
        let mut sample = vec![0u8; SAMPLE];
        let n = read_up_to(&mut decoded, &mut sample)?;
        sample.truncate(n);
        let delimiter = sniff(&sample, preferred);
        let chained: Box<dyn Read + Send> = Box::new(Cursor::new(sample).chain(decoded));
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .buffer_capacity(SAMPLE)
            .from_reader(chained);
        Ok(Self {
            reader,
            record: csv::StringRecord::new(),
            row: 0,
            delimiter,
        })
    }
}

impl Records for TextRecords {
    fn next_record(&mut self) -> Result<Option<Record>, Unreadable> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => Ok(None),
            Ok(true) => {
                self.row += 1;
                Ok(Some((self.row, self.record.iter().map(str::to_owned).collect())))
            }
            Err(e) => Err(match e.kind() {
                csv::ErrorKind::Utf8 { .. } => Unreadable(format!(
                    "row {} is not UTF-8: save the file as \"CSV UTF-8\" (or \"Unicode Text\") and import it again",
                    self.row + 1
                )),
                _ => Unreadable(format!("cannot read row {}: {e}", self.row + 1)),
            }),
        }
    }

    fn kind(&self) -> Kind {
        Kind::Text {
            delimiter: self.delimiter,
        }
    }
}

/// The candidate that splits some line of the sample into the most fields
/// (quotes respected); `preferred` on a tie.
fn sniff(sample: &[u8], preferred: u8) -> u8 {
    let mut best = (0usize, preferred);
    for candidate in [preferred, b',', b'\t', b';', b'|'] {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(candidate)
            .from_reader(sample);
        let mut widest = 0;
        let mut record = csv::ByteRecord::new();
        while let Ok(true) = reader.read_byte_record(&mut record) {
            widest = widest.max(record.len());
        }
        if widest > best.0 {
            best = (widest, candidate);
        }
    }
    best.1
}

/// UTF-16 (after its BOM) to UTF-8, a buffer at a time.
struct Utf16ToUtf8<R> {
    inner: R,
    big_endian: bool,
    out: Vec<u8>,
    at: usize,
    pending_high: Option<u16>,
    odd: Option<u8>,
}

impl<R: Read> Utf16ToUtf8<R> {
    fn new(inner: R, big_endian: bool) -> Self {
        Self {
            inner,
            big_endian,
            out: Vec::new(),
            at: 0,
            pending_high: None,
            odd: None,
        }
    }

    fn refill(&mut self) -> std::io::Result<bool> {
        let mut raw = [0u8; 16 * 1024];
        let mut n = self.inner.read(&mut raw)?;
        while n == 0 {
            if self.odd.is_some() || self.pending_high.is_some() {
                return Err(invalid_utf16());
            }
            return Ok(false);
        }
        self.out.clear();
        self.at = 0;
        let mut bytes: Vec<u8> = Vec::with_capacity(n + 1);
        if let Some(b) = self.odd.take() {
            bytes.push(b);
        }
        bytes.extend_from_slice(&raw[..n]);
        if bytes.len() % 2 == 1 {
            self.odd = bytes.pop();
        }
        n = bytes.len();
        let mut i = 0;
        while i < n {
            let pair = [bytes[i], bytes[i + 1]];
            i += 2;
            let unit = if self.big_endian {
                u16::from_be_bytes(pair)
            } else {
                u16::from_le_bytes(pair)
            };
            let c = match (self.pending_high.take(), unit) {
                (None, 0xD800..=0xDBFF) => {
                    self.pending_high = Some(unit);
                    continue;
                }
                (None, 0xDC00..=0xDFFF) => return Err(invalid_utf16()),
                (None, u) => char::from_u32(u as u32).ok_or_else(invalid_utf16)?,
                (Some(high), 0xDC00..=0xDFFF) => {
                    let code = 0x10000 + ((high as u32 - 0xD800) << 10) + (unit as u32 - 0xDC00);
                    char::from_u32(code).ok_or_else(invalid_utf16)?
                }
                (Some(_), _) => return Err(invalid_utf16()),
            };
            let mut buf = [0u8; 4];
            self.out
                .extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
        Ok(true)
    }
}

fn invalid_utf16() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, "the file is not valid UTF-16")
}

impl<R: Read> Read for Utf16ToUtf8<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at >= self.out.len() {
            if !self.refill()? {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.out.len() - self.at);
        buf[..n].copy_from_slice(&self.out[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

// ------------------------------------------------------------------ XLSX

/// Most columns a row may have: a hostile sheet cannot make us allocate a
/// row of a million empty cells.
const MAX_COLUMNS: u32 = 1024;

/// The sheet's rows through calamine's cell reader (one row in memory; the
/// shared strings table is the workbook's own).
fn xlsx_rows<R: Read + Seek, E>(
    file: R,
    sheet: Option<&str>,
    mut each: impl FnMut(u64, &[String]) -> Result<(), E>,
) -> Result<(), Stop<E>> {
    use calamine::Reader;
    let mut workbook = calamine::Xlsx::new(BufReader::new(file))
        .map_err(|e| Unreadable(format!("cannot read the XLSX workbook: {e}")))?;
    let names = workbook.sheet_names();
    let name = sheet
        .and_then(|wanted| names.iter().find(|n| n.eq_ignore_ascii_case(wanted)))
        .or_else(|| names.first())
        .cloned()
        .ok_or_else(|| Unreadable("the XLSX workbook has no sheet".into()))?;
    let mut cells_reader = workbook
        .worksheet_cells_reader(&name)
        .map_err(|e| Unreadable(format!("cannot read sheet {name}: {e}")))?;
    let mut current: Option<u32> = None;
    let mut cells: Vec<String> = Vec::new();
    loop {
        let next = cells_reader
            .next_cell()
            .map_err(|e| Unreadable(format!("cannot read the XLSX sheet: {e}")))?;
        let position = next.as_ref().map(|c| c.get_position());
        if let Some(row) = current
            && position.is_none_or(|(r, _)| r != row)
        {
            each(row as u64 + 1, &cells).map_err(Stop::Consumer)?;
            cells.clear();
        }
        let Some(cell) = next else {
            return Ok(());
        };
        let (row, col) = cell.get_position();
        current = Some(row);
        if col < MAX_COLUMNS {
            let col = col as usize;
            if cells.len() <= col {
                cells.resize(col + 1, String::new());
            }
            cells[col] = cell_text(cell.get_value());
        }
    }
}

/// A cell as text: numbers in their shortest round-trip form (`29.9`),
/// dates as ISO 8601 (`2024-01-05`, or with the time when it has one).
fn cell_text(value: &calamine::DataRef<'_>) -> String {
    use calamine::DataRef;
    match value {
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => format!("{f}"),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) => match d.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => t.format("%Y-%m-%d").to_string(),
            Some(t) => t.format("%Y-%m-%dT%H:%M:%S").to_string(),
            None => String::new(),
        },
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => format!("#{e:?}"),
        DataRef::Empty => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(bytes: &[u8]) -> Vec<Record> {
        let mut out = vec![];
        for_each(Cursor::new(bytes.to_vec()), None, b',', |_, row, cells| {
            out.push((row, cells.to_vec()));
            Ok::<_, ()>(())
        })
        .unwrap();
        out
    }

    #[test]
    fn delimiters_are_detected_and_quotes_respected() {
        let got = rows(b"a;b;c\n\"x;y\";\"2\n3\";4\n");
        assert_eq!(got[1].1, vec!["x;y", "2\n3", "4"]);
        let got = rows(b"a|b\n1|2\n");
        assert_eq!(got[1].1, vec!["1", "2"]);
    }

    #[test]
    fn utf16_with_bom_is_read() {
        let text = "a\tb\r\nä\t漢\r\n";
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for u in text.encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
            be.extend_from_slice(&u.to_be_bytes());
        }
        for bytes in [le, be] {
            let got = rows(&bytes);
            assert_eq!(got[1], (2, vec!["ä".to_owned(), "漢".to_owned()]));
        }
    }

    #[test]
    fn latin1_is_refused_with_advice() {
        let got = for_each(Cursor::new(b"a,b\n\xe4,1\n".to_vec()), None, b',', |_, _, _| {
            Ok::<_, ()>(())
        });
        match got {
            Err(Stop::Unreadable(e)) => assert!(e.0.contains("UTF-8"), "{e}"),
            other => panic!("{other:?}"),
        }
    }
}
