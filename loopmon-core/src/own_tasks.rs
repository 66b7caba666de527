//! [`OwnTasks`]: loopmon's own tasks on one runtime, counted across all of its monitors, so that
//! each monitor's task count leaves out every monitor's probe and deliveries, not only its own.

use crate::per_runtime::PerRuntime;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::runtime::Handle;

/// The number of loopmon's tasks alive on one runtime.
#[derive(Debug, Default)]
pub(crate) struct OwnTasks(AtomicUsize);

/// One counter per runtime with a monitor, while a monitor of it lives.
static ALL: PerRuntime<OwnTasks> = PerRuntime::new();

impl OwnTasks {
    /// The counter shared by every monitor of `runtime`. Takes a process-wide lock: call it when
    /// a monitor is made, not per tick.
    pub(crate) fn of(runtime: &Handle) -> Arc<OwnTasks> {
        ALL.of(runtime, OwnTasks::default)
    }

    pub(crate) fn add(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn remove(&self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }

    pub(crate) fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monitors_of_one_runtime_share_a_counter_and_other_runtimes_do_not() {
        let a = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let b = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let (a1, a2, b1) = (
            OwnTasks::of(a.handle()),
            OwnTasks::of(a.handle()),
            OwnTasks::of(b.handle()),
        );
        a1.add();
        a2.add();
        b1.add();
        assert_eq!((a1.get(), a2.get(), b1.get()), (2, 2, 1));
        a2.remove();
        assert_eq!(a1.get(), 1);
    }
}
