//! The local spool: where acknowledged writes wait while PostgreSQL is away.
//!
//! Records are appended as JSON lines and fsync'd before the caller is told
//! they are safe. The file being appended to is `NNNN.open`; sealing renames
//! it to `NNNN.jsonl`, and sealed segments are replayed in sequence order and
//! deleted once their rows have committed. Replaying is idempotent (rows are
//! keyed by session id), so a crash between commit and delete only means a
//! segment is replayed twice, never that a row is counted twice.

pub mod replay;

use crate::clicks::ClickRow;
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SpoolRecord {
    Click(ClickRow),
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
    file: Option<(u64, File)>,
    next_seq: u64,
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
            pending += count_lines(&segment_path(&dir, seq))?;
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

    /// Appends and fsyncs. Blocking: call from `spawn_blocking`.
    pub fn append(&self, records: &[SpoolRecord]) -> io::Result<()> {
        let mut buf = Vec::with_capacity(records.len() * 400);
        for record in records {
            serde_json::to_writer(&mut buf, record).map_err(io::Error::other)?;
            buf.push(b'\n');
        }
        let mut current = self.current.lock().expect("spool lock");
        if current.file.is_none() {
            let seq = current.next_seq;
            current.next_seq += 1;
            let file = OpenOptions::new()
                .create_new(true)
                .append(true)
                .open(self.dir.join(format!("{seq:016}.open")))?;
            sync_dir(&self.dir)?;
            current.file = Some((seq, file));
        }
        let (_, file) = current.file.as_mut().expect("opened above");
        let written = file.write_all(&buf).and_then(|()| file.sync_data());
        if written.is_err() {
            // A torn line must not prefix the next append: start a new segment.
            let _ = self.seal_locked(&mut current);
        }
        written?;
        self.pending
            .fetch_add(records.len() as u64, Ordering::AcqRel);
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
        if let Some((seq, file)) = current.file.take() {
            drop(file);
            fs::rename(
                self.dir.join(format!("{seq:016}.open")),
                segment_path(&self.dir, seq),
            )?;
            sync_dir(&self.dir)?;
        }
        Ok(())
    }

    /// Reads a sealed segment. A line that does not parse is the torn tail
    /// of a write that was never acknowledged; it is skipped.
    pub fn read(&self, path: &Path) -> io::Result<Vec<SpoolRecord>> {
        let mut records = Vec::new();
        for (n, line) in BufReader::new(File::open(path)?).split(b'\n').enumerate() {
            let line = line?;
            if line.is_empty() {
                continue;
            }
            match serde_json::from_slice(&line) {
                Ok(record) => records.push(record),
                Err(e) => {
                    tracing::warn!(segment = %path.display(), line = n + 1, error = %e, "skipping a torn spool line")
                }
            }
        }
        Ok(records)
    }

    /// Deletes a segment whose records have all committed.
    pub fn remove(&self, path: &Path) -> io::Result<()> {
        // Counted as appended, torn tails included, so pending returns to 0.
        let records = count_lines(path)?;
        fs::remove_file(path)?;
        sync_dir(&self.dir)?;
        let _ = self
            .pending
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |p| {
                Some(p.saturating_sub(records))
            });
        Ok(())
    }
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

fn count_lines(path: &Path) -> io::Result<u64> {
    let mut n = 0;
    for line in BufReader::new(File::open(path)?).split(b'\n') {
        if !line?.is_empty() {
            n += 1;
        }
    }
    Ok(n)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn record(n: usize) -> SpoolRecord {
        SpoolRecord::Click(ClickRow {
            session_id: format!("s{n}"),
            site_id: "site".into(),
            link_id: "link".into(),
            clicked_at: Utc::now(),
            page_url: "https://blog.test/".into(),
            keyword: Some("k \"quoted\"\n".into()),
            keyword_source: None,
            network: None,
            referrer: None,
            user_agent: None,
            visitor_hash: None,
            is_bot: false,
        })
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
            .flat_map(|p| spool.read(p).unwrap())
            .map(|SpoolRecord::Click(c)| c.session_id)
            .collect();
        assert_eq!(sessions, ["s1", "s2", "s3"]);
        spool.remove(&all[0]).unwrap();
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
        assert_eq!(read.len(), 1);
        spool.append(&[record(2)]).unwrap();
        let sealed = spool.seal().unwrap();
        assert_eq!(sealed.len(), 2, "new appends go to a new segment");
    }
}
