//! The `tracing` export, end to end on a running monitor, and the stall events.

use super::*;
use crate::{Builder, SleepMonitor};
use ::tracing::field::{Field, Visit};
use ::tracing::span::{Attributes, Id, Record};
use ::tracing::{Event, Level, Metadata, Subscriber};
use std::fmt::Debug;
use std::panic::Location;
use std::sync::Mutex;

/// One captured event: level, target, and its fields rendered with `Debug`.
#[derive(Debug)]
struct Captured {
    level: Level,
    target: String,
    fields: Vec<(String, String)>,
}

impl Captured {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    fn millis(&self, name: &str) -> f64 {
        self.field(name).unwrap().parse().unwrap()
    }
    fn names(&self) -> Vec<&str> {
        self.fields.iter().map(|(n, _)| n.as_str()).collect()
    }
}

impl Visit for Captured {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.fields
            .push((field.name().to_owned(), format!("{value:?}")));
    }
}

/// A subscriber that keeps loopmon's events.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Captured>>>);

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let meta = event.metadata();
        let mut captured = Captured {
            level: *meta.level(),
            target: meta.target().to_owned(),
            fields: Vec::new(),
        };
        event.record(&mut captured);
        if captured.target == "loopmon" {
            self.0.lock().unwrap().push(captured);
        }
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// Runs `f` under a capturing subscriber (on this thread) and returns loopmon's events.
fn capture(f: impl FnOnce()) -> Vec<Captured> {
    let capture = Capture::default();
    let events = capture.0.clone();
    ::tracing::subscriber::with_default(capture, f);
    let mut events = events.lock().unwrap();
    std::mem::take(&mut *events)
}

/// Runs a monitor built by `builder` (interval 10 ms, report threshold 100 ms) on a
/// `current_thread` runtime on this thread that blocks once for 250 ms.
fn events_of(builder: impl FnOnce(Builder) -> Builder) -> Vec<Captured> {
    capture(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let monitor = builder(SleepMonitor::builder())
                .interval(Duration::from_millis(10))
                .report_threshold(Duration::from_millis(100))
                .build()
                .unwrap()
                .start();
            tokio::time::sleep(Duration::from_millis(50)).await;
            std::thread::sleep(Duration::from_millis(250));
            tokio::time::sleep(Duration::from_millis(50)).await;
            monitor.stop();
        });
    })
}

#[test]
fn lag_over_the_threshold_warns_and_samples_debug_when_asked() {
    let ours = events_of(|b| b.name("db").trace_samples(true).summary_on_stop(true));
    let at = |level| ours.iter().filter(move |e| e.level == level);

    let warnings: Vec<_> = at(Level::WARN).collect();
    assert_eq!(warnings.len(), 1, "{ours:#?}");
    let warning = warnings[0];
    assert_eq!(
        warning.names(),
        [
            "message",
            "monitor",
            "lag_ms",
            "tasks",
            "tick",
            "source",
            "threshold_ms"
        ]
    );
    assert!(warning.millis("lag_ms") >= 200.0, "{warning:?}");
    assert_eq!(warning.millis("threshold_ms"), 100.0);
    assert_eq!(warning.field("monitor"), Some("\"db\""));
    assert_eq!(warning.field("source"), Some("Runtime"));
    assert_eq!(
        warning.field("message"),
        Some("runtime lag over the report threshold")
    );

    let samples: Vec<_> = at(Level::DEBUG).collect();
    assert!(samples.len() >= 5, "{ours:#?}");
    assert!(samples.iter().all(|e| e.millis("lag_ms") <= 100.0));
    assert!(samples.iter().all(|e| e.field("message") == Some("sample")));

    let summaries: Vec<_> = at(Level::INFO).collect();
    assert_eq!(summaries.len(), 1, "{ours:#?}");
    let summary = summaries[0].field("message").unwrap();
    assert!(
        summary.starts_with("loopmon summary for `db`: "),
        "{summary}"
    );
    assert!(summary.contains("over 100ms: 1;"), "{summary}");
}

#[test]
fn without_trace_samples_only_the_warning_is_emitted() {
    let ours = events_of(|b| b);
    let levels: Vec<Level> = ours.iter().map(|e| e.level).collect();
    assert_eq!(levels, [Level::WARN], "{ours:#?}");
    assert_eq!(ours[0].field("monitor"), None);
}

#[test]
fn stall_start_and_end_are_warnings_with_what_is_known() {
    let tracing = Tracing::new(Some(Arc::from("api")), false);
    let spawned_at = Location::caller();
    let snapshot = crate::ThreadSnapshot::new(77, crate::ThreadActivity::Sleeping);
    let events = capture(|| {
        let stall = Stall {
            elapsed: Duration::from_millis(120),
            tasks: Some(4),
            thread: Some("tokio-runtime-worker"),
            worker: Some(1),
            spawned_at: Some(spawned_at),
            snapshot: Some(&snapshot),
        };
        tracing.stall(&stall, false);
        let elapsed = Duration::from_millis(900);
        tracing.stall(
            &Stall {
                elapsed,
                ..Stall::default()
            },
            true,
        );
    });
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e.level == Level::WARN));
    let started: Vec<(&str, &str)> = events[0]
        .fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let at = spawned_at.to_string();
    assert_eq!(
        started,
        [
            ("message", "runtime stalled"),
            ("monitor", "\"api\""),
            ("blocked_ms", "120.0"),
            ("tasks", "4"),
            ("thread", "\"tokio-runtime-worker\""),
            ("worker", "1"),
            ("task.spawned_at", at.as_str()),
            ("thread.id", "77"),
            ("doing", "sleeping"),
        ]
    );
    // What is not known is left out.
    assert_eq!(events[1].names(), ["message", "monitor", "blocked_ms"]);
    assert_eq!(events[1].field("message"), Some("runtime stall ended"));
    assert_eq!(events[1].millis("blocked_ms"), 900.0);
}

#[test]
fn a_panicking_callback_is_reported_once_as_an_error() {
    let events = capture(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let monitor = SleepMonitor::builder()
                .interval(Duration::from_millis(10))
                .callback(|_: &crate::Sample| panic!("boom"))
                .build()
                .unwrap()
                .start();
            // Each panic runs the panic hook, which may capture a backtrace: give it time.
            tokio::time::sleep(Duration::from_millis(300)).await;
            monitor.stop();
            assert!(monitor.panics() >= 2, "{monitor:?}");
        });
    });
    let errors: Vec<_> = events.iter().filter(|e| e.level == Level::ERROR).collect();
    assert_eq!(errors.len(), 1, "{events:#?}");
    assert_eq!(errors[0].names(), ["message", "callback", "panic"]);
    assert_eq!(errors[0].field("panic"), Some("\"boom\""));
    assert!(errors[0].field("callback").unwrap().contains("closure"));
}

#[test]
fn the_summary_is_reported_when_the_runtime_shuts_down() {
    let events = capture(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let monitor = SleepMonitor::builder()
            .interval(Duration::from_millis(10))
            .summary_on_stop(true)
            .build()
            .unwrap()
            .install(rt.handle());
        rt.block_on(async { tokio::time::sleep(Duration::from_millis(50)).await });
        assert!(monitor.is_running());
        drop(rt); // no `stop()`: the monitor ends with its runtime
    });
    let infos: Vec<_> = events.iter().filter(|e| e.level == Level::INFO).collect();
    assert_eq!(infos.len(), 1, "{events:#?}");
    let summary = infos[0].field("message").unwrap();
    assert!(summary.starts_with("loopmon summary: "), "{summary}");
    assert!(!summary.contains("loopmon summary: 0 ticks"), "{summary}");
}

/// A subscriber that records nothing below `ERROR`: loopmon's `WARN` events would be lost.
struct ErrorsOnly;

impl Subscriber for ErrorsOnly {
    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        *meta.level() <= Level::ERROR
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn default_reports_go_to_stderr_unless_a_subscriber_records_them() {
    use crate::export::warnings_are_traced;
    ::tracing::subscriber::with_default(ErrorsOnly, || {
        assert!(!warnings_are_traced(), "filtered out: stderr");
    });
    capture(|| assert!(warnings_are_traced(), "recorded: tracing only"));
    ::tracing::subscriber::with_default(::tracing::subscriber::NoSubscriber::default(), || {
        assert!(!warnings_are_traced(), "no subscriber: stderr");
    });
}

#[test]
fn milliseconds_read_as_written() {
    use super::millis;
    assert_eq!(
        millis(Duration::from_nanos(300_400_072)).to_string(),
        "300.4"
    );
    assert_eq!(
        millis(Duration::from_nanos(100_111_438)).to_string(),
        "100.111"
    );
    assert_eq!(millis(Duration::ZERO).to_string(), "0");
}
