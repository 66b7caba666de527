//! [`RuntimeThreads`]: the Linux thread id of each worker of a monitored runtime, so that the
//! watchdog can look at a stalled one from outside (its state and stack, in `/proc`).
//!
//! Learnt without `unsafe`, from `/proc/thread-self`, each thread reading its own id once:
//! - on a runtime that `#[loopmon::main]` / `#[loopmon::test]` build, by hooks
//!   ([`install_hooks`](crate::entry::install_hooks)): `on_thread_park` / `on_thread_unpark`
//!   tell which worker a thread is, the first time it parks or wakes; `on_thread_start` records
//!   every thread the runtime starts. tokio starts its `n` workers before anything else, one new
//!   thread each, and Linux hands out thread ids in increasing order: the runtime's `n` first
//!   threads are its workers (though not in index order). A worker stuck since its first poll
//!   never parked; when it is the only one that has not told, it is the one thread left;
//! - on any runtime, by the probe, the first time it runs on each worker;
//! - the thread that drives a `current_thread` runtime or runs `block_on`: by the probes'
//!   heartbeats (see `heartbeat`).
//!
//! Elsewhere than Linux, or without `/proc`, every id is unknown (`None`).

use crate::per_runtime::PerRuntime;
use loopmon_inspect::current_tid;
use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::runtime::{Handle, Id};

/// Registers the table of the runtime this thread just built (see [`RuntimeThreads::built`]),
/// if `runtime` is that one.
pub(crate) fn adopt_built(runtime: &Handle) {
    if let Some(table) = BUILT.with(|built| built.borrow_mut().take()) {
        table.register(runtime);
    }
}

thread_local! {
    /// The table of the runtime this thread last built with loopmon's hooks.
    static BUILT: RefCell<Option<Arc<RuntimeThreads>>> = const { RefCell::new(None) };
    /// Whether this thread has told its runtime's table which worker it is.
    static NOTED: Cell<bool> = const { Cell::new(false) };
}

/// The thread id of each worker of one runtime, as far as known.
#[derive(Debug, Default)]
pub(crate) struct RuntimeThreads {
    workers: OnceLock<Box<[Worker]>>,
    /// Every thread the runtime started (when loopmon's hooks are on it).
    started: Mutex<Vec<u32>>,
    /// Set once the table is registered under its runtime's id.
    registered: OnceLock<Id>,
}

/// What is known of one worker's thread.
#[derive(Debug, Default)]
struct Worker {
    tid: AtomicU32,
    name: OnceLock<Option<String>>,
}

/// One table per runtime, while the runtime or a monitor of it holds it.
static ALL: PerRuntime<RuntimeThreads> = PerRuntime::new();

impl RuntimeThreads {
    /// The table of `runtime`. Takes a process-wide lock: not for a per-tick path.
    pub(crate) fn of(runtime: &Handle) -> Arc<RuntimeThreads> {
        ALL.of(runtime, || {
            let table = RuntimeThreads::default();
            let _ = table.registered.set(runtime.id());
            table
        })
    }

    /// The table registered first for `runtime`: the one its own hooks fill, if it has them.
    /// Takes a process-wide lock: for a stall, not a tick.
    pub(crate) fn find(runtime: &Handle) -> Option<Arc<RuntimeThreads>> {
        ALL.find(runtime)
    }

    /// Registers this table under `runtime`'s id, once, ahead of any other table of it.
    fn register(self: &Arc<Self>, runtime: &Handle) {
        if self.registered.set(runtime.id()).is_ok() {
            ALL.put_first(runtime.id(), self);
        }
    }

    /// Remembers, on this thread, the table of a runtime being built with loopmon's hooks: the
    /// entry point registers it under the runtime's id as soon as it runs inside it
    /// ([`adopt_built`]), before the worker threads may have started.
    pub(crate) fn built(self: &Arc<Self>) {
        BUILT.with(|built| *built.borrow_mut() = Some(self.clone()));
    }

    /// The `on_thread_start` hook: records the new thread.
    pub(crate) fn thread_started(self: &Arc<Self>) {
        if let Ok(runtime) = Handle::try_current() {
            self.register(&runtime);
        }
        if let Some(tid) = current_tid() {
            self.started
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(tid);
        }
    }

    /// The `on_thread_park` and `on_thread_unpark` hook: the first time a thread parks or wakes,
    /// it says which worker it is. An idle worker parks at once; a worker stuck from its first
    /// poll never does, and is the one left over.
    pub(crate) fn thread_parked_or_unparked(self: &Arc<Self>) {
        if NOTED.with(|n| n.replace(true)) {
            return;
        }
        if let Ok(runtime) = Handle::try_current() {
            self.register(&runtime);
            self.note_current_worker(&runtime);
        }
    }

    fn slots(&self, runtime: &Handle) -> &[Worker] {
        self.workers.get_or_init(|| {
            (0..runtime.metrics().num_workers())
                .map(|_| Worker::default())
                .collect()
        })
    }

    /// Records the calling thread as the worker it is, if it is one of `runtime`'s and not yet
    /// known. Cheap once known: no lock, no allocation.
    pub(crate) fn note_current_worker(&self, runtime: &Handle) {
        let Some(w) = tokio::runtime::worker_index() else {
            return;
        };
        let Some(slot) = self.slots(runtime).get(w) else {
            return;
        };
        // A worker's thread changes only under `block_in_place`, which hands the worker to a
        // new thread.
        if let Some(tid) = current_tid() {
            if slot.tid.load(Ordering::Relaxed) != tid {
                slot.name
                    .get_or_init(|| std::thread::current().name().map(String::from));
                slot.tid.store(tid, Ordering::Relaxed);
            }
        }
    }

    /// Worker `w`'s thread id (of `n` workers), if known: as the worker told, else, when it is
    /// the only worker that has not told, the only one of the runtime's first `n` threads (its
    /// workers) that no worker claimed.
    pub(crate) fn worker(&self, w: usize, n: usize) -> Option<u32> {
        let told = |w: usize| -> u32 {
            let workers = self.workers.get();
            workers
                .and_then(|all| all.get(w))
                .map_or(0, |o| o.tid.load(Ordering::Relaxed))
        };
        let tid = told(w);
        if tid != 0 {
            return Some(tid);
        }
        let silent = (0..n).filter(|&o| told(o) == 0).count();
        let mut started = self
            .started
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        started.sort_unstable();
        let mut unclaimed = started
            .get(..n)?
            .iter()
            .copied()
            .filter(|&tid| !(0..n).any(|o| told(o) == tid));
        match (silent, unclaimed.next(), unclaimed.next()) {
            (1, Some(tid), None) => Some(tid),
            _ => None,
        }
    }

    /// Worker `w`'s thread name, if known.
    pub(crate) fn name(&self, w: usize) -> Option<String> {
        self.workers.get()?.get(w)?.name.get()?.clone()
    }
}
