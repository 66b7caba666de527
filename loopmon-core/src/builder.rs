//! [`SleepMonitor`] and its [`Builder`]: configure a monitor, then start it on a runtime.

use crate::alarm::Alarm;
use crate::callback::{Callback, IntoCallback};
use crate::error::Error;
use crate::handle::MonitorHandle;
use crate::monitor::Monitor;
use crate::probe;
use crate::report::{self, Reporter};
use crate::schedule::Schedule;
use crate::stalls::stall::Stall;
use crate::stalls::watch::{OnStall, StallConfig};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::runtime::Handle;

/// The interval used when none is given: 100 ms, as in the Python original.
pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(100);

/// A configured monitor, not yet running: the Python original's `SleepEventLoopMonitor`.
///
/// Each interval its probe asks tokio to run it at a deadline and measures how late it ran
/// (the lag), counts the runtime's alive tasks, and delivers a [`Sample`](crate::Sample) to every
/// callback.
///
/// ```
/// use loopmon::{Sample, SleepMonitor};
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), loopmon::Error> {
/// let handle = SleepMonitor::builder()
///     .interval(Duration::from_millis(10))
///     .callback(|s: &Sample| println!("lag {:?}, {} tasks", s.lag, s.tasks))
///     .build()?
///     .start();
/// tokio::time::sleep(Duration::from_millis(50)).await;
/// assert!(handle.ticks() >= 2);
/// handle.stop();
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct SleepMonitor {
    interval: Duration,
    callbacks: Vec<Callback>,
    stalls: StallConfig,
    report: report::Settings,
}

impl SleepMonitor {
    /// A builder with the [`DEFAULT_INTERVAL`] and no callback.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// The interval between samples.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// The stall threshold, or `None` if the stall watchdog is off.
    pub fn stall_threshold(&self) -> Option<Duration> {
        self.stalls.enabled.then_some(self.stalls.threshold)
    }

    /// Starts monitoring the runtime this is called from.
    ///
    /// # Panics
    ///
    /// Outside the context of a tokio runtime (use [`install`](Self::install) from there), and
    /// when the interval is under 10 ms and the runtime has no timer (`enable_time`), with
    /// tokio's message (from 10 ms on, the probe does not use tokio's timer).
    #[track_caller]
    pub fn start(self) -> MonitorHandle {
        match Handle::try_current() {
            Ok(runtime) => self.install(&runtime),
            Err(_) => panic!(
                "`SleepMonitor::start` must be called from the context of a Tokio 1.x runtime; \
                 from outside one, use `SleepMonitor::install(&handle)`"
            ),
        }
    }

    /// Starts monitoring the runtime of `runtime`, from any thread, including one outside every
    /// runtime. The runtime may be idle: the probe is spawned onto it and wakes it.
    ///
    /// ```
    /// use loopmon::SleepMonitor;
    /// use std::time::Duration;
    ///
    /// let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    /// let handle = SleepMonitor::builder()
    ///     .interval(Duration::from_millis(5))
    ///     .build()
    ///     .unwrap()
    ///     .install(rt.handle());
    /// std::thread::sleep(Duration::from_millis(50));
    /// assert!(handle.ticks() >= 2);
    /// ```
    ///
    /// # Panics
    ///
    /// When the interval is under 10 ms and the runtime has no timer (`enable_time`), with
    /// tokio's message (from 10 ms on, the probe does not use tokio's timer).
    #[track_caller]
    pub fn install(self, runtime: &Handle) -> MonitorHandle {
        let _context = runtime.enter();
        let schedule = Schedule::new(Instant::now(), self.interval);
        let alarm = Alarm::for_current_runtime(&schedule, self.interval);
        let monitor = Arc::new(Monitor::new(
            self.interval,
            runtime.clone(),
            self.callbacks,
            Reporter::new(self.report, self.stalls.enabled),
        ));
        let due = schedule.next();
        if let Some(watch) = self.stalls.start(self.interval, runtime, &monitor, due) {
            let _ = monitor.watch.set(watch);
        }
        monitor.start_callbacks();
        let task = runtime.spawn(probe::run(monitor.clone(), alarm, schedule));
        monitor.set_probe(task.abort_handle());
        MonitorHandle::new(monitor)
    }
}

/// Builds a [`SleepMonitor`]: `SleepMonitor::builder().interval(..).callback(..).build()`.
#[derive(Debug)]
pub struct Builder {
    interval: Duration,
    callbacks: Vec<Callback>,
    stalls: StallConfig,
    /// Set by the reporting methods (in `report.rs`).
    pub(crate) report: report::Settings,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            interval: DEFAULT_INTERVAL,
            callbacks: Vec::new(),
            stalls: StallConfig::default(),
            report: report::Settings::default(),
        }
    }
}

impl Builder {
    /// How often to sample (default [`DEFAULT_INTERVAL`]); between 1 ms and one day.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Adds a callback; may be called any number of times. Any form in
    /// [`callback`](crate::callback) is accepted.
    pub fn callback<F, Form>(mut self, callback: F) -> Self
    where
        F: IntoCallback<Form>,
    {
        self.callbacks.push(callback.into_callback());
        self
    }

    /// How long a runtime thread may go without coming back to the scheduler before the stall
    /// watchdog reports it (default
    /// [`DEFAULT_STALL_THRESHOLD`](crate::DEFAULT_STALL_THRESHOLD)); between 1 ms and one day.
    ///
    /// A stall is first reported between `threshold` and `threshold + interval` after it
    /// began; one shorter than `threshold + interval` may show only as lag in the samples (on a
    /// thread watched by a probe, it is a stall once the probe is overdue by the threshold).
    /// See [`Stall`].
    pub fn stall_threshold(mut self, threshold: Duration) -> Self {
        self.stalls.threshold = threshold;
        self.stalls.threshold_set = true;
        self
    }

    /// Adds a stall callback; may be called any number of times. Each one gets every [`Stall`]
    /// report: once when a stall passes the threshold, while it still lasts, and once when it
    /// ends. With none, reports go to [`report_to_stderr`](crate::report_to_stderr), or, with
    /// the `tracing` feature, to `tracing` (`WARN` events, which it gets in any case) while a
    /// subscriber records them, and to stderr when none would: reports are never lost.
    ///
    /// Stall callbacks run on the watchdog thread, one after the other: keep them quick (a slow
    /// one delays the next report of every monitor). One that panics is contained and counted
    /// ([`MonitorHandle::panics`]); its first panic is printed, later ones are not (see
    /// [`callback`](crate::callback) for how).
    pub fn on_stall<F>(mut self, callback: F) -> Self
    where
        F: Fn(&Stall) + Send + Sync + 'static,
    {
        self.stalls.on_stall.push(OnStall::new(callback));
        self
    }

    /// Adds a stall callback of loopmon's own (the test guard): unlike
    /// [`on_stall`](Self::on_stall), it leaves the default reporter on. With `threshold`, it
    /// also lowers the stall threshold to that, unless the user set one.
    pub(crate) fn observe_stalls<F>(mut self, threshold: Duration, callback: F) -> Self
    where
        F: Fn(&Stall) + Send + Sync + 'static,
    {
        if !self.stalls.threshold_set {
            self.stalls.threshold = self
                .stalls
                .threshold
                .min(threshold.max(crate::MIN_INTERVAL));
        }
        self.stalls.observers.push(OnStall::new(callback));
        self
    }

    /// Turns the stall watchdog on (the default) or off. Off, stalls show only in the samples'
    /// lag, after they end.
    pub fn stall_watchdog(mut self, on: bool) -> Self {
        self.stalls.enabled = on;
        self
    }

    /// Checks the configuration.
    ///
    /// # Errors
    ///
    /// [`Error::ZeroInterval`], [`Error::IntervalTooShort`] or [`Error::IntervalTooLong`] for
    /// the interval; [`Error::StallThresholdTooShort`] or [`Error::StallThresholdTooLong`] for
    /// the stall threshold.
    pub fn build(self) -> Result<SleepMonitor, Error> {
        self.stalls.check()?;
        Ok(SleepMonitor {
            interval: Error::check_interval(self.interval)?,
            callbacks: self.callbacks,
            stalls: self.stalls,
            report: self.report,
        })
    }
}

/// Starts a monitor on the current runtime: the Python original's `create`.
///
/// ```
/// use chrono::{DateTime, Utc};
/// use std::time::Duration;
///
/// async fn print_lag(lag: Duration, tasks: usize, at: DateTime<Utc>) {
///     println!("event loop lag: {:.3}, running tasks: {tasks}, at {at}", lag.as_secs_f64());
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let monitor = loopmon::create(Duration::from_millis(10), print_lag);
/// tokio::time::sleep(Duration::from_millis(30)).await;
/// monitor.stop();
/// # }
/// ```
///
/// # Panics
///
/// If `interval` is rejected by [`Builder::build`], outside a tokio runtime, or on a runtime
/// without a timer when `interval` is under 10 ms. Use the [`Builder`] to get an `Err` instead.
#[track_caller]
pub fn create<F, Form>(interval: Duration, callback: F) -> MonitorHandle
where
    F: IntoCallback<Form>,
{
    match SleepMonitor::builder()
        .interval(interval)
        .callback(callback)
        .build()
    {
        Ok(monitor) => monitor.start(),
        Err(e) => panic!("loopmon::create: {e}"),
    }
}
