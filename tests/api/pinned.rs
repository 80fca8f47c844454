//! The click writer's own connection: batches follow one another down it,
//! and a connection that died or that a failed batch may have left in a bad
//! state is replaced. Each case meets a real PostgreSQL backend.

use crate::helpers::db::{admin_client, create_database, database_url, drop_database};
use affrank::db::{PinnedConnection, pool};

struct Database(String);

impl Drop for Database {
    fn drop(&mut self) {
        drop_database(self.0.clone());
    }
}

async fn backend_of(connection: &PinnedConnection) -> i32 {
    let client = connection.get().await.unwrap();
    client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn batches_share_one_backend_and_may_be_in_flight_together() {
    let db = Database(create_database().await);
    let connection = PinnedConnection::new(pool(&database_url(&db.0), 4).unwrap());
    let first = connection.get().await.unwrap();
    let second = connection.get().await.unwrap();
    let slow = first
        .prepare("SELECT pg_backend_pid(), clock_timestamp() FROM pg_sleep(0.05)")
        .await
        .unwrap();
    let quick = second
        .prepare("SELECT pg_backend_pid(), clock_timestamp()")
        .await
        .unwrap();
    // Sent together, run one after the other by the one backend: pipelined.
    let (a, b) = tokio::join!(first.query_one(&slow, &[]), second.query_one(&quick, &[]));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.get::<_, i32>(0), b.get::<_, i32>(0));
    let (a_at, b_at): (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) =
        (a.get(1), b.get(1));
    assert!(
        b_at > a_at,
        "the second query waited behind the first: {a_at} {b_at}"
    );
    assert_eq!(backend_of(&connection).await, a.get::<_, i32>(0));
}

#[tokio::test]
async fn a_dead_connection_is_replaced() {
    let db = Database(create_database().await);
    let connection = PinnedConnection::new(pool(&database_url(&db.0), 4).unwrap());
    let before = backend_of(&connection).await;
    let dead = connection.get().await.unwrap();
    admin_client()
        .await
        .execute("SELECT pg_terminate_backend($1)", &[&before])
        .await
        .unwrap();
    for _ in 0..200 {
        if dead.is_closed() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(dead.is_closed(), "the client saw its backend go");
    let after = backend_of(&connection).await;
    assert_ne!(after, before);
}

#[tokio::test]
async fn reset_takes_another_connection_for_the_next_batch() {
    let db = Database(create_database().await);
    let connection = PinnedConnection::new(pool(&database_url(&db.0), 4).unwrap());
    let before = backend_of(&connection).await;
    connection.reset();
    assert_ne!(backend_of(&connection).await, before);
}
