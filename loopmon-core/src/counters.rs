//! [`Counters`]: the figures a monitor keeps about itself, shared with its deliveries.

use crate::own_tasks::OwnTasks;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use tokio::runtime::Handle;

/// What a monitor counts about itself. Shared (in an `Arc`) by the probe, the handle and every
/// callback delivery in flight.
#[derive(Debug)]
pub(crate) struct Counters {
    ticks: AtomicU64,
    skipped: AtomicU64,
    panics: AtomicU64,
    stopped: AtomicBool,
    finished: AtomicBool,
    /// loopmon's tasks on the monitor's runtime, every monitor's.
    own: Arc<OwnTasks>,
}

impl Counters {
    /// The counters of a new monitor of `runtime`.
    pub(crate) fn new(runtime: &Handle) -> Counters {
        Counters {
            ticks: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            panics: AtomicU64::new(0),
            stopped: AtomicBool::new(false),
            finished: AtomicBool::new(false),
            own: OwnTasks::of(runtime),
        }
    }
    /// loopmon's tasks alive on the runtime, every monitor's: left out of the task count.
    pub(crate) fn own_tasks(&self) -> usize {
        self.own.get()
    }
    pub(crate) fn next_tick(&self) -> u64 {
        self.ticks.fetch_add(1, Ordering::Relaxed)
    }
    pub(crate) fn ticks(&self) -> u64 {
        self.ticks.load(Ordering::Relaxed)
    }
    pub(crate) fn add_skipped(&self) {
        self.skipped.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn skipped(&self) -> u64 {
        self.skipped.load(Ordering::Relaxed)
    }
    pub(crate) fn add_panic(&self) {
        self.panics.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn panics(&self) -> u64 {
        self.panics.load(Ordering::Relaxed)
    }
    /// One more of loopmon's tasks (the probe, a callback's) is alive on the runtime (counted
    /// before it is spawned).
    pub(crate) fn task_spawned(&self) {
        self.own.add();
    }
    /// One of loopmon's tasks has ended (or was dropped unpolled).
    pub(crate) fn task_ended(&self) {
        self.own.remove();
    }
    /// Marks the monitor stopped; `true` if it already was.
    /// Sequentially consistent, as [`is_stopped`](Self::is_stopped): an async callback's task
    /// and `stop()` each write their flag, then read the other's (see `callback/worker.rs`).
    pub(crate) fn stop(&self) -> bool {
        self.stopped.swap(true, Ordering::SeqCst)
    }
    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }
    pub(crate) fn finish(&self) {
        self.finished.store(true, Ordering::Release);
    }
    pub(crate) fn is_finished(&self) -> bool {
        self.finished.load(Ordering::Acquire)
    }
}
