//! [`Watch`]: one monitor's part in the stalls flow.
//!
//! heartbeats and worker samples → [`Watch::check`] (on the watchdog thread) → [`Stall`] →
//! stall callbacks, or the default reporter.
//!
//! What is watched:
//! - on `current_thread`, the runtime probe's [`Heartbeat`]: the one thread is stalled when the
//!   probe is overdue by more than the threshold (worker 0);
//! - on `multi_thread`, each worker by the stuck-worker rule ([`Workers`]); the runtime probe's
//!   heartbeat only tells the watchdog to look closer (sample every few milliseconds) while the
//!   probe is overdue, so a runtime saturated by healthy short polls is never reported;
//! - the heartbeat of each [`WatchBlockOn`](crate::WatchBlockOn) probe: the thread running
//!   `block_on` (`main`'s body), reported only while the runtime probe is on time, since that
//!   probe's timer is driven by the workers.

use crate::counters::Counters;
use crate::export;
use crate::monitor::Monitor;
use crate::stalls::heartbeat::{clock, Heartbeat};
use crate::stalls::hooks;
use crate::stalls::stall::{Stall, StallKind, StallTask};
use crate::stalls::threads::RuntimeThreads;
use crate::stalls::watchdog;
use crate::stalls::workers::Workers;
use loopmon_inspect::{self as inspect, ThreadSnapshot};
use std::cell::Cell;
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};
use tokio::runtime::Handle;

mod config;

pub(crate) use config::{OnStall, StallConfig};

thread_local! {
    /// Set while this thread runs stall callbacks, so that `stop()` called from one of them does
    /// not wait for the delivery it is part of.
    static IN_DELIVERY: Cell<bool> = const { Cell::new(false) };
}

/// The longest the watchdog waits to look again at a stall that a heartbeat will end.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// What a reported stall is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Subject {
    Probe,
    /// A `block_on` probe, by the address of its heartbeat.
    BlockOn(usize),
    Worker(usize),
}

/// A stall reported as started and not yet as ended.
#[derive(Debug)]
struct Ongoing {
    subject: Subject,
    /// Last seen responsive (ns): `Started` reports count from here.
    since: u64,
    /// The stall began in `earliest..=latest` (ns).
    earliest: u64,
    latest: u64,
    /// The busy time the stalled worker had published when the stall was seen; the time it
    /// publishes once back, minus this, is how long it was busy (the stall, within ~1 ms).
    busy: Option<Duration>,
    thread_name: Option<String>,
    thread_id: Option<u32>,
    worker: Option<usize>,
    task: Option<StallTask>,
    /// What the thread was doing when the stall was first reported.
    snapshot: Option<ThreadSnapshot>,
}

impl Ongoing {
    fn report(&self, kind: StallKind, elapsed: Duration) -> Stall {
        let mut stall = Stall::new(kind, elapsed);
        stall.thread_name.clone_from(&self.thread_name);
        stall.thread_id = self.thread_id;
        stall.snapshot.clone_from(&self.snapshot);
        stall.worker = self.worker;
        stall.task = self.task;
        stall
    }
}

/// One monitor's stall state, shared by its probes, its handle and the watchdog.
#[derive(Debug)]
pub(crate) struct Watch {
    threshold: Duration,
    interval: Duration,
    /// How often the watchdog looks while a stall is going on or suspected.
    fine: Duration,
    reporters: Box<[OnStall]>,
    runtime: Handle,
    multi_thread: bool,
    counters: Arc<Counters>,
    /// For the exports (metrics, tracing) and the task count; weak, as the monitor owns this.
    monitor: Weak<Monitor>,
    probe: Heartbeat,
    block_ons: Mutex<Vec<Arc<Heartbeat>>>,
    workers: Mutex<Workers>,
    /// The thread ids of the runtime's workers.
    threads: Arc<RuntimeThreads>,
    ongoing: Mutex<Vec<Ongoing>>,
    /// Held while stall callbacks run, so that `stop()` can wait for a delivery in progress.
    delivery: Mutex<()>,
    stalls: AtomicU64,
    done: AtomicBool,
}

/// When a probe that ran at `now` and has its next deadline at `next` should run next: one
/// interval after this run, since a probe that ran early (its timer is armed up to 2 ms ahead,
/// see `alarm`) will run about as early next time; never later than its deadline.
pub(crate) fn expected(now: Instant, next: Instant, interval: Duration) -> Instant {
    next.min(now + interval)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Watch {
    /// Called by the runtime probe each time it runs, at `now`, next due at `due`. Never waits.
    pub(crate) fn on_probe(&self, now: Instant, due: Instant) {
        let due = expected(now, due, self.interval);
        if !self.multi_thread {
            self.probe.beat_here(now, due);
            return;
        }
        self.probe.beat(now, due);
        if let Ok(mut workers) = self.workers.try_lock() {
            let now = clock::nanos(now);
            workers.sample(&self.runtime.metrics(), now);
            if watchdog::tables_cold() && self.looks_stuck(&workers, now) {
                watchdog::suspect();
            }
        }
        self.threads.note_current_worker(&self.runtime);
    }

    /// Whether a worker or the `block_on` thread has been unresponsive for half the threshold
    /// at `now` (ns): a stall is likely, and its report will want the binaries' tables parsed.
    fn looks_stuck(&self, workers: &Workers, now: u64) -> bool {
        let half = u64::try_from(self.threshold.as_nanos() / 2).unwrap_or(u64::MAX);
        let before = now.saturating_sub(half);
        workers.any_active_since(before)
            || self.block_ons.try_lock().is_ok_and(|hbs| {
                hbs.iter()
                    .any(|hb| hb.seen() != 0 && hb.due().saturating_add(half) < now)
            })
    }

    /// Called by the runtime probe once its sample is dispatched, at `now`: a synchronous
    /// callback that blocked ends its stall here. Never waits.
    pub(crate) fn after_dispatch(&self, now: Instant, due: Instant) {
        self.probe.beat(now, expected(now, due, self.interval));
    }

    /// A heartbeat for a new `block_on` probe, first due at `due`.
    pub(crate) fn add_block_on(&self, now: Instant, due: Instant) -> Arc<Heartbeat> {
        let hb = Arc::new(Heartbeat::unarmed(due));
        hb.beat_here(now, due);
        lock(&self.block_ons).push(hb.clone());
        hb
    }

    /// Stall reports delivered so far (started stalls).
    pub(crate) fn stalls(&self) -> u64 {
        self.stalls.load(Ordering::Relaxed)
    }

    pub(crate) fn threshold(&self) -> Duration {
        self.threshold
    }

    /// One last look before the monitor stops, so that a stall that ended just now (`main`'s
    /// body blocked, then returned) gets its end report rather than being left open. Skipped
    /// when called from a stall callback: that delivery is already in progress on this thread.
    pub(crate) fn last_look(&self) {
        if !IN_DELIVERY.with(Cell::get) {
            self.check(Instant::now());
        }
    }

    /// Stops watching: once this returns, no stall callback starts.
    pub(crate) fn stop(&self) {
        self.retire();
        if !IN_DELIVERY.with(Cell::get) {
            drop(lock(&self.delivery));
        }
    }

    /// Stops watching without waiting (the monitor's runtime is shutting down).
    pub(crate) fn retire(&self) {
        self.done.store(true, Ordering::Release);
        watchdog::unregister(self);
    }

    pub(crate) fn is_over(&self) -> bool {
        self.done.load(Ordering::Acquire)
            || self.counters.is_stopped()
            || self.counters.is_finished()
    }

    /// Looks at every probe and worker at `now`, reports what started or ended, and says when
    /// to look again (`None`: never, the monitor is over).
    pub(crate) fn check(&self, now: Instant) -> Option<Instant> {
        if self.is_over() {
            return None;
        }
        let now_ns = clock::nanos(now);
        let mut next = u64::MAX;
        let mut reports = Vec::new();
        let mut ongoing = lock(&self.ongoing);
        let mut look = Look {
            now: now_ns,
            threshold: u64::try_from(self.threshold.as_nanos()).unwrap_or(u64::MAX),
            fine: u64::try_from(self.fine.as_nanos()).unwrap_or(u64::MAX),
            next: &mut next,
            ongoing: &mut ongoing,
            reports: &mut reports,
        };
        let probe_overdue = if self.multi_thread {
            self.probe.is_overdue(look.now, look.threshold, look.next)
        } else {
            look.heartbeat(&self.probe, Subject::Probe, Some(0), true, self);
            false
        };
        {
            let mut block_ons = lock(&self.block_ons);
            block_ons.retain(|hb| {
                let subject = Subject::BlockOn(Arc::as_ptr(hb) as usize);
                if hb.is_retired() {
                    if let Some(i) = look.ongoing.iter().position(|o| o.subject == subject) {
                        match hb.resumed() {
                            Some(end) => look.ended(i, end..=end, None),
                            None => drop(look.ongoing.swap_remove(i)),
                        }
                    }
                    return false;
                }
                look.heartbeat(hb, subject, None, !probe_overdue, self);
                true
            });
        }
        if self.multi_thread {
            let mut workers = lock(&self.workers);
            workers.sample(&self.runtime.metrics(), now_ns);
            look.workers(&mut workers, self);
        }
        let again = self.look_again(probe_overdue, &ongoing, now_ns);
        drop(ongoing);
        self.deliver(&reports);
        let mut at = match next {
            u64::MAX => now + Duration::from_secs(3600),
            next => clock::instant(next),
        };
        if let Some(again) = again {
            at = at.min(now + again);
        }
        Some(at)
    }

    /// How soon to look again while a stall is going on or suspected (`None`: no hurry).
    ///
    /// A worker's stall ends when the watchdog sees its counters move, so the watchdog keeps
    /// looking every `fine` while one lasts (or while the runtime probe is overdue, to tell a
    /// stuck worker from a busy runtime). A probe's heartbeat records its own end, exactly,
    /// whenever the watchdog looks: for those alone it backs off, to a quarter of the stall's
    /// age, up to [`MAX_BACKOFF`], so that a runtime nobody drives for a while (a
    /// `current_thread` runtime between two `block_on` calls) costs a few wake-ups, not one
    /// every few milliseconds. The `Ended` report then arrives up to that much after the end,
    /// with the exact length.
    fn look_again(&self, probe_overdue: bool, ongoing: &[Ongoing], now: u64) -> Option<Duration> {
        let workers = ongoing
            .iter()
            .any(|o| matches!(o.subject, Subject::Worker(_)));
        if probe_overdue || workers {
            return Some(self.fine);
        }
        let youngest = ongoing.iter().map(|o| clock::between(o.since, now)).min()?;
        Some((youngest / 4).clamp(self.fine, MAX_BACKOFF.max(self.fine)))
    }

    fn deliver(&self, reports: &[Stall]) {
        if reports.is_empty() {
            return;
        }
        let _delivering = lock(&self.delivery);
        IN_DELIVERY.with(|d| d.set(true));
        for stall in reports {
            if self.is_over() {
                break;
            }
            if stall.kind == StallKind::Started {
                self.stalls.fetch_add(1, Ordering::Relaxed);
            }
            self.export(stall);
            for reporter in self.reporters.iter() {
                reporter.call(stall, &self.counters);
            }
        }
        IN_DELIVERY.with(|d| d.set(false));
    }

    /// Hands a report to the monitor's exports (metrics, `tracing`).
    fn export(&self, stall: &Stall) {
        let Some(monitor) = self.monitor.upgrade() else {
            return;
        };
        let own = self.counters.own_tasks();
        let tasks = self.runtime.metrics().num_alive_tasks().saturating_sub(own);
        let exported = export::Stall {
            elapsed: stall.elapsed,
            tasks: Some(tasks),
            thread: stall.thread_name.as_deref(),
            worker: stall.worker,
            spawned_at: stall.task.map(|t| t.spawned_at),
            snapshot: stall.snapshot.as_ref(),
        };
        match stall.kind {
            StallKind::Started => monitor.report.export.stall_started(&exported),
            _ => monitor.report.export.stall_ended(&exported),
        }
    }

    /// The busy time worker `w` has published so far, read now.
    fn busy(&self, w: usize) -> Option<Duration> {
        let metrics = self.runtime.metrics();
        (w < metrics.num_workers()).then(|| metrics.worker_total_busy_duration(w))
    }

    fn thread_name(&self, worker: usize) -> Option<String> {
        hooks::worker_name(&self.runtime, worker)
            .or_else(|| RuntimeThreads::find(&self.runtime).and_then(|t| t.name(worker)))
            .or_else(|| self.threads.name(worker))
    }
}

/// The length of `stall`, which ended in `ended` (ns): what the stalled worker's busy time grew
/// by while it was stalled, kept within what the samples allow (it began in
/// `earliest..=latest`); without busy time (the `block_on` thread, or not yet published), from
/// `since` to the end's last bound.
fn length(stall: &Ongoing, ended: RangeInclusive<u64>, busy: Option<Duration>) -> Duration {
    let longest = clock::between(stall.earliest, *ended.end());
    let shortest = clock::between(stall.latest, *ended.start()).min(longest);
    match (stall.busy, busy) {
        (Some(before), Some(after)) if after > before => (after - before).clamp(shortest, longest),
        _ => clock::between(stall.since, *ended.end()),
    }
}

/// One look of the watchdog at one monitor.
struct Look<'a> {
    now: u64,
    threshold: u64,
    fine: u64,
    next: &'a mut u64,
    ongoing: &'a mut Vec<Ongoing>,
    reports: &'a mut Vec<Stall>,
}

impl Look<'_> {
    fn wake_at(&mut self, at: u64) {
        *self.next = (*self.next).min(at);
    }

    /// Reports `stall` started. `still_stuck` tells whether the thread is still in that stall:
    /// the inspector asks it once the thread's state is read and once its stack is copied, and
    /// gives no snapshot if the thread left (the first look waits for the binaries' tables,
    /// and a snapshot taken after the stall would show whatever the thread did next). A stall
    /// that ends while its copied stack is being symbolized keeps its snapshot.
    fn started(&mut self, mut stall: Ongoing, still_stuck: &dyn Fn() -> bool) {
        // Look at the stuck thread while it is stuck (on the watchdog thread; the first look
        // parses the binaries' tables, later ones take a fraction of a millisecond).
        stall.snapshot = stall
            .thread_id
            .and_then(|tid| inspect::look_at(tid, still_stuck));
        let elapsed = clock::between(stall.since, self.now);
        self.reports.push(stall.report(StallKind::Started, elapsed));
        self.ongoing.push(stall);
    }

    /// Ends stall `index`, which ended in `ended` (ns), `busy` being what the stalled worker
    /// has published by now.
    fn ended(&mut self, index: usize, ended: RangeInclusive<u64>, busy: Option<Duration>) {
        let stall = self.ongoing.swap_remove(index);
        let elapsed = length(&stall, ended, busy);
        self.reports.push(stall.report(StallKind::Ended, elapsed));
    }

    /// A probe's heartbeat as the witness of the thread that runs it.
    fn heartbeat(
        &mut self,
        hb: &Heartbeat,
        subject: Subject,
        worker: Option<usize>,
        may_start: bool,
        watch: &Watch,
    ) {
        if let Some(i) = self.ongoing.iter().position(|o| o.subject == subject) {
            match hb.resumed() {
                // Ended: now watch for the next stall (this also says when to look again).
                Some(end) => self.ended(i, end..=end, worker.and_then(|w| watch.busy(w))),
                // Still going: the watchdog looks again soon anyway.
                None => return,
            }
        }
        let seen = hb.seen();
        if !hb.is_overdue(self.now, self.threshold, self.next) {
            if seen != 0 && hb.due().saturating_add(self.threshold / 2) < self.now {
                watchdog::suspect();
            }
            return;
        }
        if !may_start || !hb.flag(seen) {
            // Ambiguous for now, or it just beat: look again soon.
            self.wake_at(self.now.saturating_add(self.fine));
            return;
        }
        let since = hb.stuck_since(seen);
        self.started(
            Ongoing {
                subject,
                since,
                earliest: since,
                latest: hb.due().max(since),
                busy: worker.and_then(|w| watch.busy(w)),
                thread_name: hb.thread_name(),
                thread_id: hb.tid(),
                worker,
                task: worker.and_then(|w| hooks::culprit(&watch.runtime, w)),
                snapshot: None,
            },
            &|| hb.seen() == seen,
        );
    }

    /// Every worker of a `multi_thread` runtime, by the stuck-worker rule.
    fn workers(&mut self, workers: &mut Workers, watch: &Watch) {
        for w in 0..workers.len() {
            let subject = Subject::Worker(w);
            if let Some(i) = self.ongoing.iter().position(|o| o.subject == subject) {
                // The table noted when the worker's pair first changed, even if the watchdog
                // looks only later (held by a slow stall callback, or by the first parse of
                // the binary's tables in a debug build).
                if let Some(left) = workers.take_left(w) {
                    self.ended(i, left.between, Some(left.busy));
                }
                continue;
            }
            let Some(since) = workers.active_since(w) else {
                continue;
            };
            let deadline = since.saturating_add(self.threshold);
            if self.now <= deadline {
                if since.saturating_add(self.threshold / 2) <= self.now {
                    watchdog::suspect();
                }
                self.wake_at(deadline.saturating_add(1));
                continue;
            }
            workers.watch_stuck(w);
            self.started(
                Ongoing {
                    subject,
                    since,
                    earliest: workers.progress(w).unwrap_or(since),
                    latest: since,
                    busy: workers.busy(w),
                    thread_name: watch.thread_name(w),
                    thread_id: RuntimeThreads::find(&watch.runtime)
                        .and_then(|t| t.worker(w, workers.len()))
                        .or_else(|| watch.threads.worker(w, workers.len())),
                    worker: Some(w),
                    task: hooks::culprit(&watch.runtime, w),
                    snapshot: None,
                },
                &|| {
                    let metrics = watch.runtime.metrics();
                    let now = (
                        metrics.worker_park_unpark_count(w),
                        metrics.worker_total_busy_duration(w),
                    );
                    workers.pair(w) == Some(now)
                },
            );
        }
    }
}
