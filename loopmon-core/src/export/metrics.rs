//! The `metrics` export: each sample into `loopmon_lag_seconds` and `loopmon_tasks`, samples
//! over the report threshold into `loopmon_lag_over_threshold_total`, the watchdog's stalls into
//! `loopmon_stalls_total` (when one begins) and `loopmon_stall_seconds` (its length, when it
//! ends). The names and units are documented on `Builder::metrics`.

use crate::sample::Sample;
use metrics::{Counter, Gauge, Histogram, Label, Recorder, Unit};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The lag of each sample, in seconds.
pub(crate) const LAG_SECONDS: &str = "loopmon_lag_seconds";
/// Alive tasks at the last sample, not counting loopmon's own.
pub(crate) const TASKS: &str = "loopmon_tasks";
/// Samples over the report threshold.
pub(crate) const LAG_OVER_THRESHOLD_TOTAL: &str = "loopmon_lag_over_threshold_total";
/// Stalls the watchdog saw begin.
pub(crate) const STALLS_TOTAL: &str = "loopmon_stalls_total";
/// The length of each stall seen by the watchdog, in seconds.
pub(crate) const STALL_SECONDS: &str = "loopmon_stall_seconds";
/// The label naming the monitored runtime (the monitor's name).
pub(crate) const RUNTIME_LABEL: &str = "runtime";

/// One monitor's metric handles, bound to the recorder in force when they are used: a recorder
/// installed after the monitor started (at the top of `main`'s body, under
/// `#[loopmon::main]`) gets every metric from then on.
#[derive(Debug)]
pub(crate) struct Metrics {
    labels: Vec<Label>,
    /// The stall watchdog is on: the stall series are registered with the others, at 0, so
    /// that the first stall shows as an increase.
    watched: bool,
    /// The handles, and the recorder they were registered with.
    bound: Mutex<Bound>,
}

#[derive(Debug)]
struct Bound {
    /// The recorder's address; 0 before the first use.
    recorder: usize,
    lag: Histogram,
    tasks: Gauge,
    over_threshold: Counter,
    /// The stall series, registered with the others when the watchdog is on (`watched`),
    /// not at all when it is off (it reports no stall then).
    stalls: Option<Counter>,
    stall_seconds: Option<Histogram>,
}

/// The address of the recorder that the `metrics` macros would use here and now.
fn current_recorder() -> usize {
    metrics::with_recorder(|r| (r as *const dyn Recorder).cast::<()>() as usize)
}

impl Metrics {
    pub(crate) fn new(name: Option<&Arc<str>>, watched: bool) -> Metrics {
        let labels: Vec<Label> = name
            .map(|name| Label::new(RUNTIME_LABEL, name.to_string()))
            .into_iter()
            .collect();
        let metrics = Metrics {
            labels,
            watched,
            bound: Mutex::new(Bound {
                recorder: 0,
                lag: Histogram::noop(),
                tasks: Gauge::noop(),
                over_threshold: Counter::noop(),
                stalls: None,
                stall_seconds: None,
            }),
        };
        drop(metrics.bind());
        metrics
    }

    /// The handles, registered again if the recorder changed since they last were. Allocates
    /// only then.
    fn bind(&self) -> MutexGuard<'_, Bound> {
        let mut bound = self.bound.lock().unwrap_or_else(|e| e.into_inner());
        let recorder = current_recorder();
        if bound.recorder != recorder {
            metrics::describe_histogram!(LAG_SECONDS, Unit::Seconds, "how late the probe ran");
            metrics::describe_gauge!(
                TASKS,
                "alive tasks at the last sample, not counting loopmon's"
            );
            metrics::describe_counter!(
                LAG_OVER_THRESHOLD_TOTAL,
                "samples with a lag over the report threshold"
            );
            metrics::describe_counter!(STALLS_TOTAL, "stalls the watchdog saw begin");
            metrics::describe_histogram!(STALL_SECONDS, Unit::Seconds, "the length of each stall");
            *bound = Bound {
                recorder,
                lag: metrics::histogram!(LAG_SECONDS, self.labels.clone()),
                tasks: metrics::gauge!(TASKS, self.labels.clone()),
                over_threshold: metrics::counter!(LAG_OVER_THRESHOLD_TOTAL, self.labels.clone()),
                stalls: self
                    .watched
                    .then(|| metrics::counter!(STALLS_TOTAL, self.labels.clone())),
                stall_seconds: self
                    .watched
                    .then(|| metrics::histogram!(STALL_SECONDS, self.labels.clone())),
            };
        }
        bound
    }

    pub(crate) fn sample(&self, sample: &Sample, over: bool) {
        let bound = self.bind();
        bound.lag.record(sample.lag.as_secs_f64());
        bound.tasks.set(sample.tasks as f64);
        if over {
            bound.over_threshold.increment(1);
        }
    }

    /// Counts one stall, which the watchdog saw begin.
    pub(crate) fn stall_started(&self) {
        if let Some(stalls) = &self.bind().stalls {
            stalls.increment(1);
        }
    }

    /// Records the full length of one stall.
    pub(crate) fn stall_ended(&self, elapsed: Duration) {
        if let Some(stall_seconds) = &self.bind().stall_seconds {
            stall_seconds.record(elapsed.as_secs_f64());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use metrics::{
        CounterFn, GaugeFn, HistogramFn, Key, KeyName, Metadata, Recorder, SharedString,
    };
    use std::sync::Mutex;

    /// Keeps every registration and every value, as `(name, labels, value)`.
    #[derive(Debug, Default)]
    struct Log {
        registered: Mutex<Vec<String>>,
        values: Mutex<Vec<(String, f64)>>,
    }

    /// One registered metric, writing to the log.
    struct Handle(Arc<Log>, String);

    impl CounterFn for Handle {
        fn increment(&self, value: u64) {
            self.0
                .values
                .lock()
                .unwrap()
                .push((self.1.clone(), value as f64));
        }
        fn absolute(&self, _: u64) {}
    }
    impl GaugeFn for Handle {
        fn increment(&self, _: f64) {}
        fn decrement(&self, _: f64) {}
        fn set(&self, value: f64) {
            self.0.values.lock().unwrap().push((self.1.clone(), value));
        }
    }
    impl HistogramFn for Handle {
        fn record(&self, value: f64) {
            self.0.values.lock().unwrap().push((self.1.clone(), value));
        }
    }

    struct Logger(Arc<Log>);

    impl Logger {
        fn handle(&self, key: &Key) -> Arc<Handle> {
            let labels: Vec<String> = key
                .labels()
                .map(|l| format!("{}={}", l.key(), l.value()))
                .collect();
            let name = format!("{}{{{}}}", key.name(), labels.join(","));
            self.0.registered.lock().unwrap().push(name.clone());
            Arc::new(Handle(self.0.clone(), name))
        }
    }

    impl Recorder for Logger {
        fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
            Counter::from_arc(self.handle(key))
        }
        fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
            Gauge::from_arc(self.handle(key))
        }
        fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
            Histogram::from_arc(self.handle(key))
        }
    }

    #[test]
    fn samples_and_stalls_reach_prometheus_names_with_the_runtime_label() {
        let log = Arc::new(Log::default());
        let logger = Logger(log.clone());
        let at = chrono::Utc::now();
        metrics::with_local_recorder(&logger, || {
            let metrics = Metrics::new(Some(&Arc::from("api")), true);
            assert_eq!(
                log.registered.lock().unwrap().len(),
                5,
                "the stall series from the start, at 0"
            );
            metrics.sample(&Sample::new(Duration::from_millis(2), 7, at), false);
            metrics.sample(&Sample::new(Duration::from_millis(250), 8, at), true);
            metrics.stall_started();
            metrics.stall_ended(Duration::from_millis(1500));
        });
        // Without the watchdog: no stall series.
        metrics::with_local_recorder(&logger, || Metrics::new(None, false));
        let registered = log.registered.lock().unwrap().clone();
        assert_eq!(
            registered,
            [
                "loopmon_lag_seconds{runtime=api}",
                "loopmon_tasks{runtime=api}",
                "loopmon_lag_over_threshold_total{runtime=api}",
                "loopmon_stalls_total{runtime=api}",
                "loopmon_stall_seconds{runtime=api}",
                "loopmon_lag_seconds{}", // no name, no label
                "loopmon_tasks{}",
                "loopmon_lag_over_threshold_total{}",
            ]
        );
        let values = log.values.lock().unwrap();
        let short: Vec<(&str, f64)> = values
            .iter()
            .map(|(name, value)| (&name[..name.find('{').unwrap()], *value))
            .collect();
        assert_eq!(
            short,
            [
                ("loopmon_lag_seconds", 0.002),
                ("loopmon_tasks", 7.0),
                ("loopmon_lag_seconds", 0.25),
                ("loopmon_tasks", 8.0),
                ("loopmon_lag_over_threshold_total", 1.0),
                ("loopmon_stalls_total", 1.0),
                ("loopmon_stall_seconds", 1.5),
            ]
        );
    }

    /// A recorder that comes after the monitor started still gets every metric from then on.
    #[test]
    fn a_recorder_installed_after_the_monitor_started_gets_every_metric() {
        let metrics = Metrics::new(None, true); // bound to no recorder yet
        let log = Arc::new(Log::default());
        let logger = Logger(log.clone());
        let at = chrono::Utc::now();
        metrics::with_local_recorder(&logger, || {
            metrics.sample(&Sample::new(Duration::from_millis(3), 4, at), true);
            metrics.stall_started();
            metrics.stall_ended(Duration::from_millis(700));
        });
        let values = log.values.lock().unwrap().clone();
        assert_eq!(
            values,
            [
                ("loopmon_lag_seconds{}".to_string(), 0.003),
                ("loopmon_tasks{}".to_string(), 4.0),
                ("loopmon_lag_over_threshold_total{}".to_string(), 1.0),
                ("loopmon_stalls_total{}".to_string(), 1.0),
                ("loopmon_stall_seconds{}".to_string(), 0.7),
            ]
        );
    }
}
