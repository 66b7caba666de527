//! [`Wait`]: loopmon's own clock, one OS thread per process that wakes the probes at their
//! deadlines, so that they are off tokio's timer.
//!
//! Why: a runtime with any timer registered arms a kernel timeout and consults its timer wheel
//! at every park of a worker. On a busy server, which parks for almost every request, that
//! costs some 3 % of its CPU (measured by `loopmon-bench`'s HTTP scenario, whose reference rows
//! show it for a timer that never fires), whatever the timer is for. A probe woken by another
//! thread costs a cross-thread wake-up per tick instead, and nothing per park. Under a paused
//! clock (`start_paused`, `tokio::time::pause()`), this is also what keeps loopmon from
//! advancing virtual time: the thread sleeps in real time (a probe on tokio's timer there made
//! the runtime advance its clock to the probe's every deadline: 142,517 ticks in 0.3 s of real
//! time, measured).
//!
//! The thread keeps one slot per waiting probe: its next deadline and its waker. It sleeps
//! until the earliest deadline (less [`EARLY`]), wakes the probes that are due, and moves their
//! deadlines one interval on, where their next wait will almost always put them again: a probe
//! that re-arms for that deadline (every tick, normally) neither wakes the thread nor takes a
//! lock it holds. A probe that moves its deadline earlier wakes the thread.
//!
//! The thread starts with the first slot and exits with the last; after `fork()`, the child's
//! first slot starts one there.

use crate::stalls::heartbeat::clock as ns;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

/// How far ahead of a deadline the thread wakes a probe: the OS's own wake-up slack (50 µs by
/// default on Linux) and the cross-thread wake-up, with room to spare. A probe woken early
/// reads a lag of 0; a late one its full lateness.
pub(crate) const EARLY: Duration = Duration::from_micros(500);

/// The thread's name.
pub(crate) const THREAD_NAME: &str = "loopmon-clock";

/// A deadline that is not armed.
const UNARMED: u64 = u64::MAX;

/// One waiting probe.
#[derive(Debug)]
struct Slot {
    /// When to wake it (ns, heartbeat clock), or [`UNARMED`].
    deadline: AtomicU64,
    /// Added to `deadline` when the thread wakes the probe: its next deadline, most likely.
    interval: u64,
    waker: Mutex<Option<Waker>>,
}

struct Registry {
    slots: Vec<Weak<Slot>>,
    thread: Option<Thread>,
    /// The process the thread runs in (see the module docs on `fork()`).
    pid: u32,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    slots: Vec::new(),
    thread: None,
    pid: 0,
});

/// When the thread will next wake by itself (ns), [`UNARMED`] if it sleeps until told.
static NEXT_WAKE: AtomicU64 = AtomicU64::new(UNARMED);

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A probe's waits on the clock thread. Dropping it frees its slot; the thread exits with the
/// last one.
#[derive(Debug)]
pub(crate) struct Wait {
    /// `None` only while it is dropped.
    slot: Option<Arc<Slot>>,
}

impl Wait {
    /// A slot for a probe that waits `interval` between deadlines; `None` if the OS refused a
    /// thread.
    pub(crate) fn new(interval: Duration) -> Option<Wait> {
        ns::init();
        let slot = Arc::new(Slot {
            deadline: AtomicU64::new(UNARMED),
            interval: u64::try_from(interval.as_nanos()).unwrap_or(u64::MAX),
            waker: Mutex::new(None),
        });
        let mut registry = registry();
        let pid = std::process::id();
        if registry.pid != pid {
            registry.pid = pid;
            registry.thread = None;
            registry.slots.clear();
        }
        registry.slots.retain(|s| s.strong_count() > 0);
        registry.slots.push(Arc::downgrade(&slot));
        if registry.thread.is_none() {
            let handle = thread::Builder::new()
                .name(THREAD_NAME.into())
                .spawn(run)
                .ok()?;
            registry.thread = Some(handle.thread().clone());
        }
        Some(Wait { slot: Some(slot) })
    }

    /// Ready once `deadline` is at most [`EARLY`] away, in real time.
    pub(crate) fn poll_until(&self, cx: &mut Context<'_>, deadline: Instant) -> Poll<()> {
        let Some(slot) = &self.slot else {
            return Poll::Ready(());
        };
        if Instant::now() + EARLY >= deadline {
            slot.deadline.store(UNARMED, Ordering::Relaxed);
            return Poll::Ready(());
        }
        {
            let mut waker = lock(&slot.waker);
            match &*waker {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => *waker = Some(cx.waker().clone()),
            }
        }
        let at = ns::nanos(deadline);
        // SeqCst here and in the thread: either it sees this deadline when it looks again, or
        // this sees the later wake-up it planned and wakes it.
        slot.deadline.store(at, Ordering::SeqCst);
        if at < NEXT_WAKE.load(Ordering::SeqCst) {
            if let Some(thread) = &registry().thread {
                thread.unpark();
            }
        }
        Poll::Pending
    }
}

impl Drop for Wait {
    fn drop(&mut self) {
        // The slot goes first: the thread, once woken, must find it gone (else it would sleep
        // on, with nobody left to wake it).
        drop(self.slot.take());
        let registry = registry();
        if let Some(thread) = &registry.thread {
            // Lets it notice the slot is gone, and exit if it was the last.
            thread.unpark();
        }
    }
}

/// The clock thread.
fn run() {
    let early = u64::try_from(EARLY.as_nanos()).unwrap_or(0);
    // The wakers of the probes due, woken once the registry is let go (waking a task of a
    // runtime that is shutting down may drop it, and with it a `Wait`, which takes the lock).
    // Kept between rounds, so that they allocate nothing.
    let mut due: Vec<Waker> = Vec::new();
    loop {
        let (next, unanswered) = {
            let mut registry = registry();
            registry.slots.retain(|s| s.strong_count() > 0);
            if registry.slots.is_empty() {
                registry.thread = None;
                NEXT_WAKE.store(UNARMED, Ordering::SeqCst);
                return;
            }
            let now = ns::nanos(Instant::now());
            let (next, unanswered) = fire(&registry.slots, now.saturating_add(early), &mut due);
            NEXT_WAKE.store(next, Ordering::SeqCst);
            // A probe may have armed an earlier deadline meanwhile, and read the old wake-up.
            (next.min(earliest(&registry.slots)), unanswered)
        };
        for waker in due.drain(..) {
            waker.wake();
        }
        if unanswered {
            // A probe has not run since its last wake-up, an interval ago: its thread may be
            // stuck. The watchdog looks, and prepares for a report if it is.
            crate::stalls::watchdog::nudge();
        }
        let now = ns::nanos(Instant::now());
        match next {
            UNARMED => thread::park(),
            next if next > now.saturating_add(early) => {
                thread::park_timeout(Duration::from_nanos(next - early - now));
            }
            _ => {}
        }
    }
}

/// Takes the wakers of the probes due by `by` (ns) into `due` and moves their deadlines one
/// interval on; returns the earliest deadline left, and whether a probe due had not run since
/// its last wake-up (its waker was not given back).
fn fire(slots: &[Weak<Slot>], by: u64, due: &mut Vec<Waker>) -> (u64, bool) {
    let mut next = UNARMED;
    let mut unanswered = false;
    for slot in slots.iter().filter_map(Weak::upgrade) {
        let deadline = slot.deadline.load(Ordering::SeqCst);
        if deadline == UNARMED {
            continue;
        }
        if deadline <= by {
            let waker = lock(&slot.waker).take();
            unanswered |= waker.is_none();
            due.extend(waker);
            let again = deadline.saturating_add(slot.interval);
            // Unless the probe armed another deadline meanwhile.
            let _ =
                slot.deadline
                    .compare_exchange(deadline, again, Ordering::SeqCst, Ordering::SeqCst);
        }
        next = next.min(slot.deadline.load(Ordering::SeqCst));
    }
    (next, unanswered)
}

/// The earliest armed deadline (ns).
fn earliest(slots: &[Weak<Slot>]) -> u64 {
    slots
        .iter()
        .filter_map(Weak::upgrade)
        .map(|s| s.deadline.load(Ordering::SeqCst))
        .min()
        .unwrap_or(UNARMED)
}
