//! [`MonitorHandle`] and [`MonitorGuard`]: control a running monitor and read its counters.

use crate::block_on::WatchBlockOn;
use crate::monitor::Monitor;
use crate::stats::LagStats;
use crate::summary::Summary;
use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

/// Controls a running monitor. Cheap to clone; every clone controls the same monitor.
///
/// **Dropping a handle does not stop the monitor**, just as dropping a tokio `JoinHandle` does
/// not cancel its task: the monitor runs until [`stop`](Self::stop) or until its runtime shuts
/// down. Use [`guard`](Self::guard) for a value that stops the monitor when dropped.
#[derive(Clone)]
pub struct MonitorHandle {
    monitor: Arc<Monitor>,
}

impl MonitorHandle {
    pub(crate) fn new(monitor: Arc<Monitor>) -> MonitorHandle {
        MonitorHandle { monitor }
    }

    /// The monitor itself, for the entry points.
    pub(crate) fn monitor(&self) -> &Arc<Monitor> {
        &self.monitor
    }

    /// Stops the monitor. Once this returns, no sample is taken and no callback starts; async
    /// deliveries already running go on to their end. To keep that promise it may wait, on
    /// another thread, for an async delivery that is starting (the callback's call and the first
    /// poll of its future) to get past that first poll. Idempotent; callable from any thread and
    /// from within a callback.
    ///
    /// **It may wait**: if a synchronous callback (or a stall callback) is running on another
    /// thread, `stop` waits for it to return, so that none runs after. Holding a lock that such a
    /// callback takes while calling `stop` deadlocks; in that position, use
    /// [`stop_background`](Self::stop_background).
    pub fn stop(&self) {
        self.monitor.stop();
    }

    /// Stops the monitor without waiting, like tokio's `Runtime::shutdown_background`: no new
    /// sample is taken and no callback starts after this returns, but a synchronous or stall
    /// callback already running on another thread may still be running, and returns on its
    /// own. Idempotent.
    ///
    /// ```
    /// # #[tokio::main(flavor = "multi_thread")]
    /// # async fn main() {
    /// use std::sync::{Arc, Mutex};
    /// let state = Arc::new(Mutex::new(0u64));
    /// let seen = state.clone();
    /// let monitor = loopmon::SleepMonitor::builder()
    ///     .callback(move |_: &loopmon::Sample| *seen.lock().unwrap() += 1)
    ///     .build()
    ///     .unwrap()
    ///     .start();
    /// let held = state.lock().unwrap(); // a callback may be waiting for this lock right now
    /// monitor.stop_background(); // returns at once; `stop()` could wait forever here
    /// drop(held);
    /// # }
    /// ```
    pub fn stop_background(&self) {
        self.monitor.stop_background();
    }

    /// `true` until [`stop`](Self::stop) is called or the runtime shuts down.
    pub fn is_running(&self) -> bool {
        self.monitor.is_running()
    }

    /// The interval between samples.
    pub fn interval(&self) -> Duration {
        self.monitor.interval
    }

    /// Samples taken so far.
    pub fn ticks(&self) -> u64 {
        self.monitor.counters.ticks()
    }

    /// Async deliveries skipped because the callback was still busy with an earlier sample.
    pub fn skipped(&self) -> u64 {
        self.monitor.counters.skipped()
    }

    /// Stalls reported so far by the stall watchdog (each counted once, when it starts).
    pub fn stalls(&self) -> u64 {
        self.monitor.watch.get().map_or(0, |w| w.stalls())
    }

    /// The stall threshold, or `None` if the stall watchdog is off.
    pub fn stall_threshold(&self) -> Option<Duration> {
        self.monitor.watch.get().map(|w| w.threshold())
    }

    /// Callback panics contained so far (sample and stall callbacks).
    pub fn panics(&self) -> u64 {
        self.monitor.counters.panics()
    }

    /// Lag statistics of every sample since the monitor started. Never disturbs the probe:
    /// see [`LagStats`] for what it holds.
    pub fn stats(&self) -> LagStats {
        self.monitor.report.stats.since_start()
    }

    /// Lag statistics of every sample since the last `take_stats` (or since the start), and
    /// starts a new window: for periodic reports. Each sample lands in exactly one window, even
    /// one taken while the probe records; [`stats`](Self::stats) is unaffected.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let monitor = loopmon::SleepMonitor::builder()
    ///     .interval(Duration::from_millis(5))
    ///     .build()
    ///     .unwrap()
    ///     .start();
    /// tokio::time::sleep(Duration::from_millis(30)).await;
    /// let first = monitor.take_stats();
    /// tokio::time::sleep(Duration::from_millis(30)).await;
    /// let second = monitor.take_stats();
    /// monitor.stop();
    /// assert!(first.count() >= 2 && second.count() >= 2);
    /// assert_eq!(first.count() + second.count() + monitor.take_stats().count(), monitor.ticks());
    /// assert_eq!(monitor.stats().count(), monitor.ticks());
    /// # }
    /// ```
    pub fn take_stats(&self) -> LagStats {
        self.monitor.report.stats.take()
    }

    /// The monitor's figures since it started, in one block that [`Display`](fmt::Display)s
    /// for people: see [`Summary`]. To have it printed when the monitor ends, see
    /// [`Builder::summary_on_stop`](crate::Builder::summary_on_stop).
    pub fn summary(&self) -> Summary {
        Summary::new(&self.monitor)
    }

    /// Wraps a future that will be driven by `block_on` with a second probe, so that a
    /// blocking call inside the future itself is seen.
    ///
    /// On a `multi_thread` runtime, `block_on` polls its future on the calling thread, not on a
    /// worker, so the monitor's probe (a task on the workers) cannot see the future block. The
    /// wrapped future carries its own probe; its lag reaches the callbacks with the next sample,
    /// marked [`LagSource::BlockOn`](crate::LagSource::BlockOn). On a `current_thread` runtime
    /// the future is returned with no second probe: there the runtime probe sees it already.
    /// `#[loopmon::main]` does this for `main`'s body.
    ///
    /// ```
    /// use loopmon::{LagSource, Sample, SleepMonitor};
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    ///
    /// let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let log = seen.clone();
    /// let handle = SleepMonitor::builder()
    ///     .interval(Duration::from_millis(20))
    ///     .callback(move |s: &Sample| log.lock().unwrap().push((s.lag, s.source)))
    ///     .build()
    ///     .unwrap()
    ///     .install(rt.handle());
    /// rt.block_on(handle.watch_block_on(async {
    ///     std::thread::sleep(Duration::from_millis(200)); // blocks the main thread
    ///     tokio::time::sleep(Duration::from_millis(60)).await;
    /// }));
    /// let worst = seen.lock().unwrap().iter().copied().max_by_key(|s| s.0).unwrap();
    /// assert!(worst.0 >= Duration::from_millis(150));
    /// assert_eq!(worst.1, LagSource::BlockOn);
    /// ```
    pub fn watch_block_on<F: Future>(&self, future: F) -> WatchBlockOn<F> {
        WatchBlockOn::new(self.monitor.clone(), future)
    }

    /// Turns this handle into a guard that stops the monitor when dropped.
    pub fn guard(self) -> MonitorGuard {
        MonitorGuard { handle: self }
    }
}

impl fmt::Debug for MonitorHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MonitorHandle")
            .field("interval", &self.interval())
            .field("running", &self.is_running())
            .field("ticks", &self.ticks())
            .field("skipped", &self.skipped())
            .field("stalls", &self.stalls())
            .field("panics", &self.panics())
            .finish()
    }
}

/// Stops its monitor when dropped. Derefs to the [`MonitorHandle`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let guard = loopmon::SleepMonitor::builder().build().unwrap().start().guard();
/// let handle = guard.clone(); // a plain handle to the same monitor
/// drop(guard);
/// assert!(!handle.is_running());
/// # }
/// ```
#[derive(Debug)]
#[must_use = "dropping the guard stops the monitor at once"]
pub struct MonitorGuard {
    handle: MonitorHandle,
}

impl Deref for MonitorGuard {
    type Target = MonitorHandle;

    fn deref(&self) -> &MonitorHandle {
        &self.handle
    }
}

/// Dropping the guard calls [`stop`](MonitorHandle::stop), which waits for a synchronous or
/// stall callback running on another thread; call
/// [`stop_background`](MonitorHandle::stop_background) first where that could deadlock.
impl Drop for MonitorGuard {
    fn drop(&mut self) {
        self.handle.stop();
    }
}
