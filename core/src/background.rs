//! Background tasks a store starts for itself on first use (the
//! PostgreSQL notice listener, the outbox announcer).
//!
//! Invariant: such a task is started at most once per store (its clones
//! share the `OnceLock`), on the async runtime of the first call; it stops
//! by itself when the store is dropped (each task watches a channel whose
//! sender the store holds).

use std::future::Future;
use std::sync::OnceLock;

/// Spawn `task()` on the current tokio runtime unless `started` says it
/// was spawned (or tried) before. Outside a runtime nothing can run it:
/// the error log says what the process goes without (`consequence`).
pub(crate) fn spawn_once<F>(started: &OnceLock<()>, consequence: &str, task: impl FnOnce() -> F)
where
    F: Future<Output = ()> + Send + 'static,
{
    started.get_or_init(|| match tokio::runtime::Handle::try_current() {
        Ok(runtime) => {
            runtime.spawn(task());
        }
        Err(_) => tracing::error!("no async runtime: {consequence}"),
    });
}
