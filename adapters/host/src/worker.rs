//! Running plugin calls on their own threads, with timeouts and quarantine.
//!
//! Each call gets a fresh, detached OS thread rather than a slot in tokio's
//! `spawn_blocking` pool, on purpose:
//! - a hung plugin call can never be cancelled; on the shared blocking pool
//!   it would hold a slot that database work needs, and the runtime's
//!   shutdown waits for every blocking task, so one hung vendor would stop
//!   the server from ever exiting;
//! - a detached thread ends with the process, and spawning one costs
//!   microseconds, nothing next to a vendor's network round trip.
//!
//! Threads that outlive their timeout are counted per plugin; see
//! [`HostConfig::max_abandoned_calls`](crate::HostConfig::max_abandoned_calls).

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use seatwise_adapter::abi::Method;

use crate::error::CallError;
use crate::ffi_call::call_plugin;
use crate::library::PluginFunctions;

/// Runs calls into one plugin and tracks the ones it never returned from.
#[derive(Debug)]
pub(crate) struct PluginWorker {
    functions: PluginFunctions,
    /// Names the plugin in thread names and errors: its key once known.
    label: String,
    max_abandoned: usize,
    abandoned: Arc<AtomicUsize>,
    /// Calls whose thread is inside the plugin now, abandoned ones included.
    running: Arc<AtomicUsize>,
}

impl PluginWorker {
    pub fn new(functions: PluginFunctions, label: String, max_abandoned: usize) -> Self {
        Self {
            functions,
            label,
            // A limit of 0 would quarantine every plugin before its first call.
            max_abandoned: max_abandoned.max(1),
            abandoned: Arc::new(AtomicUsize::new(0)),
            running: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Calls running inside the plugin now, whether awaited or abandoned.
    pub fn running_calls(&self) -> usize {
        self.running.load(Ordering::Acquire)
    }

    /// Calls that timed out and are still running inside the plugin.
    pub fn abandoned_calls(&self) -> usize {
        self.abandoned.load(Ordering::Acquire)
    }

    /// Whether new calls are refused until abandoned ones return.
    pub fn is_quarantined(&self) -> bool {
        self.abandoned_calls() >= self.max_abandoned
    }

    /// Runs `method` without blocking the async runtime; fails with
    /// [`CallError::Timeout`] after `timeout`.
    pub async fn call(
        &self,
        method: Method,
        input: Vec<u8>,
        timeout: Duration,
    ) -> Result<Vec<u8>, CallError> {
        let (sender, mut receiver) = tokio::sync::oneshot::channel();
        let call = self.start(method, input, move |result| {
            // The receiver is gone only if the caller's future was dropped.
            let _ = sender.send(result);
        })?;
        // If the caller drops this future mid-call (its own request was
        // cancelled), nobody waits for the thread any more: count it as
        // abandoned just like a timeout, so quarantine still bounds threads.
        let waiting = AbandonOnDrop {
            worker: self,
            call: &call,
        };
        let result = match tokio::time::timeout(timeout, &mut receiver).await {
            Ok(delivered) => delivered.unwrap_or_else(|_| Err(thread_vanished())),
            Err(_elapsed) if self.abandon(&call) => Err(CallError::Timeout(timeout)),
            // Finished just as the timeout fired: the answer is on its way.
            Err(_elapsed) => receiver.await.unwrap_or_else(|_| Err(thread_vanished())),
        };
        // Settled either way; dropping the guard now is a no-op because
        // `abandon` only counts calls that are still running.
        drop(waiting);
        result
    }

    /// Runs `method`, blocking the current thread for at most `timeout`.
    /// For use outside the async runtime (loading plugins at start).
    pub fn call_blocking(
        &self,
        method: Method,
        input: Vec<u8>,
        timeout: Duration,
    ) -> Result<Vec<u8>, CallError> {
        let (sender, receiver) = std::sync::mpsc::sync_channel(1);
        let call = self.start(method, input, move |result| {
            let _ = sender.send(result);
        })?;
        match receiver.recv_timeout(timeout) {
            Ok(result) => result,
            Err(RecvTimeoutError::Disconnected) => Err(thread_vanished()),
            Err(RecvTimeoutError::Timeout) if self.abandon(&call) => {
                Err(CallError::Timeout(timeout))
            }
            // Finished just as the timeout fired: the answer is on its way.
            Err(RecvTimeoutError::Timeout) => {
                receiver.recv().unwrap_or_else(|_| Err(thread_vanished()))
            }
        }
    }

    /// Starts the call's thread, which passes the result to `deliver`.
    fn start(
        &self,
        method: Method,
        input: Vec<u8>,
        deliver: impl FnOnce(Result<Vec<u8>, CallError>) + Send + 'static,
    ) -> Result<Arc<CallState>, CallError> {
        let abandoned = self.abandoned_calls();
        if abandoned >= self.max_abandoned {
            return Err(CallError::Quarantined {
                key: self.label.clone(),
                abandoned,
            });
        }
        let state = Arc::new(CallState::default());
        let thread_state = Arc::clone(&state);
        let thread_abandoned = Arc::clone(&self.abandoned);
        let (label, max_abandoned) = (self.label.clone(), self.max_abandoned);
        let functions = self.functions;
        let running = Arc::clone(&self.running);
        running.fetch_add(1, Ordering::AcqRel);
        let thread_running = Arc::clone(&running);
        std::thread::Builder::new()
            .name(format!("adapter:{}", self.label))
            .spawn(move || {
                let result = call_plugin(functions, method, &input);
                thread_running.fetch_sub(1, Ordering::AcqRel);
                if !thread_state.finish() {
                    // The caller gave up on this call and counted it; it is
                    // no longer stuck, so stop counting it.
                    let before = thread_abandoned.fetch_sub(1, Ordering::AcqRel);
                    if before == max_abandoned {
                        tracing::info!(
                            adapter = %label,
                            abandoned_calls = before - 1,
                            "adapter leaves quarantine: a timed-out call returned"
                        );
                    }
                }
                deliver(result);
            })
            .map_err(|error| {
                running.fetch_sub(1, Ordering::AcqRel);
                CallError::WorkerUnavailable(error.to_string())
            })?;
        Ok(state)
    }

    /// Called when the timeout elapsed: marks the call abandoned and counts
    /// it, unless it finished in the meantime (then returns false).
    fn abandon(&self, call: &CallState) -> bool {
        if call.is_settled() {
            // Already finished or abandoned: skip the counting dance below,
            // whose momentary +1 could make a concurrent call see quarantine.
            return false;
        }
        // Count first: once the state says "abandoned", the thread may
        // finish and decrement at any moment, and must not go below zero.
        self.abandoned.fetch_add(1, Ordering::AcqRel);
        let abandoned = call.abandon();
        if !abandoned {
            self.abandoned.fetch_sub(1, Ordering::AcqRel);
        } else if self.abandoned_calls() == self.max_abandoned {
            // Logged once per entry into quarantine, not per refused call.
            tracing::error!(
                adapter = %self.label,
                abandoned_calls = self.max_abandoned,
                "adapter quarantined: {} timed-out calls are still running inside it; \
                 its calls fail at once until some return",
                self.max_abandoned
            );
        }
        abandoned
    }
}

/// Abandons a call whose caller stopped waiting without seeing it settle.
struct AbandonOnDrop<'a> {
    worker: &'a PluginWorker,
    call: &'a CallState,
}

impl Drop for AbandonOnDrop<'_> {
    fn drop(&mut self) {
        // Does nothing when the call already finished or was abandoned.
        self.worker.abandon(self.call);
    }
}

fn thread_vanished() -> CallError {
    // `call_plugin` does not panic and the plugin cannot unwind into it, so
    // this would be a bug in the host; report it instead of hanging.
    CallError::Panicked("the call's thread ended without an answer".into())
}

/// Settles the race between a call finishing and its caller timing out:
/// exactly one of [`CallState::finish`] and [`CallState::abandon`] wins.
#[derive(Debug, Default)]
struct CallState(AtomicU8);

const RUNNING: u8 = 0;
const FINISHED: u8 = 1;
const ABANDONED: u8 = 2;

impl CallState {
    /// The call returned. False if the caller had already abandoned it.
    fn finish(&self) -> bool {
        self.transition(FINISHED)
    }

    /// The caller stops waiting. False if the call had already returned.
    fn abandon(&self) -> bool {
        self.transition(ABANDONED)
    }

    /// Whether the call already finished or was abandoned.
    fn is_settled(&self) -> bool {
        self.0.load(Ordering::Acquire) != RUNNING
    }

    fn transition(&self, to: u8) -> bool {
        self.0
            .compare_exchange(RUNNING, to, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }
}
