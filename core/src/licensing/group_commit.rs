//! Group commit: concurrent direct-user assignments (or unassignments) of
//! one app in this process share one transaction.
//!
//! Why: every write to an app's seats serialises on the app's row lock, so
//! a popular app runs one write per lock hold (and one WAL flush per
//! commit) however many requests wait. Here the first request for a
//! (tenant, app, kind) becomes the leader and runs at once — no added
//! latency when nobody else is waiting — while requests that arrive
//! meanwhile queue; when the leader's transaction ends, it takes up to
//! [`MAX_BATCH`] of them and runs them together (`batch.rs`), in arrival
//! order, each keeping its own all-or-nothing outcome and typed error.
//! Across processes (replicas) correctness still comes from the row lock.
//!
//! The leader is a spawned task, so a request whose client hangs up does
//! not abandon the others queued behind it.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Mutex;

use futures::FutureExt;
use tokio::sync::oneshot;

use super::LicenseChange;
use super::batch::UsersWrite;
use crate::db::Store;
use crate::error::{CoreError, CoreResult};
use crate::ids::{AppId, TenantId};

/// Most writes in one transaction: bounds a batch's statements (one
/// multi-row INSERT each) and the time the first of them waits.
pub(crate) const MAX_BATCH: usize = 64;

/// Which batch a write joins.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Assign,
    Unassign,
}

type Key = (TenantId, AppId, Kind);

struct Queued {
    write: UsersWrite,
    answer: oneshot::Sender<CoreResult<LicenseChange>>,
}

/// The per-(tenant, app, kind) queues of one [`Store`]. A key exists only
/// while its leader runs.
#[derive(Default)]
pub(crate) struct GroupCommit {
    queues: Mutex<HashMap<Key, Vec<Queued>>>,
}

impl GroupCommit {
    /// Queue `write`; lead if no one else does.
    pub(crate) async fn submit(
        store: &Store,
        tenant: TenantId,
        app: AppId,
        kind: Kind,
        write: UsersWrite,
    ) -> CoreResult<LicenseChange> {
        let (answer, answered) = oneshot::channel();
        let key = (tenant, app, kind);
        let lead = {
            let mut queues = store.group_commit().lock_queues();
            match queues.entry(key) {
                Entry::Occupied(mut queue) => {
                    queue.get_mut().push(Queued { write, answer });
                    false
                }
                Entry::Vacant(slot) => {
                    slot.insert(vec![Queued { write, answer }]);
                    true
                }
            }
        };
        if lead {
            tokio::spawn(lead_batches(store.clone(), key));
        }
        answered.await.unwrap_or_else(|_| {
            Err(CoreError::Unavailable(
                "the write's batch ended without an answer".into(),
            ))
        })
    }

    fn lock_queues(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Vec<Queued>>> {
        // A panic while holding this lock only ever pushes or drains a
        // Vec; the map is still whole.
        self.queues.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Up to [`MAX_BATCH`] queued writes for `key`, oldest first; when none
    /// is left the key is removed (the next write leads).
    fn next_batch(&self, key: Key) -> Vec<Queued> {
        let mut queues = self.lock_queues();
        let Some(queue) = queues.get_mut(&key) else {
            return Vec::new();
        };
        let take = queue.len().min(MAX_BATCH);
        let batch: Vec<Queued> = queue.drain(..take).collect();
        if batch.is_empty() {
            queues.remove(&key);
        }
        batch
    }
}

/// Run batches for `key` until its queue is empty.
async fn lead_batches(store: Store, key: Key) {
    loop {
        let batch = store.group_commit().next_batch(key);
        if batch.is_empty() {
            return;
        }
        let (writes, answers): (Vec<UsersWrite>, Vec<_>) =
            batch.into_iter().map(|q| (q.write, q.answer)).unzip();
        let run = std::panic::AssertUnwindSafe(run_batch(&store, key, &writes)).catch_unwind();
        // A panic drops the answers: those writers get `Unavailable`, and
        // the queue goes on with the next batch.
        if let Ok(results) = run.await {
            for (answer, result) in answers.into_iter().zip(results) {
                // The writer may have gone (client hung up): nothing to do.
                let _ = answer.send(result);
            }
        }
    }
}

/// One batch: together when possible, else each write on the exact path.
pub(crate) async fn run_batch(
    store: &Store,
    (tenant, app, kind): Key,
    writes: &[UsersWrite],
) -> Vec<CoreResult<LicenseChange>> {
    let together = match kind {
        Kind::Assign => store.assign_users_batch(tenant, app, writes).await,
        Kind::Unassign => store
            .unassign_users_batch(tenant, app, writes)
            .await
            .map(Some),
    };
    match together {
        Ok(Some(results)) => return results,
        // A single write's failure is its own answer.
        Err(error) if writes.len() == 1 => return vec![Err(error)],
        // The estimate did not hold, or the batch failed as a whole: each
        // write alone gets exactly the answer it would have had.
        Ok(None) | Err(_) => {}
    }
    let mut results = Vec::with_capacity(writes.len());
    for write in writes {
        let principals: Vec<_> = write
            .users
            .iter()
            .map(|u| crate::ids::PrincipalId::User(*u))
            .collect();
        results.push(match kind {
            Kind::Assign => {
                store
                    .assign_licenses_exact(tenant, &write.actor, app, &principals)
                    .await
            }
            Kind::Unassign => {
                store
                    .unassign_licenses_exact(tenant, &write.actor, app, &principals)
                    .await
            }
        });
    }
    results
}
