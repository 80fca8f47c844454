//! How a batch's failure is read: a deadlock is tried again, a record the
//! database refuses for what it holds is set aside while the rest of its
//! batch commits, another refusal spools that batch alone, and only an
//! unreachable database sends the writers to the spool. Each case meets a
//! real PostgreSQL error.

use crate::helpers::app::click_row;
use crate::helpers::db::{create_database, database_url, drop_database, pg_connect};
use crate::helpers::http::BROWSER_UA;
use crate::helpers::sidecar::free_port;
use affrank::clicks::ClickRow;
use affrank::db::Health;
use affrank::spool::{Landed, Spool, SpoolRecord, commit_or_spool};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

fn a_click() -> ClickRow {
    click_row(
        &"S".repeat(20),
        &"L".repeat(11),
        "ConflictClick000000001",
        BROWSER_UA,
    )
}

fn spooled<T: serde::Serialize>(item: &T) -> SpoolRecord {
    SpoolRecord::encode("click", item)
}

struct Fixture {
    name: String,
    url: String,
    spool: Arc<Spool>,
    spool_dir: std::path::PathBuf,
    health: Health,
    _dir: tempfile::TempDir,
}

impl Fixture {
    async fn new() -> Self {
        let name = create_database().await;
        let url = database_url(&name);
        pg_connect(&url)
            .await
            .unwrap()
            .batch_execute(
                "CREATE TABLE pair (id int PRIMARY KEY, n int NOT NULL DEFAULT 0);
                 INSERT INTO pair (id) VALUES (1), (2);",
            )
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        Self {
            name,
            url,
            spool: Arc::new(Spool::open(dir.path()).unwrap()),
            spool_dir: dir.path().to_path_buf(),
            health: Health::new(),
            _dir: dir,
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        drop_database(self.name.clone());
    }
}

#[tokio::test]
async fn a_deadlocked_batch_is_tried_again_and_commits() {
    let f = Fixture::new().await;
    // The rival holds row 2, the batch takes row 1 and waits for row 2, and
    // the rival then asks for row 1: a deadlock that the batch's side, with
    // the shorter deadlock_timeout, detects and loses. PostgreSQL looks for
    // a deadlock once, deadlock_timeout into a wait, so the batch's must
    // leave the rival time to close the cycle even on a loaded machine: at
    // 50 ms the look came too early now and then, found no cycle, and left
    // the rival to find it 10 s later and lose instead.
    let rival = pg_connect(&f.url).await.unwrap();
    rival
        .batch_execute(
            "SET deadlock_timeout = '10s'; BEGIN; UPDATE pair SET n = n + 1 WHERE id = 2",
        )
        .await
        .unwrap();
    let attempts = AtomicU32::new(0);
    let url = f.url.clone();
    let watcher = pg_connect(&f.url).await.unwrap();
    let rival_task = tokio::spawn(async move {
        // Once the batch waits on row 2, close the cycle, then let go.
        for _ in 0..200 {
            let waiting: i64 = watcher
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity
                     WHERE wait_event_type = 'Lock' AND query LIKE '%WHERE id = 2%'",
                    &[],
                )
                .await
                .unwrap()
                .get(0);
            if waiting > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        rival
            .batch_execute("UPDATE pair SET n = n + 1 WHERE id = 1; COMMIT")
            .await
            .unwrap();
    });
    let landed = commit_or_spool(
        &f.spool,
        &f.health,
        &[a_click()],
        |_| async {
            let attempt = attempts.fetch_add(1, Ordering::SeqCst) + 1;
            let client = pg_connect(&url).await?;
            client
                .batch_execute(
                    "SET deadlock_timeout = '1s'; BEGIN;
                     UPDATE pair SET n = n + 10 WHERE id = 1;
                     UPDATE pair SET n = n + 10 WHERE id = 2;
                     COMMIT",
                )
                .await?;
            anyhow::Ok(vec![attempt])
        },
        spooled,
    )
    .await;
    rival_task.await.unwrap();

    assert!(
        matches!(landed[..], [Landed::Committed(2)]),
        "committed on the second attempt"
    );
    assert!(f.health.is_up(), "a deadlock is no outage");
    assert_eq!(f.spool.pending(), 0, "nothing spooled");
    let client = pg_connect(&f.url).await.unwrap();
    let n: Vec<i32> = client
        .query("SELECT n FROM pair ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        n,
        [11, 11],
        "the lost attempt left nothing behind; the retry counted once"
    );
}

/// Items 10, 11, 2, 12 and 13 inserted in one statement, where 2 is taken:
/// the batch is written in halves until 2 stands alone.
#[tokio::test]
async fn a_record_the_database_refuses_is_set_aside_and_the_rest_commit() {
    let f = Fixture::new().await;
    let attempts = AtomicU32::new(0);
    let items = [10, 11, 2, 12, 13];
    let landed = commit_or_spool(
        &f.spool,
        &f.health,
        &items,
        |part: Vec<&i32>| async {
            attempts.fetch_add(1, Ordering::SeqCst);
            let ids: Vec<i32> = part.into_iter().copied().collect();
            let client = pg_connect(&f.url).await?;
            client
                .execute("INSERT INTO pair (id) SELECT unnest($1::int[])", &[&ids])
                .await?;
            anyhow::Ok(ids)
        },
        |id| SpoolRecord::encode("pair", &serde_json::json!({ "id": id })),
    )
    .await;
    let answers: Vec<Option<i32>> = landed
        .iter()
        .map(|l| match l {
            Landed::Committed(id) => Some(*id),
            Landed::SetAside => None,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(answers, [Some(10), Some(11), None, Some(12), Some(13)]);
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        5,
        "the batch, [10, 11], [2, 12, 13], [2], [12, 13]: no part is tried twice"
    );
    let client = pg_connect(&f.url).await.unwrap();
    let rows = client
        .query_one("SELECT count(*) FROM pair", &[])
        .await
        .unwrap();
    assert_eq!(rows.get::<_, i64>(0), 2 + 4);
    assert_eq!(f.spool.pending(), 0, "nothing spooled");
    assert!(
        f.health.is_up(),
        "the database answered: writers keep using it"
    );
    let aside = std::fs::read_dir(f.spool_dir.join("quarantine"))
        .unwrap()
        .count();
    assert_eq!(aside, 1, "the refused record is kept for an operator");
}

#[tokio::test]
async fn a_batch_refused_for_another_reason_is_spooled_alone_and_the_database_stays_up() {
    let f = Fixture::new().await;
    let attempts = AtomicU32::new(0);
    let landed = commit_or_spool(
        &f.spool,
        &f.health,
        &[a_click()],
        |_| async {
            attempts.fetch_add(1, Ordering::SeqCst);
            let client = pg_connect(&f.url).await?;
            client
                .execute("INSERT INTO no_such_table VALUES (1)", &[])
                .await?;
            anyhow::Ok(vec![()])
        },
        spooled,
    )
    .await;
    assert!(matches!(landed[..], [Landed::Spooled]));
    assert_eq!(attempts.load(Ordering::SeqCst), 1, "not retried");
    assert_eq!(f.spool.pending(), 1);
    assert!(
        f.health.is_up(),
        "the database answered: writers keep using it"
    );
}

#[tokio::test]
async fn an_unreachable_database_sends_the_writers_to_the_spool() {
    let f = Fixture::new().await;
    let closed = format!("postgres://postgres@127.0.0.1:{}/nowhere", free_port());
    let landed = commit_or_spool(
        &f.spool,
        &f.health,
        &[a_click()],
        |_| async {
            pg_connect(&closed).await?;
            anyhow::Ok(vec![()])
        },
        spooled,
    )
    .await;
    assert!(matches!(landed[..], [Landed::Spooled]));
    assert_eq!(f.spool.pending(), 1);
    assert!(!f.health.is_up(), "writers skip the database for a while");
}
