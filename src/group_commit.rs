//! Group commit: requests hand their item to a queue and wait; a writer
//! task takes whatever is queued (at least one, at most `batch_max`),
//! commits it as one batch and answers every waiter with its own result.
//! The batch size follows the load with no timer.
//!
//! How the writers share the queue is the caller's choice (`Commits`).
//! Clicks and postbacks both go through here; what a batch does is theirs.

use std::future::Future;
use std::sync::Arc;
use tokio::sync::{Mutex, mpsc, oneshot, watch};
use tokio::task::JoinHandle;

/// Commits one batch and says, item by item, how it went.
pub trait Committer: Send + Sync + 'static {
    type Item: Send + 'static;
    type Answer: Send + 'static;

    /// Returns one answer per item, in the items' order.
    fn commit(&self, batch: Vec<Self::Item>) -> impl Future<Output = Vec<Self::Answer>> + Send;
}

/// The item never reached a writer: they have stopped (shutdown).
#[derive(Clone, Copy, Debug, thiserror::Error)]
#[error("the writers have stopped")]
pub struct Stopped;

type Pending<C> = (
    <C as Committer>::Item,
    oneshot::Sender<<C as Committer>::Answer>,
);

/// Whether a writer may take the next batch while another commits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Commits {
    /// A writer keeps the queue until its commit returns; the next writer
    /// takes it then, while the first answers its waiters. For cheap
    /// statements: on this kind of machine a commit's WAL flush costs CPU
    /// whatever the batch's size, and overlapping commits halve the
    /// batches. Clicks: 35,000/s at 15 per batch overlapping, 40,000/s at
    /// 30 one at a time.
    OneAtATime,
    /// A writer gives the queue up as soon as it has its batch. For
    /// statements heavy enough that two running at once use both cores:
    /// postbacks ran at a third of their rate one at a time.
    Overlapping,
}

pub struct GroupCommit<C: Committer> {
    queue: mpsc::Sender<Pending<C>>,
}

impl<C: Committer> Clone for GroupCommit<C> {
    fn clone(&self) -> Self {
        Self {
            queue: self.queue.clone(),
        }
    }
}

pub struct Writers {
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

const QUEUE_CAPACITY: usize = 65_536;

impl<C: Committer> GroupCommit<C> {
    pub fn start(
        committer: Arc<C>,
        writers: usize,
        batch_max: usize,
        commits: Commits,
    ) -> (Self, Writers) {
        let (queue, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let receiver = Arc::new(Mutex::new(receiver));
        let (shutdown, watcher) = watch::channel(false);
        let tasks = (0..writers)
            .map(|_| {
                tokio::spawn(write_loop(
                    committer.clone(),
                    receiver.clone(),
                    watcher.clone(),
                    batch_max,
                    commits,
                ))
            })
            .collect();
        (Self { queue }, Writers { shutdown, tasks })
    }

    /// Resolves with the item's answer once its batch is done.
    pub async fn submit(&self, item: C::Item) -> Result<C::Answer, Stopped> {
        let (done, answer) = oneshot::channel();
        self.queue.send((item, done)).await.map_err(|_| Stopped)?;
        answer.await.map_err(|_| Stopped)
    }
}

impl Writers {
    /// Stops taking items and waits until every queued one is answered.
    pub async fn drain(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

async fn write_loop<C: Committer>(
    committer: Arc<C>,
    receiver: Arc<Mutex<mpsc::Receiver<Pending<C>>>>,
    mut shutdown: watch::Receiver<bool>,
    batch_max: usize,
    commits: Commits,
) {
    loop {
        let mut rx = receiver.lock().await;
        let batch = {
            let first = tokio::select! {
                biased;
                next = rx.recv() => next,
                _ = shutdown.changed() => {
                    // Refuse new items; what is queued is still written.
                    rx.close();
                    rx.recv().await
                }
            };
            let Some(first) = first else { return };
            let mut batch = Vec::with_capacity(64);
            batch.push(first);
            while batch.len() < batch_max {
                match rx.try_recv() {
                    Ok(pending) => batch.push(pending),
                    Err(_) => break,
                }
            }
            batch
        };
        let held = match commits {
            Commits::OneAtATime => Some(rx),
            Commits::Overlapping => {
                drop(rx);
                None
            }
        };
        let (items, waiters): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        let answers = committer.commit(items).await;
        drop(held);
        debug_assert_eq!(answers.len(), waiters.len());
        for (waiter, answer) in waiters.into_iter().zip(answers) {
            let _ = waiter.send(answer);
        }
    }
}
