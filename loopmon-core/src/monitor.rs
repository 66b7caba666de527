//! [`Monitor`]: one monitor's shared state, and the samples flow's one dispatch point.
//!
//! probe → [`Monitor::tick`] → [`Sample`] → callbacks. Whatever consumes samples plugs in
//! here, never into the probe.

use crate::callback::Callback;
use crate::counters::Counters;
use crate::report::Reporter;
use crate::sample::{LagSource, Sample};
use crate::stalls::heartbeat::clock;
use crate::stalls::watch::Watch;
use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::runtime::Handle;
use tokio::task::AbortHandle;

thread_local! {
    /// Set while this thread runs a monitor's synchronous callbacks, so that `stop()` called
    /// from one of them does not wait for the dispatch it is part of.
    static IN_DISPATCH: Cell<bool> = const { Cell::new(false) };
}

/// The state one monitor shares between its probe(s), its handle and its deliveries.
pub(crate) struct Monitor {
    pub(crate) interval: Duration,
    pub(crate) runtime: Handle,
    pub(crate) counters: Arc<Counters>,
    /// Statistics, metrics, tracing, summary: fed with every sample.
    pub(crate) report: Reporter,
    callbacks: Box<[Arc<Callback>]>,
    /// Held while a sample is dispatched, so that `stop()` can wait for one in progress.
    dispatch: Mutex<()>,
    /// The largest lag (ns) the `block_on` probe measured since the last sample.
    block_on_lag: AtomicU64,
    /// The runtime probe's next deadline (ns, heartbeat clock); 0 before it is known.
    next_due: AtomicU64,
    /// The probe task, to end it promptly on `stop()`.
    probe: OnceLock<AbortHandle>,
    /// The stalls flow's state, when the stall watchdog is on.
    pub(crate) watch: OnceLock<Arc<Watch>>,
}

impl Monitor {
    pub(crate) fn new(
        interval: Duration,
        runtime: Handle,
        callbacks: Vec<Callback>,
        report: Reporter,
    ) -> Monitor {
        let counters = Arc::new(Counters::new(&runtime));
        Monitor {
            interval,
            runtime,
            counters,
            report,
            callbacks: callbacks.into_iter().map(Arc::new).collect(),
            dispatch: Mutex::new(()),
            block_on_lag: AtomicU64::new(0),
            next_due: AtomicU64::new(0),
            probe: OnceLock::new(),
            watch: OnceLock::new(),
        }
    }

    /// Spawns the async callbacks' tasks. Called once, when the monitor starts.
    pub(crate) fn start_callbacks(&self) {
        for callback in self.callbacks.iter() {
            callback.start(&self.runtime, &self.counters);
        }
    }

    /// Wakes the async callbacks' tasks so that they see the monitor stopped or finished.
    pub(crate) fn wake_callbacks(&self) {
        for callback in self.callbacks.iter() {
            callback.wake();
        }
    }

    /// Remembers the probe task; ends it at once if the monitor was stopped meanwhile.
    pub(crate) fn set_probe(&self, probe: AbortHandle) {
        let _ = self.probe.set(probe);
        if self.counters.is_stopped() {
            self.abort_probe();
        }
    }

    fn abort_probe(&self) {
        if let Some(probe) = self.probe.get() {
            probe.abort();
        }
    }

    /// Records a lag measured by the probe inside `block_on`; the next sample carries it.
    pub(crate) fn record_block_on_lag(&self, lag: Duration) {
        let ns = u64::try_from(lag.as_nanos()).unwrap_or(u64::MAX);
        self.block_on_lag.fetch_max(ns, Ordering::Relaxed);
    }

    /// Publishes the runtime probe's next deadline (one atomic store per tick).
    pub(crate) fn set_next_due(&self, due: Instant) {
        self.next_due
            .store(clock::nanos(due).max(1), Ordering::Relaxed);
    }

    /// Dispatches one last sample if the runtime probe is overdue or the body's lag is pending:
    /// what the probe would read if it ran now. The entry points call it before they stop the
    /// monitor, so that a stall right before the end is in the samples, the statistics and the
    /// summary alike.
    pub(crate) fn flush(&self) {
        if self.counters.is_stopped() || IN_DISPATCH.with(Cell::get) {
            return;
        }
        let due = self.next_due.load(Ordering::Relaxed);
        if due == 0 {
            return;
        }
        let lag = Instant::now().saturating_duration_since(clock::instant(due));
        if !lag.is_zero() || self.block_on_lag.load(Ordering::Relaxed) > 0 {
            self.tick(lag);
        }
    }

    /// The dispatch point: builds this interval's sample from the runtime probe's `lag` and
    /// delivers it. Allocates nothing unless an async callback is registered.
    pub(crate) fn tick(&self, lag: Duration) {
        let _dispatching = self.dispatch.lock().unwrap_or_else(|e| e.into_inner());
        if self.counters.is_stopped() {
            return;
        }
        let block_on = Duration::from_nanos(self.block_on_lag.swap(0, Ordering::Relaxed));
        let (lag, source) = if block_on > lag {
            (block_on, LagSource::BlockOn)
        } else {
            (lag, LagSource::Runtime)
        };
        // loopmon's own tasks, every monitor's on this runtime: probes and deliveries in flight.
        let own = self.counters.own_tasks();
        let tasks = self.runtime.metrics().num_alive_tasks().saturating_sub(own);
        let sample = Sample {
            lag,
            tasks,
            at: chrono::Utc::now(),
            source,
            tick: self.counters.next_tick(),
        };
        self.report.sample(&sample);
        IN_DISPATCH.with(|d| d.set(true));
        for callback in self.callbacks.iter() {
            if self.counters.is_stopped() {
                break;
            }
            callback.deliver(&sample, &self.counters);
        }
        IN_DISPATCH.with(|d| d.set(false));
    }

    /// Stops the monitor: no sample is dispatched and no callback starts once this returns.
    pub(crate) fn stop(&self) {
        if self.counters.is_stopped() {
            return;
        }
        if let Some(watch) = self.watch.get() {
            watch.last_look();
        }
        if self.counters.stop() {
            return;
        }
        self.abort_probe();
        self.wake_callbacks();
        // An async delivery that saw the monitor running may be starting: let it get past its
        // first poll, so that no callback body starts once `stop()` has returned.
        for callback in self.callbacks.iter() {
            callback.wait_for_start();
        }
        if let Some(watch) = self.watch.get() {
            watch.stop();
        }
        if !IN_DISPATCH.with(Cell::get) {
            // Wait for a dispatch in progress on another thread.
            drop(self.dispatch.lock().unwrap_or_else(|e| e.into_inner()));
        }
        self.report.ended(self);
    }

    /// Stops the monitor without waiting for callbacks running now on other threads: no new
    /// dispatch or stall delivery starts once this returns, but one in progress may finish after.
    pub(crate) fn stop_background(&self) {
        if self.counters.stop() {
            return;
        }
        self.abort_probe();
        // Let the async callbacks' tasks see the stop and end (without waiting for them).
        self.wake_callbacks();
        if let Some(watch) = self.watch.get() {
            watch.retire();
        }
        self.report.ended(self);
    }

    pub(crate) fn is_running(&self) -> bool {
        !self.counters.is_stopped() && !self.counters.is_finished()
    }
}

impl fmt::Debug for Monitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Monitor")
            .field("interval", &self.interval)
            .field("callbacks", &self.callbacks)
            .field("counters", &self.counters)
            .finish_non_exhaustive()
    }
}
