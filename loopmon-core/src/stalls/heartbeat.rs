//! [`Heartbeat`]: what a probe publishes for the stall watchdog.
//!
//! Each time a probe runs it records when it ran ("last seen responsive") and when it expects to
//! run next. The watchdog, on another OS thread, calls the probe *overdue* once
//! `now > next + threshold`: judging by the expected next run rather than by the last one, a
//! probe whose interval is longer than the threshold is never taken for stalled.
//!
//! Publishing is a few atomic stores: no allocation, and no lock except, when the probe moves
//! to another thread, an uncontended one to remember which thread runs it.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// Instants as nanoseconds since a process-wide origin, so that they fit in an `AtomicU64`.
pub(crate) mod clock {
    use super::*;

    fn origin() -> Instant {
        static ORIGIN: OnceLock<Instant> = OnceLock::new();
        *ORIGIN.get_or_init(Instant::now)
    }

    /// Fixes the origin; call before converting instants that may be older than the first call.
    pub(crate) fn init() {
        origin();
    }

    /// `at` in nanoseconds since the origin (0 for instants before it).
    pub(crate) fn nanos(at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(origin()).as_nanos()).unwrap_or(u64::MAX)
    }

    /// The instant `nanos` nanoseconds after the origin.
    pub(crate) fn instant(nanos: u64) -> Instant {
        origin() + Duration::from_nanos(nanos)
    }

    /// The duration from `from` to `to`, both in nanoseconds since the origin.
    pub(crate) fn between(from: u64, to: u64) -> Duration {
        Duration::from_nanos(to.saturating_sub(from))
    }
}

/// The last moment a probe ran and the moment it should run next.
#[derive(Debug)]
pub(crate) struct Heartbeat {
    /// When the probe last ran (ns, [`clock`]).
    seen: AtomicU64,
    /// When the probe should run next (ns): it is overdue once `now > due + threshold`.
    due: AtomicU64,
    /// Set by the watchdog when it reports a stall; the next beat clears it and records
    /// `resumed`.
    flagged: AtomicBool,
    /// When the probe first ran after a flagged stall (ns); 0 if not since the flag was set.
    resumed: AtomicU64,
    /// The probe will not beat again (its future was dropped).
    retired: AtomicBool,
    /// The thread that last ran the probe, and its token.
    thread: Mutex<Option<Thread>>,
    thread_token: AtomicU64,
    /// That thread's Linux thread id; 0 if unknown.
    tid: AtomicU32,
    /// When the future the probe shares its thread with (`main`'s body) began its current
    /// poll (ns); 0 between polls. Only `block_on` probes set it.
    polling_since: AtomicU64,
}

thread_local! {
    /// A small id for the current thread, cheaper to read than `thread::current().id()`.
    static TOKEN: Cell<u64> = const { Cell::new(0) };
}

fn thread_token() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    TOKEN.with(|t| {
        if t.get() == 0 {
            t.set(NEXT.fetch_add(1, Ordering::Relaxed));
        }
        t.get()
    })
}

impl Heartbeat {
    /// A heartbeat that has not beaten yet and is first due at `due`. The watchdog ignores it
    /// until its first beat: a runtime that nobody drives yet is not stalled.
    pub(crate) fn unarmed(due: Instant) -> Heartbeat {
        clock::init();
        Heartbeat {
            seen: AtomicU64::new(0),
            due: AtomicU64::new(clock::nanos(due)),
            flagged: AtomicBool::new(false),
            resumed: AtomicU64::new(0),
            retired: AtomicBool::new(false),
            thread: Mutex::new(None),
            thread_token: AtomicU64::new(0),
            tid: AtomicU32::new(0),
            polling_since: AtomicU64::new(0),
        }
    }

    /// Publishes that the probe ran at `now` and will run next at `due`.
    pub(crate) fn beat(&self, now: Instant, due: Instant) {
        let now = clock::nanos(now).max(1);
        self.due.store(clock::nanos(due), Ordering::Release);
        // SeqCst on `seen` and `flagged`, here and in `flag`: each side stores one and then
        // loads the other, so at least one of them sees the other's store.
        self.seen.store(now, Ordering::SeqCst);
        if self.flagged.load(Ordering::SeqCst) && self.flagged.swap(false, Ordering::AcqRel) {
            self.resumed.store(now, Ordering::Release);
        }
    }

    /// Like [`beat`](Self::beat), and remembers the name of the calling thread.
    pub(crate) fn beat_here(&self, now: Instant, due: Instant) {
        let token = thread_token();
        if self.thread_token.swap(token, Ordering::Relaxed) != token {
            *self.thread.lock().unwrap_or_else(|e| e.into_inner()) = Some(std::thread::current());
            let tid = loopmon_inspect::current_tid().unwrap_or(0);
            self.tid.store(tid, Ordering::Relaxed);
        }
        self.beat(now, due);
    }

    /// The future sharing the probe's thread begins a poll at `now`: a stall that follows began
    /// there, not at the probe's last run.
    pub(crate) fn poll_started(&self, now: Instant) {
        self.polling_since
            .store(clock::nanos(now).max(1), Ordering::Release);
    }

    /// That poll ended at `now`: the thread is responsive again, which ends a flagged stall
    /// here (exactly) rather than at the probe's next run.
    pub(crate) fn poll_ended(&self, now: Instant) {
        self.polling_since.store(0, Ordering::Release);
        if self.flagged.load(Ordering::SeqCst) {
            self.beat(now, clock::instant(self.due()));
        }
    }

    /// When the thread became unresponsive, as far as known (ns): the start of the poll in
    /// progress if later than the probe's last run, else that run.
    pub(crate) fn stuck_since(&self, seen: u64) -> u64 {
        seen.max(self.polling_since.load(Ordering::Acquire))
    }

    /// When the probe last ran (ns).
    pub(crate) fn seen(&self) -> u64 {
        self.seen.load(Ordering::Acquire)
    }

    /// When the probe should run next (ns).
    pub(crate) fn due(&self) -> u64 {
        self.due.load(Ordering::Acquire)
    }

    /// Whether the probe is overdue at `now` by more than `threshold` (all in ns). If not,
    /// lowers `next` to the moment it would be.
    pub(crate) fn is_overdue(&self, now: u64, threshold: u64, next: &mut u64) -> bool {
        let deadline = self.due().saturating_add(threshold);
        if self.seen() == 0 {
            // Not armed yet: look again later.
            let again = if now < deadline {
                deadline
            } else {
                now.saturating_add(threshold)
            };
            *next = (*next).min(again);
            return false;
        }
        if now > deadline {
            return true;
        }
        *next = (*next).min(deadline.saturating_add(1));
        false
    }

    /// The Linux thread id of the thread that last ran the probe, if known.
    pub(crate) fn tid(&self) -> Option<u32> {
        match self.tid.load(Ordering::Relaxed) {
            0 => None,
            tid => Some(tid),
        }
    }

    /// The name of the thread that last ran the probe, if it has one.
    pub(crate) fn thread_name(&self) -> Option<String> {
        let thread = self.thread.lock().unwrap_or_else(|e| e.into_inner());
        thread.as_ref()?.name().map(String::from)
    }

    /// Marks a stall that began after the beat at `seen`. `false` if the probe beat meanwhile:
    /// then there is no stall to report.
    pub(crate) fn flag(&self, seen: u64) -> bool {
        self.resumed.store(0, Ordering::Release);
        self.flagged.store(true, Ordering::SeqCst);
        if self.seen.load(Ordering::SeqCst) == seen {
            return true;
        }
        self.flagged.store(false, Ordering::Release);
        self.resumed.store(0, Ordering::Release);
        false
    }

    /// When the probe first ran after the flagged stall (ns), once it has.
    pub(crate) fn resumed(&self) -> Option<u64> {
        match self.resumed.load(Ordering::Acquire) {
            0 => None,
            at => Some(at),
        }
    }

    /// The probe will not beat again.
    pub(crate) fn retire(&self) {
        self.retired.store(true, Ordering::Release);
    }

    pub(crate) fn is_retired(&self) -> bool {
        self.retired.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A start instant safely after the clock's origin: an instant before it would read as 0,
    /// which depends on whether another test fixed the origin first.
    fn start() -> Instant {
        clock::init();
        Instant::now() + Duration::from_millis(1)
    }

    #[test]
    fn a_flagged_stall_ends_at_the_next_beat() {
        let t0 = start();
        let ms = Duration::from_millis;
        let hb = Heartbeat::unarmed(t0);
        hb.beat(t0, t0 + ms(10));
        let seen = hb.seen();
        assert_eq!(clock::between(seen, hb.due()), ms(10));
        assert!(hb.flag(seen));
        assert_eq!(hb.resumed(), None);
        hb.beat(t0 + ms(300), t0 + ms(310));
        assert_eq!(
            clock::between(seen, hb.resumed().unwrap()),
            ms(300),
            "the first beat after the stall marks its end"
        );
        hb.beat(t0 + ms(310), t0 + ms(320));
        assert_eq!(clock::between(seen, hb.resumed().unwrap()), ms(300));
    }

    #[test]
    fn overdue_means_late_for_the_next_run_by_the_threshold() {
        let t0 = start();
        let ms = |n: u64| Duration::from_millis(n);
        let ns = |n: u64| n * 1_000_000;
        // A 1 s interval and a 100 ms threshold: not overdue 500 ms after the last beat.
        let hb = Heartbeat::unarmed(t0 + ms(1000));
        let mut next = u64::MAX;
        let at = clock::nanos(t0);
        assert!(!hb.is_overdue(at + ns(1200), ns(100), &mut next), "unarmed");
        hb.beat(t0, t0 + ms(1000));
        next = u64::MAX;
        assert!(!hb.is_overdue(at + ns(500), ns(100), &mut next));
        assert_eq!(next, at + ns(1100) + 1);
        assert!(hb.is_overdue(at + ns(1101), ns(100), &mut next));
    }

    #[test]
    fn a_beat_racing_the_flag_cancels_it() {
        let t0 = start();
        let hb = Heartbeat::unarmed(t0);
        hb.beat(t0, t0);
        let stale = hb.seen();
        hb.beat(t0 + Duration::from_millis(1), t0 + Duration::from_millis(2));
        assert!(!hb.flag(stale));
        assert_eq!(hb.resumed(), None);
    }

    #[test]
    fn the_beating_thread_is_named() {
        let t0 = start();
        let hb = Heartbeat::unarmed(t0);
        std::thread::Builder::new()
            .name("beater".into())
            .spawn({
                let hb = std::sync::Arc::new(hb);
                move || {
                    hb.beat_here(Instant::now(), Instant::now());
                    assert_eq!(hb.thread_name().as_deref(), Some("beater"));
                }
            })
            .unwrap()
            .join()
            .unwrap();
    }
}
