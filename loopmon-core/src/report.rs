//! What a monitor reports besides calling its callbacks: lag statistics, metrics, `tracing`
//! events and the summary. The settings are [`Builder`] methods; the [`Reporter`] carries them
//! out at each sample, from the samples flow's dispatch point.

use crate::builder::Builder;
use crate::export::{self, Export};
use crate::monitor::Monitor;
use crate::sample::Sample;
use crate::stats::Recorder;
use crate::summary::Summary;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The report threshold used when none is given: 100 ms, the default of asyncio's
/// `slow_callback_duration`.
///
/// A sample whose lag is over it counts in [`LagStats::over_threshold`](crate::LagStats::over_threshold)
/// and the summary, raises a `WARN` event with the `tracing` feature and counts in
/// `loopmon_lag_over_threshold_total` with the `metrics` feature.
pub const DEFAULT_REPORT_THRESHOLD: Duration = Duration::from_millis(100);

/// The reporting settings a [`Builder`] collects.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    name: Option<Arc<str>>,
    threshold: Duration,
    summary_on_stop: bool,
    export: export::Settings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            name: None,
            threshold: DEFAULT_REPORT_THRESHOLD,
            summary_on_stop: false,
            export: export::Settings::default(),
        }
    }
}

/// Reporting settings.
impl Builder {
    /// Names the monitor (default: no name). The name heads the [summary](crate::Summary), is
    /// the `monitor` field of `tracing` events, and the `runtime` label of every metric: name
    /// each monitor when you monitor more than one runtime.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.report.name = Some(Arc::from(name.into()));
        self
    }

    /// The lag over which a sample is reported (default [`DEFAULT_REPORT_THRESHOLD`]): counted
    /// in [`LagStats::over_threshold`](crate::LagStats::over_threshold) and the summary, a
    /// `WARN` event with the `tracing` feature, one more `loopmon_lag_over_threshold_total`
    /// with the `metrics` feature. A lag equal to the threshold is not over it.
    pub fn report_threshold(mut self, threshold: Duration) -> Self {
        self.report.threshold = threshold;
        self
    }

    /// Prints the [summary](crate::MonitorHandle::summary) once when the monitor ends: at
    /// [`stop`](crate::MonitorHandle::stop), or when its runtime shuts down (default: `false`).
    /// It goes to stderr, or as one `INFO` event through `tracing` with the `tracing` feature
    /// when a subscriber records it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let monitor = loopmon::SleepMonitor::builder()
    ///     .name("api")
    ///     .summary_on_stop(true)
    ///     .build()
    ///     .unwrap()
    ///     .start();
    /// monitor.stop(); // prints "loopmon summary for `api`: ..." on stderr
    /// # }
    /// ```
    pub fn summary_on_stop(mut self, enabled: bool) -> Self {
        self.report.summary_on_stop = enabled;
        self
    }

    /// Records every sample through the [`metrics`](https://docs.rs/metrics) facade
    /// (default: `false`), and the stall watchdog's reports with them. The recorder (exporter)
    /// may be installed before or after the monitor starts (under `#[loopmon::main]`, at the top
    /// of `main`'s body): the monitor's metrics follow the recorder in force.
    ///
    /// | name | kind | unit | what |
    /// |---|---|---|---|
    /// | `loopmon_lag_seconds` | histogram | seconds | the lag of each sample |
    /// | `loopmon_tasks` | gauge | tasks | alive tasks at the last sample, not counting loopmon's own |
    /// | `loopmon_lag_over_threshold_total` | counter | samples | samples over the [report threshold](Self::report_threshold) |
    /// | `loopmon_stalls_total` | counter | stalls | stalls the watchdog saw begin |
    /// | `loopmon_stall_seconds` | histogram | seconds | the length of each stall the watchdog saw end |
    ///
    /// The stall series are registered with the others (at 0) while the stall watchdog is on,
    /// and not at all when it is off.
    ///
    /// Each carries the label `runtime="<name>"` when the monitor has a [name](Self::name).
    ///
    /// ```
    /// let monitor = loopmon::SleepMonitor::builder()
    ///     .name("api")
    ///     .metrics(true)
    ///     .build()
    ///     .unwrap();
    /// # drop(monitor);
    /// ```
    #[cfg(feature = "metrics")]
    #[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
    pub fn metrics(mut self, enabled: bool) -> Self {
        self.report.export.metrics = enabled;
        self
    }

    /// Emits one `DEBUG` event per sample under the report threshold (default: `false`).
    ///
    /// Whatever this says, with the `tracing` feature a sample over the
    /// [report threshold](Self::report_threshold) emits a `WARN` event instead. Both have
    /// target `loopmon` and the fields `lag_ms`, `tasks`, `tick`, `source`, and `monitor` when
    /// the monitor has a [name](Self::name).
    #[cfg(feature = "tracing")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
    pub fn trace_samples(mut self, enabled: bool) -> Self {
        self.report.export.trace_samples = enabled;
        self
    }
}

/// Carries out one monitor's reporting settings.
#[derive(Debug)]
pub(crate) struct Reporter {
    pub(crate) name: Option<Arc<str>>,
    pub(crate) threshold: Duration,
    pub(crate) stats: Recorder,
    pub(crate) export: Export,
    summary_on_stop: bool,
    /// The summary was printed (or is not wanted).
    summarised: AtomicBool,
}

impl Reporter {
    /// Registers the metrics, if asked (the stall series too when `watched`: the stall
    /// watchdog is on).
    pub(crate) fn new(settings: Settings, watched: bool) -> Reporter {
        Reporter {
            export: Export::new(&settings.export, settings.name.as_ref(), watched),
            stats: Recorder::new(settings.threshold),
            name: settings.name,
            threshold: settings.threshold,
            summary_on_stop: settings.summary_on_stop,
            summarised: AtomicBool::new(!settings.summary_on_stop),
        }
    }

    /// Reports one sample. Allocates nothing.
    pub(crate) fn sample(&self, sample: &Sample) {
        self.stats.record(sample);
        self.export
            .sample(sample, sample.lag > self.threshold, self.threshold);
    }

    /// The monitor ended: prints the summary, once, if asked.
    pub(crate) fn ended(&self, monitor: &Monitor) {
        if self.summary_on_stop && !self.summarised.swap(true, Ordering::AcqRel) {
            self.export.summary(&Summary::new(monitor));
        }
    }
}
