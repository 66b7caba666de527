//! The stall watchdog: one OS thread per process, shared by every monitor that watches for
//! stalls.
//!
//! A monitor on the runtime itself can only report a stall once it is over; a thread outside the
//! runtime can report it while it lasts. The thread starts with the first watching monitor and
//! exits when the last one stops. It does not poll on a short period: each round, every
//! [`Watch`] says when a stall could next begin to matter (a probe's next run plus the
//! threshold, a worker's last change plus the threshold), and the thread sleeps until the
//! earliest of those moments, or until a monitor is added or removed. On an idle runtime that is
//! about one wake-up per threshold. Only while a stall is going on (or a probe is overdue) does it
//! look every threshold / 10 (between 1 and 10 ms), to notice promptly when it ends.
//!
//! The first stack of a process costs the parsing of the binaries' tables (tens of
//! milliseconds). So that the first stall report is not late by that much, a stall that looks
//! likely (a thread unresponsive for half the threshold: see [`suspect`]) makes the watchdog
//! parse them ahead, once per process. Processes that never come close to a stall never pay it.
//!
//! After `fork()`, the child has a copy of the registry but no watchdog thread: the first
//! monitor started in the child notices the new process id and starts one there.

use crate::stalls::watch::Watch;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

/// The watchdog thread's name.
pub(crate) const THREAD_NAME: &str = "loopmon-watchdog";

/// The name of the short-lived thread that parses the binaries' tables ahead of a stall.
pub(crate) const WARM_THREAD_NAME: &str = "loopmon-symbols";

/// The longest the watchdog sleeps with nothing to wait for.
const MAX_SLEEP: Duration = Duration::from_secs(3600);

struct Registry {
    watches: Vec<Arc<Watch>>,
    /// The watchdog thread, while it runs.
    thread: Option<Thread>,
    /// The process the thread runs in: after `fork()`, the child inherits this registry but not
    /// the thread.
    pid: u32,
    /// The OS refused a thread once: said so on stderr.
    spawn_failed: bool,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    watches: Vec::new(),
    thread: None,
    pid: 0,
    spawn_failed: false,
});

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts watching `watch`, starting the watchdog thread if needed.
pub(crate) fn register(watch: Arc<Watch>) {
    let mut registry = registry();
    let pid = std::process::id();
    if registry.pid != pid {
        // A child made by `fork()` (a pre-fork server): the parent's watchdog thread and the
        // threads of the parent's runtimes are not in this process. Forget them, without
        // dropping them (a runtime handle dropped here could wait for threads that do not
        // exist), and start afresh.
        registry.pid = pid;
        registry.thread = None;
        for parents in registry.watches.drain(..) {
            std::mem::forget(parents);
        }
    }
    registry.watches.push(watch);
    if let Some(thread) = &registry.thread {
        thread.unpark();
        return;
    }
    match thread::Builder::new().name(THREAD_NAME.into()).spawn(run) {
        Ok(handle) => registry.thread = Some(handle.thread().clone()),
        Err(e) => {
            registry.watches.clear();
            if !std::mem::replace(&mut registry.spawn_failed, true) {
                eprintln!("loopmon: cannot start the stall watchdog thread ({e}); stalls will not be reported");
            }
        }
    }
}

/// Whether the binaries' tables are parsed ahead: [`COLD`], [`WANTED`] or [`WARM`].
static TABLES: AtomicU8 = AtomicU8::new(COLD);
const COLD: u8 = 0;
const WANTED: u8 = 1;
const WARM: u8 = 2;

/// A stall looks likely: asks the watchdog to parse the binaries' tables now, so that the stack
/// in the stall's first report is not late by their parsing. Cheap and without waiting: one
/// atomic load once the tables are asked for; the first call wakes the watchdog (unless its
/// registry is busy, then a later call does).
pub(crate) fn suspect() {
    if !tables_cold() {
        return;
    }
    let Ok(registry) = REGISTRY.try_lock() else {
        return;
    };
    if let Some(thread) = &registry.thread {
        if TABLES
            .compare_exchange(COLD, WANTED, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            thread.unpark();
        }
    }
}

/// A probe has not answered its clock's last wake-up: wakes the watchdog, while the tables are
/// not parsed yet, so that it sees a stall coming (a probe overdue by half the threshold) on a
/// `current_thread` runtime, where no probe runs to tell it. Costs nothing while probes run.
pub(crate) fn nudge() {
    if !tables_cold() {
        return;
    }
    if let Ok(registry) = REGISTRY.try_lock() {
        if let Some(thread) = &registry.thread {
            thread.unpark();
        }
    }
}

/// Whether the tables are neither parsed nor asked for yet (one atomic load): the probes look
/// for a likely stall only until then.
pub(crate) fn tables_cold() -> bool {
    loopmon_inspect::READS_STACKS && TABLES.load(Ordering::Relaxed) == COLD
}

/// On the watchdog thread: has the tables parsed, if they were asked for, on a thread of their
/// own, so that the watchdog keeps watching meanwhile (the parsing takes about 30 ms in a
/// release build, 0.2 s in a debug build, more on a loaded machine: longer than some stalls).
/// If the OS refuses a thread, the first stack parses them, as without this.
fn warm_if_wanted() {
    if TABLES
        .compare_exchange(WANTED, WARM, Ordering::Relaxed, Ordering::Relaxed)
        .is_ok()
    {
        let _ = thread::Builder::new()
            .name(WARM_THREAD_NAME.into())
            .spawn(loopmon_inspect::warm);
    }
}

/// Stops watching `watch`; the watchdog exits if it was the last.
pub(crate) fn unregister(watch: &Watch) {
    let mut registry = registry();
    registry.watches.retain(|w| !std::ptr::eq(&**w, watch));
    if let Some(thread) = &registry.thread {
        thread.unpark();
    }
}

/// The watchdog thread.
fn run() {
    // Room for every monitor, so that the rounds allocate nothing.
    let mut watches = Vec::with_capacity(registry().watches.capacity());
    loop {
        {
            let mut registry = registry();
            registry.watches.retain(|w| !w.is_over());
            if registry.watches.is_empty() {
                registry.thread = None;
                return;
            }
            watches.extend(registry.watches.iter().cloned());
        }
        let now = Instant::now();
        let mut next = now + MAX_SLEEP;
        for watch in &watches {
            if let Some(at) = watch.check(now) {
                next = next.min(at);
            }
        }
        // Let go of monitors that may end meanwhile.
        watches.clear();
        warm_if_wanted();
        let now = Instant::now();
        if next > now {
            thread::park_timeout(next - now);
        }
    }
}
