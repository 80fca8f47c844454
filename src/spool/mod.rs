//! The local spool: where acknowledged writes wait while PostgreSQL is away.
//!
//! Records are appended as JSON lines and fsync'd before the caller is told
//! they are safe. The file being appended to is `NNNN.open`; sealing renames
//! it to `NNNN.jsonl`, and sealed segments are replayed in sequence order and
//! deleted once their rows have committed. Replaying is idempotent (rows are
//! keyed by session id), so a crash between commit and delete only means a
//! segment is replayed twice, never that a row is counted twice.
//!
//! The spool knows no feature: a record is a kind and the fields its writer
//! gave it, and replay hands each run of one kind to the `replay::Replay`
//! registered for that kind (the click and postback writers).

mod commit;
pub mod replay;

use commit::is_poison;
pub use commit::{Landed, commit_or_spool};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// One spooled record. On disk one JSON object a line, `{"kind": "click",
/// …the writer's fields}`, as segments written before this type was opaque.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SpoolRecord {
    pub kind: String,
    #[serde(flatten)]
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// A spooled record that does not read back as its kind's type: refused on
/// every try, so it is set aside like a record the database refuses.
#[derive(Debug, thiserror::Error)]
#[error("a spooled {kind} record does not read back: {reason}")]
pub struct Undecodable {
    pub kind: String,
    pub reason: String,
}

impl SpoolRecord {
    /// `value` must serialise to a JSON object (a struct); its fields sit
    /// beside `kind`, so it must not have a field of that name.
    pub fn encode<T: Serialize>(kind: &str, value: &T) -> Self {
        let fields = match serde_json::to_value(value) {
            Ok(serde_json::Value::Object(fields)) => fields,
            other => panic!("a spooled {kind} must serialise to an object, not {other:?}"),
        };
        Self {
            kind: kind.to_owned(),
            fields,
        }
    }

    /// Every record of a chunk as its kind's type, or the first that is not.
    pub fn decode_all<T: DeserializeOwned>(chunk: &[&Self]) -> Result<Vec<T>, Undecodable> {
        chunk.iter().map(|r| r.decode()).collect()
    }

    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, Undecodable> {
        T::deserialize(serde_json::Value::Object(self.fields.clone())).map_err(|e| Undecodable {
            kind: self.kind.clone(),
            reason: e.to_string(),
        })
    }
}

pub struct Spool {
    /// Writers hold it shared while they decide between database and spool
    /// and act on it; the replayer holds it exclusively to drain the last
    /// records, so the switch back to the database cannot overtake them.
    pub order: tokio::sync::RwLock<()>,
    dir: PathBuf,
    current: Mutex<Current>,
    /// Records appended and not yet replayed, for metrics and for the
    /// writers' "keep order while draining" rule.
    pending: AtomicU64,
}

struct Current {
    file: Option<OpenSegment>,
    next_seq: u64,
}

struct OpenSegment {
    seq: u64,
    file: File,
    records: u64,
}

/// A segment is sealed at this many records, so replay reads a bounded
/// amount at a time however long the outage.
const SEGMENT_RECORDS: u64 = 20_000;

/// What a sealed segment holds.
pub struct Segment {
    pub records: Vec<SpoolRecord>,
    /// Lines that did not parse and were not the torn tail of the file.
    pub corrupt_lines: u64,
}

impl Spool {
    /// Opens the spool, sealing a segment a crash left open.
    pub fn open(dir: impl Into<PathBuf>) -> io::Result<Self> {
        let dir = dir.into();
        fs::create_dir_all(&dir)?;
        let mut max_seq = 0;
        let mut pending = 0;
        for (seq, path, open) in list(&dir)? {
            max_seq = max_seq.max(seq);
            if open {
                fs::rename(&path, segment_path(&dir, seq))?;
            }
            pending += read_segment(&segment_path(&dir, seq))?.records.len() as u64;
        }
        sync_dir(&dir)?;
        Ok(Self {
            order: tokio::sync::RwLock::new(()),
            dir,
            current: Mutex::new(Current {
                file: None,
                next_seq: max_seq + 1,
            }),
            pending: AtomicU64::new(pending),
        })
    }

    pub fn pending(&self) -> u64 {
        self.pending.load(Ordering::Acquire)
    }

    /// Whether any segment file exists, counted or not.
    pub fn has_segments(&self) -> bool {
        list(&self.dir).map(|l| !l.is_empty()).unwrap_or(false)
    }

    /// Appends and fsyncs. Blocking: call from `spawn_blocking`.
    pub fn append(&self, records: &[SpoolRecord]) -> io::Result<()> {
        let buf = encode(records)?;
        let mut current = self.current.lock().expect("spool lock");
        if current.file.is_none() {
            let seq = current.next_seq;
            current.next_seq += 1;
            let file = OpenOptions::new()
                .create_new(true)
                .append(true)
                .open(self.dir.join(format!("{seq:016}.open")))?;
            sync_dir(&self.dir)?;
            current.file = Some(OpenSegment {
                seq,
                file,
                records: 0,
            });
        }
        let segment = current.file.as_mut().expect("opened above");
        let written = segment
            .file
            .write_all(&buf)
            .and_then(|()| segment.file.sync_data());
        if written.is_err() {
            // A torn line must not prefix the next append: start a new segment.
            let _ = self.seal_locked(&mut current);
            return written;
        }
        segment.records += records.len() as u64;
        self.pending
            .fetch_add(records.len() as u64, Ordering::AcqRel);
        if segment.records >= SEGMENT_RECORDS {
            self.seal_locked(&mut current)?;
        }
        Ok(())
    }

    /// Seals the open segment and lists every sealed one, oldest first.
    pub fn seal(&self) -> io::Result<Vec<PathBuf>> {
        let mut current = self.current.lock().expect("spool lock");
        self.seal_locked(&mut current)?;
        drop(current);
        Ok(list(&self.dir)?
            .into_iter()
            .filter(|(_, _, open)| !open)
            .map(|(_, path, _)| path)
            .collect())
    }

    fn seal_locked(&self, current: &mut Current) -> io::Result<()> {
        if let Some(OpenSegment { seq, file, .. }) = current.file.take() {
            drop(file);
            fs::rename(
                self.dir.join(format!("{seq:016}.open")),
                segment_path(&self.dir, seq),
            )?;
            sync_dir(&self.dir)?;
        }
        Ok(())
    }

    pub fn read(&self, path: &Path) -> io::Result<Segment> {
        read_segment(path)
    }

    /// Deletes a segment whose records have all committed.
    pub fn remove(&self, path: &Path, records: u64) -> io::Result<()> {
        fs::remove_file(path)?;
        sync_dir(&self.dir)?;
        self.forget(records);
        Ok(())
    }

    /// Moves a segment that holds unreadable lines aside for an operator,
    /// rather than retrying it forever or deleting what might be recovered.
    pub fn quarantine(&self, path: &Path, records: u64) -> io::Result<PathBuf> {
        let dir = self.quarantine_dir()?;
        let target = dir.join(path.file_name().unwrap_or_default());
        fs::rename(path, &target)?;
        sync_dir(&self.dir)?;
        self.forget(records);
        Ok(target)
    }

    /// Keeps records the database refused beside the quarantined segments,
    /// in `quarantine/<name>.refused` (named for the segment they came
    /// from, or `live-<day>` for the writers' own batches), for an operator
    /// to mend and replay (`affrank` replays nothing from there on its
    /// own). Fsync'd before it returns.
    pub fn set_aside(&self, name: &str, records: &[SpoolRecord]) -> io::Result<PathBuf> {
        let dir = self.quarantine_dir()?;
        let target = dir.join(format!("{name}.refused"));
        let mut file = OpenOptions::new().create(true).append(true).open(&target)?;
        file.write_all(&encode(records)?)?;
        file.sync_data()?;
        sync_dir(&dir)?;
        Ok(target)
    }

    /// How many records wait in the quarantine for an operator: the lines
    /// of the set-aside files and of the quarantined segments. Blocking (it
    /// reads those files, which stay small): call from `spawn_blocking`.
    pub fn set_aside_records(&self) -> io::Result<u64> {
        let entries = match fs::read_dir(self.dir.join("quarantine")) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        };
        let mut records = 0;
        for entry in entries {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                let bytes = fs::read(entry.path())?;
                records += bytes
                    .split(|&b| b == b'\n')
                    .filter(|l| !l.is_empty())
                    .count() as u64;
            }
        }
        Ok(records)
    }

    fn quarantine_dir(&self) -> io::Result<PathBuf> {
        let dir = self.dir.join("quarantine");
        fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    fn forget(&self, records: u64) {
        let _ = self
            .pending
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |p| {
                Some(p.saturating_sub(records))
            });
    }
}

/// One JSON record a line, as segments and set-aside files hold them.
fn encode(records: &[SpoolRecord]) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(records.len() * 400);
    for record in records {
        serde_json::to_writer(&mut buf, record).map_err(io::Error::other)?;
        buf.push(b'\n');
    }
    Ok(buf)
}

/// Reads a sealed segment. A last line that does not parse is the torn tail
/// of an append that was never acknowledged, and is skipped; any other line
/// that does not parse is counted as corrupt.
fn read_segment(path: &Path) -> io::Result<Segment> {
    let lines: Vec<Vec<u8>> = BufReader::new(File::open(path)?)
        .split(b'\n')
        .collect::<io::Result<_>>()?;
    let last = lines.iter().rposition(|l| !l.is_empty());
    let mut segment = Segment {
        records: Vec::with_capacity(lines.len()),
        corrupt_lines: 0,
    };
    for (n, line) in lines.iter().enumerate() {
        if line.is_empty() {
            continue;
        }
        match serde_json::from_slice(line) {
            Ok(record) => segment.records.push(record),
            Err(e) if Some(n) == last => {
                tracing::warn!(segment = %path.display(), line = n + 1, error = %e, "skipping a torn spool line")
            }
            Err(e) => {
                tracing::error!(segment = %path.display(), line = n + 1, error = %e, "corrupt spool line");
                segment.corrupt_lines += 1;
            }
        }
    }
    Ok(segment)
}

fn segment_path(dir: &Path, seq: u64) -> PathBuf {
    dir.join(format!("{seq:016}.jsonl"))
}

/// (sequence, path, still open), in sequence order.
fn list(dir: &Path) -> io::Result<Vec<(u64, PathBuf, bool)>> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let (Some(stem), Some(ext)) = (path.file_stem(), path.extension()) else {
            continue;
        };
        let Some(seq) = stem.to_str().and_then(|s| s.parse::<u64>().ok()) else {
            continue;
        };
        match ext.to_str() {
            Some("jsonl") => entries.push((seq, path, false)),
            Some("open") => entries.push((seq, path, true)),
            _ => {}
        }
    }
    entries.sort_by_key(|(seq, _, _)| *seq);
    Ok(entries)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Probe {
        session_id: String,
        keyword: Option<String>,
    }

    fn record(n: usize) -> SpoolRecord {
        SpoolRecord::encode(
            "probe",
            &Probe {
                session_id: format!("s{n}"),
                keyword: Some("k \"quoted\"\n".into()),
            },
        )
    }

    #[test]
    fn a_record_keeps_its_kind_beside_its_fields_and_reads_back() {
        let line = serde_json::to_string(&record(7)).unwrap();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&line).unwrap(),
            serde_json::json!({"kind": "probe", "session_id": "s7", "keyword": "k \"quoted\"\n"}),
            "the kind sits beside the fields, as segments of earlier versions have it"
        );
        let back: SpoolRecord = serde_json::from_str(&line).unwrap();
        assert_eq!(back.decode::<Probe>().unwrap().session_id, "s7");
        let wrong = SpoolRecord::encode("probe", &serde_json::json!({"session_id": 3}));
        let e = wrong.decode::<Probe>().unwrap_err();
        assert!(
            is_poison(&anyhow::Error::new(e)),
            "an undecodable record is set aside"
        );
    }

    #[test]
    fn appends_seal_and_replay_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        spool.append(&[record(1), record(2)]).unwrap();
        let first = spool.seal().unwrap();
        spool.append(&[record(3)]).unwrap();
        let all = spool.seal().unwrap();
        assert_eq!(first.len(), 1);
        assert_eq!(all.len(), 2);
        assert_eq!(spool.pending(), 3);
        let sessions: Vec<String> = all
            .iter()
            .flat_map(|p| spool.read(p).unwrap().records)
            .map(|r| r.decode::<Probe>().unwrap().session_id)
            .collect();
        assert_eq!(sessions, ["s1", "s2", "s3"]);
        spool.remove(&all[0], 2).unwrap();
        assert_eq!(spool.pending(), 1);
    }

    #[test]
    fn a_segment_left_open_by_a_crash_is_sealed_and_a_torn_tail_skipped() {
        let dir = tempfile::tempdir().unwrap();
        {
            let spool = Spool::open(dir.path()).unwrap();
            spool.append(&[record(1)]).unwrap();
        }
        let open = list(dir.path()).unwrap();
        assert!(open[0].2, "the segment is still open");
        let mut f = OpenOptions::new().append(true).open(&open[0].1).unwrap();
        f.write_all(b"{\"kind\":\"click\",\"sess").unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        let sealed = spool.seal().unwrap();
        assert_eq!(sealed.len(), 1);
        let read = spool.read(&sealed[0]).unwrap();
        assert_eq!(read.records.len(), 1);
        assert_eq!(read.corrupt_lines, 0);
        assert_eq!(spool.pending(), 1, "the torn tail is not counted");
        spool.append(&[record(2)]).unwrap();
        let sealed = spool.seal().unwrap();
        assert_eq!(sealed.len(), 2, "new appends go to a new segment");
    }

    #[test]
    fn a_corrupt_line_inside_a_segment_is_reported_not_skipped_silently() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        spool.append(&[record(1)]).unwrap();
        let sealed = spool.seal().unwrap();
        let text = std::fs::read_to_string(&sealed[0]).unwrap();
        std::fs::write(&sealed[0], format!("{{\"no_kind\":1}}\n{text}")).unwrap();
        let segment = spool.read(&sealed[0]).unwrap();
        assert_eq!((segment.records.len(), segment.corrupt_lines), (1, 1));
        assert_eq!(spool.set_aside_records().unwrap(), 0, "no quarantine yet");
        let moved = spool.quarantine(&sealed[0], 1).unwrap();
        assert!(moved.exists());
        assert_eq!(spool.pending(), 0);
        assert!(!spool.has_segments());
        assert_eq!(
            spool.set_aside_records().unwrap(),
            2,
            "both lines wait for an operator"
        );
        spool.set_aside("0000000000000001", &[record(7)]).unwrap();
        assert_eq!(spool.set_aside_records().unwrap(), 3);
    }

    #[test]
    fn segments_are_sealed_at_a_bounded_size() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        let batch: Vec<_> = (0..1000).map(record).collect();
        for _ in 0..(SEGMENT_RECORDS / 1000 + 1) {
            spool.append(&batch).unwrap();
        }
        assert_eq!(spool.seal().unwrap().len(), 2);
    }
}
