//! Where a SQLite connection's work runs.
//!
//! SQLite is a library: a statement runs on whatever thread calls it.
//! diesel-async's wrapper sends every operation to tokio's blocking pool,
//! so that a writer waiting up to `busy_timeout` for SQLite's one write
//! lock, or a bulk statement, never stalls the async workers. That costs
//! two thread hand-offs per statement (wake a blocking thread, wake the
//! request's task again), which on the hot read paths cost more than the
//! read itself.
//!
//! [`inline`] runs one operation on the calling thread instead. It is for
//! bounded reads only: one page of rows found through an index, outside
//! any write transaction. In WAL mode such a read takes no lock it could
//! wait for, so it cannot hold the worker longer than the rows take to
//! read. (The exception, a reader that meets the write-ahead log being
//! recovered after a crash, happens when the first connection opens, at
//! start-up, before any request.) Everything else keeps going through the
//! blocking pool.
//!
//! Invariant: the choice is made per operation, on the thread that starts
//! it, and [`inline`] resets it before returning, so no other operation
//! (another task's, or this task's next one) inherits it.

use std::cell::Cell;
use std::error::Error;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use diesel_async::sync_connection_wrapper::SpawnBlocking;
use futures::FutureExt as _;
use futures::future::BoxFuture;
use tokio::runtime::{Handle, Runtime};
use tokio::task::JoinHandle;

thread_local! {
    /// Set by [`inline`] while it starts its one operation.
    static RUN_INLINE: Cell<bool> = const { Cell::new(false) };
}

/// Start `operation` (one call on a wrapped SQLite connection, such as its
/// `spawn_blocking`) so that it runs on this thread rather than on the
/// blocking pool; the returned future is then already complete. A bounded
/// read only (see the module's documentation). PostgreSQL connections
/// ignore it.
pub(crate) fn inline<T>(operation: impl FnOnce() -> T) -> T {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            RUN_INLINE.set(false);
        }
    }
    RUN_INLINE.set(true);
    let _reset = Reset;
    operation()
}

/// The runtime of the server's SQLite connections: tokio's blocking pool,
/// or the calling thread inside [`inline`].
pub enum SqliteRuntime {
    /// The runtime the connection was opened in.
    Handle(Handle),
    /// A runtime of its own, for a connection opened outside any.
    Owned(Runtime),
}

impl SpawnBlocking for SqliteRuntime {
    fn spawn_blocking<'a, R>(
        &mut self,
        task: impl FnOnce() -> R + Send + 'static,
    ) -> BoxFuture<'a, Result<R, Box<dyn Error + Send + Sync + 'static>>>
    where
        R: Send + 'static,
    {
        if RUN_INLINE.replace(false) {
            return futures::future::ready(Ok(task())).boxed();
        }
        let handle = match self {
            SqliteRuntime::Handle(handle) => handle.clone(),
            SqliteRuntime::Owned(runtime) => runtime.handle().clone(),
        };
        let task = handle.spawn_blocking(task);
        FinishOnDrop { handle, task }
            .map(|joined| joined.map_err(Box::from))
            .boxed()
    }

    fn get_runtime() -> Self {
        match Handle::try_current() {
            Ok(handle) => SqliteRuntime::Handle(handle),
            Err(_) => SqliteRuntime::Owned(
                tokio::runtime::Builder::new_current_thread()
                    .build()
                    // As diesel-async's own runtime does: a thread that can
                    // build no runtime can run no connection either.
                    .expect("a tokio runtime for a SQLite connection"),
            ),
        }
    }
}

/// A blocking-pool task that, if its caller stops waiting, is waited for
/// before the caller moves on: the connection it uses goes back to the pool
/// only once the operation is over (as in diesel-async's own runtime).
struct FinishOnDrop<R> {
    handle: Handle,
    task: JoinHandle<R>,
}

impl<R> Future for FinishOnDrop<R> {
    type Output = Result<R, tokio::task::JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.get_mut().task).poll(cx)
    }
}

impl<R> Drop for FinishOnDrop<R> {
    fn drop(&mut self) {
        if !self.task.is_finished() {
            let task = &mut self.task;
            tokio::task::block_in_place(|| {
                // Only its end matters here; its caller is gone.
                let _ = self.handle.block_on(task);
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::thread::ThreadId;

    use diesel_async::sync_connection_wrapper::SpawnBlocking as _;

    use super::{SqliteRuntime, inline};

    fn thread_of(runtime: &mut SqliteRuntime) -> futures::future::BoxFuture<'static, ThreadId> {
        use futures::FutureExt as _;
        runtime
            .spawn_blocking(|| std::thread::current().id())
            .map(|joined| joined.expect("the operation ran"))
            .boxed()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn only_the_operation_started_inside_inline_runs_on_the_calling_thread() {
        let mut runtime = SqliteRuntime::get_runtime();
        let here = std::thread::current().id();
        let inlined = inline(|| thread_of(&mut runtime));
        let next = thread_of(&mut runtime);
        inline(|| ());
        let later = thread_of(&mut runtime);
        assert_eq!(inlined.await, here, "the inlined operation");
        assert_ne!(next.await, here, "the operation after it");
        assert_ne!(
            later.await,
            here,
            "an operation after an inline that started none"
        );
    }
}
