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
            let metrics = Metrics::new(Some(&Arc::from("api")));
            assert_eq!(
                log.registered.lock().unwrap().len(),
                3,
                "no stall series before a stall"
            );
            metrics.sample(&Sample::new(Duration::from_millis(2), 7, at), false);
            metrics.sample(&Sample::new(Duration::from_millis(250), 8, at), true);
            metrics.stall(Duration::from_millis(1500));
        });
        metrics::with_local_recorder(&logger, || Metrics::new(None));
        let registered = log.registered.lock().unwrap().clone();
        assert_eq!(
            registered,
            [
                "loopmon_lag_seconds{runtime=api}",
                "loopmon_tasks{runtime=api}",
                "loopmon_stalls_total{runtime=api}",
                "loopmon_stall_seconds{runtime=api}",
                "loopmon_lag_seconds{}", // no name, no label
                "loopmon_tasks{}",
                "loopmon_stalls_total{}",
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
                ("loopmon_stalls_total", 1.0),
                ("loopmon_stall_seconds", 1.5),
            ]
        );
    }
}
