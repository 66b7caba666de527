//! [`Counters`]: the figures a monitor keeps about itself, shared with its deliveries.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// What a monitor counts about itself. Shared (in an `Arc`) by the probe, the handle and every
/// callback delivery in flight.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    ticks: AtomicU64,
    skipped: AtomicU64,
    panics: AtomicU64,
    /// loopmon's own tasks on the runtime besides the probe: one per async callback.
    tasks: AtomicUsize,
    stopped: AtomicBool,
    finished: AtomicBool,
}

impl Counters {
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
    /// One more of loopmon's tasks is alive (counted before it is spawned).
    pub(crate) fn task_spawned(&self) {
        self.tasks.fetch_add(1, Ordering::Relaxed);
    }
    /// One of loopmon's tasks has ended (or was dropped unpolled).
    pub(crate) fn task_ended(&self) {
        self.tasks.fetch_sub(1, Ordering::Relaxed);
    }
    /// This monitor's own tasks alive on the runtime: the probe and the callbacks' tasks, to
    /// subtract from the runtime's alive-task count.
    pub(crate) fn own_tasks(&self) -> usize {
        1 + self.tasks.load(Ordering::Relaxed)
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
