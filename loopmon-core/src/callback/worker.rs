//! [`Worker`]: the one long-lived task that runs an async callback, sample after sample.
//!
//! Spawned once, when the monitor starts; each delivery then costs no allocation. The probe
//! leaves the sample in the worker's slot and wakes it through a [`Wakeup`]; the callback's
//! future lives inline in the task's own state (its type is known here, where the worker is
//! built from the user's function). While a delivery runs, the worker is busy and the probe skips
//! it. A panic is caught around the call and around every poll, and ends only that delivery.
//!
//! No delivery starts once `stop()` has returned: the task marks itself starting, then checks
//! that the monitor runs; `stop()` marks the monitor stopped, then waits while the task is
//! starting (its call and first poll), unless `stop()` is called from inside that very start.
//! Both sides are sequentially consistent, so at least one of them sees the other.

use super::Callback;
use crate::counters::Counters;
use crate::sample::Sample;
use crate::wakeup::Wakeup;
use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::runtime::Handle;

thread_local! {
    /// The worker whose delivery this thread is starting (its address), or 0.
    static STARTING_HERE: Cell<usize> = const { Cell::new(0) };
}

/// What the registry needs of a worker, whatever the callback's type.
pub(super) trait Deliver: Send + Sync + 'static {
    /// Spawns the worker's task onto `runtime`. Called once, when the monitor starts.
    fn spawn(self: Arc<Self>, callback: Arc<Callback>, counters: Arc<Counters>, runtime: &Handle);
    /// Hands `sample` to the worker and wakes it; `false` (and nothing done) while it is busy.
    fn offer(&self, sample: &Sample) -> bool;
    /// Wakes the worker so that it sees the monitor stopped or finished, and ends.
    fn wake(&self);
    /// Returns once no delivery is starting, except one starting on this thread.
    fn wait_for_start(&self);
}

/// An async callback `f` taking a [`Sample`], and the slot through which it gets one.
pub(super) struct Worker<F> {
    f: F,
    /// The sample of the delivery to come; written only while the worker is idle.
    slot: Mutex<Option<Sample>>,
    /// A delivery is pending or running.
    busy: AtomicBool,
    /// A delivery is starting: from the check that the monitor runs to the first poll's end.
    starting: AtomicBool,
    wakeup: Wakeup,
}

impl<F> Worker<F> {
    pub(super) fn new(f: F) -> Worker<F> {
        Worker {
            f,
            slot: Mutex::new(None),
            busy: AtomicBool::new(false),
            starting: AtomicBool::new(false),
            wakeup: Wakeup::default(),
        }
    }
}

impl<F, Fut> Deliver for Worker<F>
where
    F: Fn(Sample) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn spawn(self: Arc<Self>, callback: Arc<Callback>, counters: Arc<Counters>, runtime: &Handle) {
        // Counted before the spawn, so that no sample counts the task as the user's.
        let alive = Alive::new(counters);
        // Dropped unpolled if the runtime is shutting down: `Alive` still uncounts it.
        drop(runtime.spawn(run(self, callback, alive)));
    }

    fn offer(&self, sample: &Sample) -> bool {
        if self.busy.swap(true, Ordering::AcqRel) {
            return false;
        }
        *self.slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(*sample);
        self.wakeup.wake();
        true
    }

    fn wake(&self) {
        self.wakeup.wake();
    }

    fn wait_for_start(&self) {
        let me = self as *const Self as usize;
        if STARTING_HERE.with(Cell::get) == me {
            return;
        }
        let mut spins = 0u32;
        while self.starting.load(Ordering::SeqCst) {
            spins += 1;
            if spins < 64 {
                std::thread::yield_now();
            } else {
                std::thread::sleep(Duration::from_micros(50));
            }
        }
    }
}

/// The worker's task: waits for a sample, runs the callback on it to the end, and again.
async fn run<F, Fut>(worker: Arc<Worker<F>>, callback: Arc<Callback>, alive: Alive)
where
    F: Fn(Sample) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let counters = &alive.0;
    loop {
        if counters.is_stopped() || counters.is_finished() {
            return;
        }
        // A notification sent before this point is kept as a permit: none is lost.
        worker.wakeup.wait().await;
        // No callback body starts after `stop()` has returned (see the module docs).
        let starting = Starting::new(&worker);
        if counters.is_stopped() || counters.is_finished() {
            return;
        }
        let sample = worker.slot.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(sample) = sample {
            deliver(&worker, sample, &callback, counters, starting).await;
            worker.busy.store(false, Ordering::Release);
        }
    }
}

/// One delivery: calls `f` and polls its future to the end, containing a panic in either. The
/// delivery is `starting` until its first poll ends.
async fn deliver<F, Fut>(
    worker: &Worker<F>,
    sample: Sample,
    callback: &Callback,
    counters: &Counters,
    starting: Starting<'_>,
) where
    F: Fn(Sample) -> Fut,
    Fut: Future<Output = ()>,
{
    let future = match starting.here(|| callback.contain(|| (worker.f)(sample))) {
        Ok(future) => future,
        Err(payload) => return callback.report_panic(payload.as_ref(), counters),
    };
    let mut future = pin!(future);
    let mut starting = Some(starting);
    let outcome = poll_fn(|cx| {
        let mut poll = || callback.contain(|| future.as_mut().poll(cx));
        // The first poll runs as part of the start; the start ends with it (`start` dropped).
        let result = match starting.take() {
            Some(start) => start.here(poll),
            None => poll(),
        };
        match result {
            Ok(poll) => poll.map(Ok),
            Err(payload) => std::task::Poll::Ready(Err(payload)),
        }
    })
    .await;
    if let Err(payload) = outcome {
        callback.report_panic(payload.as_ref(), counters);
    }
}

/// A delivery starting: set from before the check that the monitor runs until it is dropped,
/// after the first poll (or on any way out, the task dropped included).
struct Starting<'a>(&'a AtomicBool, usize);

impl<'a> Starting<'a> {
    fn new<F>(worker: &'a Worker<F>) -> Starting<'a> {
        worker.starting.store(true, Ordering::SeqCst);
        Starting(&worker.starting, worker as *const Worker<F> as usize)
    }

    /// Runs `f` with this thread marked as starting this worker's delivery.
    fn here<R>(&self, f: impl FnOnce() -> R) -> R {
        let before = STARTING_HERE.with(|s| s.replace(self.1));
        let result = f();
        STARTING_HERE.with(|s| s.set(before));
        result
    }
}

impl Drop for Starting<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// Counts a worker task among the monitor's own while its future lives.
struct Alive(Arc<Counters>);

impl Alive {
    fn new(counters: Arc<Counters>) -> Alive {
        counters.task_spawned();
        Alive(counters)
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.task_ended();
    }
}
