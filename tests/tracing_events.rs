//! The `tracing` export: WARN over the report threshold, DEBUG per sample when asked, the
//! summary as one INFO event at stop.
#![cfg(feature = "tracing")]

use loopmon::{Builder, SleepMonitor};
use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

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
}

/// A subscriber that keeps every event.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Captured>>>);

impl Visit for Captured {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.fields
            .push((field.name().to_owned(), format!("{value:?}")));
    }
}

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
        let mut captured = Captured {
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            fields: Vec::new(),
        };
        event.record(&mut captured);
        self.0.lock().unwrap().push(captured);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// Runs a monitor built by `builder` (interval 10 ms, report threshold 50 ms) on a
/// `current_thread` runtime that blocks once for 150 ms, and returns loopmon's events.
fn events_of(builder: impl FnOnce(Builder) -> Builder) -> Vec<Captured> {
    let capture = Capture::default();
    let events = capture.0.clone();
    // The runtime runs on this thread: the probe emits under this thread's subscriber.
    tracing::subscriber::with_default(capture, || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let monitor = builder(SleepMonitor::builder())
                .interval(Duration::from_millis(10))
                .report_threshold(Duration::from_millis(50))
                .build()
                .unwrap()
                .start();
            tokio::time::sleep(Duration::from_millis(50)).await;
            std::thread::sleep(Duration::from_millis(150));
            tokio::time::sleep(Duration::from_millis(50)).await;
            monitor.stop();
        });
    });
    let mut events = events.lock().unwrap();
    events.retain(|e| e.target == "loopmon");
    std::mem::take(&mut *events)
}

#[test]
fn lag_over_the_threshold_warns_and_samples_debug_when_asked() {
    let ours = events_of(|b| b.name("db").trace_samples(true).summary_on_stop(true));
    let at = |level| ours.iter().filter(move |e| e.level == level);

    let warnings: Vec<_> = at(Level::WARN).collect();
    assert_eq!(warnings.len(), 1, "{ours:#?}");
    let warning = warnings[0];
    assert!(warning.millis("lag_ms") >= 100.0, "{warning:?}");
    assert_eq!(warning.millis("threshold_ms"), 50.0);
    assert_eq!(warning.field("monitor"), Some("\"db\""));
    assert_eq!(warning.field("source"), Some("Runtime"));
    assert!(warning.field("tasks").is_some() && warning.field("tick").is_some());
    assert_eq!(
        warning.field("message"),
        Some("runtime lag over the report threshold")
    );

    let samples: Vec<_> = at(Level::DEBUG).collect();
    assert!(samples.len() >= 5, "{ours:#?}");
    assert!(samples.iter().all(|e| e.millis("lag_ms") <= 50.0));
    assert!(samples.iter().all(|e| e.field("message") == Some("sample")));

    let summaries: Vec<_> = at(Level::INFO).collect();
    assert_eq!(summaries.len(), 1, "{ours:#?}");
    let summary = summaries[0].field("message").unwrap();
    assert!(
        summary.starts_with("loopmon summary for `db`: "),
        "{summary}"
    );
    assert!(summary.contains("over 50ms: 1;"), "{summary}");
}

#[test]
fn without_trace_samples_only_the_warning_is_emitted() {
    let ours = events_of(|b| b);
    let levels: Vec<Level> = ours.iter().map(|e| e.level).collect();
    assert_eq!(levels, [Level::WARN], "{ours:#?}");
    assert_eq!(ours[0].field("monitor"), None);
}
