//! Counting SQL statements, so tests and benchmarks can prove that a request
//! issues a bounded number of them.

use diesel::connection::{Instrumentation, InstrumentationEvent};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A shared counter of statements started on a store's connections.
#[derive(Clone, Default)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    /// Statements started so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    pub(crate) fn instrumentation(&self) -> CountingInstrumentation {
        CountingInstrumentation(self.0.clone())
    }
}

pub(crate) struct CountingInstrumentation(Arc<AtomicU64>);

impl Instrumentation for CountingInstrumentation {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { .. } = event {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}
