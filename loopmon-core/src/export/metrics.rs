//! The `metrics` export: each sample into `loopmon_lag_seconds` and `loopmon_tasks`, samples
//! over the report threshold into `loopmon_stalls_total`, stalls into `loopmon_stall_seconds`.
//! The names and units are documented once, on `Builder::metrics`.

use crate::sample::Sample;
use metrics::{Counter, Gauge, Histogram, Label, Unit};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The lag of each sample, in seconds.
pub(crate) const LAG_SECONDS: &str = "loopmon_lag_seconds";
/// Alive tasks at the last sample, not counting loopmon's own.
pub(crate) const TASKS: &str = "loopmon_tasks";
/// Samples over the report threshold.
pub(crate) const STALLS_TOTAL: &str = "loopmon_stalls_total";
/// The length of each stall seen by the watchdog, in seconds.
pub(crate) const STALL_SECONDS: &str = "loopmon_stall_seconds";
/// The label naming the monitored runtime (the monitor's name).
pub(crate) const RUNTIME_LABEL: &str = "runtime";

/// One monitor's metric handles, registered once with the recorder installed at the time.
#[derive(Debug)]
pub(crate) struct Metrics {
    lag: Histogram,
    tasks: Gauge,
    stalls: Counter,
    /// Registered at the first stall, so that no empty series shows before the stall flow
    /// reports one.
    stall_seconds: OnceLock<Histogram>,
    labels: Vec<Label>,
}

impl Metrics {
    pub(crate) fn new(name: Option<&Arc<str>>) -> Metrics {
        metrics::describe_histogram!(LAG_SECONDS, Unit::Seconds, "how late the probe ran");
        metrics::describe_gauge!(
            TASKS,
            "alive tasks at the last sample, not counting loopmon's"
        );
        metrics::describe_counter!(STALLS_TOTAL, "samples with a lag over the report threshold");
        metrics::describe_histogram!(STALL_SECONDS, Unit::Seconds, "the length of each stall");
        let labels: Vec<Label> = name
            .map(|name| Label::new(RUNTIME_LABEL, name.to_string()))
            .into_iter()
            .collect();
        Metrics {
            lag: metrics::histogram!(LAG_SECONDS, labels.clone()),
            tasks: metrics::gauge!(TASKS, labels.clone()),
            stalls: metrics::counter!(STALLS_TOTAL, labels.clone()),
            stall_seconds: OnceLock::new(),
            labels,
        }
    }

    pub(crate) fn sample(&self, sample: &Sample, over: bool) {
        self.lag.record(sample.lag.as_secs_f64());
        self.tasks.set(sample.tasks as f64);
        if over {
            self.stalls.increment(1);
        }
    }

    /// Records the full length of one stall.
    pub(crate) fn stall(&self, elapsed: Duration) {
        self.stall_seconds
            .get_or_init(|| metrics::histogram!(STALL_SECONDS, self.labels.clone()))
            .record(elapsed.as_secs_f64());
    }
}
