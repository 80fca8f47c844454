//! A writer's batch: committed through the database, or spooled, or (the
//! records the database refuses for what they hold) set aside. The click
//! and postback writers share this decision; what a batch is, is theirs.

use super::{Spool, SpoolRecord, Undecodable};
use crate::db::Health;
use std::future::Future;
use std::ops::Range;
use std::sync::Arc;

/// Where one item of a batch ended up.
#[derive(Debug)]
pub enum Landed<T> {
    Committed(T),
    /// Appended to the spool and fsync'd: the replayer writes it once the
    /// database is back.
    Spooled,
    /// The database refused it for what it holds: kept in
    /// `spool/quarantine/` for an operator, and never tried again.
    SetAside,
    /// Neither the database, the spool nor the quarantine took it: the
    /// caller must not acknowledge it.
    Lost,
}

/// How long one attempt may wait on the database before its items are
/// spooled instead.
const COMMIT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// How often an attempt is made when the database reports a conflict with
/// a concurrent transaction (deadlock, serialization failure).
const CONFLICT_ATTEMPTS: u32 = 3;

/// Commits `items` through the database when it is up and nothing is
/// spooled ahead (order), else appends them (`encode`d) to the spool and
/// fsyncs. One answer per item, in order.
///
/// `commit` makes one attempt at the items it is given, all or nothing. A
/// conflict with a concurrent transaction is tried again; the database
/// rolled the attempt back, so nothing is written twice. Only a failure
/// that says the database itself is away (no connection, shutdown, out of
/// resources, a timeout) sends the writers to the spool for a while.
///
/// A batch the database refuses for what one of its records holds (a NUL
/// it cannot store, a value over a limit: `is_poison`) would be refused on
/// every try, so it is neither spooled (everything behind it would wait,
/// answered `queued`) nor failed as a whole: it is written in halves, and
/// halves of those, until each refused record stands alone; those are set
/// aside and the rest commit. One bad record in a batch of 2,048 costs
/// about 22 statements. A batch that commits at once never takes this path.
pub async fn commit_or_spool<'a, I, T, F>(
    spool: &Arc<Spool>,
    health: &Health,
    items: &'a [I],
    mut commit: impl FnMut(Vec<&'a I>) -> F,
    encode: impl Fn(&I) -> SpoolRecord,
) -> Vec<Landed<T>>
where
    F: Future<Output = anyhow::Result<Vec<T>>>,
{
    let _order = spool.order.read().await;
    let mut landed: Vec<Option<Landed<T>>> = items.iter().map(|_| None).collect();
    let mut refused = Vec::new();
    // What is still to write, the next range last: at first the whole batch.
    let mut todo: Vec<Range<usize>> = Vec::with_capacity(4);
    todo.push(0..items.len());
    if spool.pending() == 0 && health.is_up() {
        while let Some(range) = todo.pop() {
            match attempt(&mut commit, &items[range.clone()]).await {
                Ok(answers) => {
                    debug_assert_eq!(answers.len(), range.len());
                    for (n, answer) in range.zip(answers) {
                        landed[n] = Some(Landed::Committed(answer));
                    }
                }
                Err(Failed::Refused(e)) if range.len() == 1 => {
                    tracing::error!(
                        error = format!("{e:#}"),
                        "the database refuses a record for what it holds; setting it aside"
                    );
                    refused.push(range.start);
                }
                Err(Failed::Refused(e)) => {
                    tracing::warn!(
                        error = format!("{e:#}"),
                        records = range.len(),
                        "the database refused a batch for what it holds; writing it in halves"
                    );
                    let middle = range.start + range.len() / 2;
                    todo.push(middle..range.end);
                    todo.push(range.start..middle);
                }
                Err(Failed::Other { database_away }) => {
                    if database_away {
                        health.report_failure();
                    }
                    todo.push(range);
                    break;
                }
            }
        }
    }
    let spooled: Vec<usize> = todo.into_iter().rev().flatten().collect();
    let kept = keep(spool, &spooled, items, &encode, |spool, records| {
        spool.append(records)
    })
    .await;
    for n in spooled {
        landed[n] = Some(if kept { Landed::Spooled } else { Landed::Lost });
    }
    let kept = keep(spool, &refused, items, &encode, |spool, records| {
        let name = format!("live-{}", chrono::Utc::now().format("%Y-%m-%d"));
        let file = spool.set_aside(&name, records)?;
        tracing::error!(records = records.len(), kept = %file.display(), "records the database refused, kept aside for an operator");
        Ok(())
    })
    .await;
    for n in refused {
        landed[n] = Some(if kept { Landed::SetAside } else { Landed::Lost });
    }
    landed
        .into_iter()
        .map(|l| l.expect("every item has landed"))
        .collect()
}

/// Writes the items numbered `which` to disk with `write` (blocking, so on
/// a thread of its own); whether they are safe there.
async fn keep<I>(
    spool: &Arc<Spool>,
    which: &[usize],
    items: &[I],
    encode: &impl Fn(&I) -> SpoolRecord,
    write: impl FnOnce(&Spool, &[SpoolRecord]) -> std::io::Result<()> + Send + 'static,
) -> bool {
    if which.is_empty() {
        return true;
    }
    let records: Vec<SpoolRecord> = which.iter().map(|&n| encode(&items[n])).collect();
    let spool = spool.clone();
    let written = tokio::task::spawn_blocking(move || write(&spool, &records))
        .await
        .map_err(std::io::Error::other)
        .and_then(|written| written);
    if let Err(e) = &written {
        tracing::error!(error = %e, records = which.len(), "records neither committed nor kept on disk");
    }
    written.is_ok()
}

enum Failed {
    /// Refused for what the records hold: smaller parts may commit.
    Refused(anyhow::Error),
    Other {
        database_away: bool,
    },
}

/// One attempt at `part` within `COMMIT_TIMEOUT`, repeated on a conflict.
async fn attempt<'a, I, T, F>(
    commit: &mut impl FnMut(Vec<&'a I>) -> F,
    part: &'a [I],
) -> Result<Vec<T>, Failed>
where
    F: Future<Output = anyhow::Result<Vec<T>>>,
{
    let deadline = tokio::time::Instant::now() + COMMIT_TIMEOUT;
    let mut tries = 0;
    loop {
        tries += 1;
        match tokio::time::timeout_at(deadline, commit(part.iter().collect())).await {
            Ok(Ok(answers)) => return Ok(answers),
            Ok(Err(e)) if is_conflict(&e) && tries < CONFLICT_ATTEMPTS => {
                tracing::info!(
                    error = format!("{e:#}"),
                    attempt = tries,
                    "batch met a conflict; trying it again"
                );
            }
            Ok(Err(e)) if is_poison(&e) => return Err(Failed::Refused(e)),
            Ok(Err(e)) => {
                tracing::warn!(error = format!("{e:#}"), "batch not committed; spooling it");
                return Err(Failed::Other {
                    database_away: !is_refusal(&e),
                });
            }
            Err(_) => {
                tracing::warn!("batch not committed within {COMMIT_TIMEOUT:?}; spooling it");
                return Err(Failed::Other {
                    database_away: true,
                });
            }
        }
    }
}

fn sql_state(e: &anyhow::Error) -> Option<&tokio_postgres::error::SqlState> {
    e.chain()
        .filter_map(|cause| cause.downcast_ref::<tokio_postgres::Error>())
        .find_map(|pg| pg.code())
}

/// Deadlock or serialization failure: two transactions met, and trying the
/// losing one again is the documented remedy.
fn is_conflict(e: &anyhow::Error) -> bool {
    use tokio_postgres::error::SqlState;
    sql_state(e).is_some_and(|code| {
        *code == SqlState::T_R_DEADLOCK_DETECTED || *code == SqlState::T_R_SERIALIZATION_FAILURE
    })
}

/// The database answered and refused this batch (bad data, a constraint):
/// it is up. Connection exceptions (08), insufficient resources (53),
/// operator intervention such as a shutdown (57), system (58) and internal
/// (XX) errors say otherwise, as does an error with no SQLSTATE at all.
fn is_refusal(e: &anyhow::Error) -> bool {
    sql_state(e).is_some_and(|code| {
        !["08", "53", "57", "58", "XX"]
            .iter()
            .any(|class| code.code().starts_with(class))
    })
}

/// The database refuses the records for what they hold: a data exception
/// (class 22: a value out of range, a byte it cannot store), a constraint
/// (class 23), or a program limit (class 54: a value too large for an
/// index entry). Written again as they are, they are refused again.
pub(super) fn is_poison(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| cause.is::<Undecodable>())
        || sql_state(e).is_some_and(|code| {
            ["22", "23", "54"]
                .iter()
                .any(|class| code.code().starts_with(class))
        })
}
