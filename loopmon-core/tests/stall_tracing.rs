//! With the `tracing` feature, the watchdog's reports are `WARN` events (from the watchdog
//! thread, so they reach the global subscriber), in place of the default stderr reporter.
#![cfg(feature = "tracing")]

use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// One event's fields, rendered with `Debug`.
type Fields = Vec<(String, String)>;

/// The fields of each `loopmon` event.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Fields>>>);

struct Visitor(Fields);

impl Visit for Visitor {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
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
        if event.metadata().target() == "loopmon" {
            let mut fields = Visitor(Vec::new());
            event.record(&mut fields);
            self.0.lock().unwrap().push(fields.0);
        }
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn stalls_are_warnings_with_the_worker_and_the_full_duration() {
    let capture = Capture::default();
    tracing::subscriber::set_global_default(capture.clone()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let monitor = loopmon_core::SleepMonitor::builder()
            .interval(Duration::from_millis(10))
            .stall_threshold(Duration::from_millis(100))
            .report_threshold(Duration::from_secs(60))
            .build()
            .unwrap()
            .start();
        tokio::time::sleep(Duration::from_millis(30)).await;
        std::thread::sleep(Duration::from_millis(400));
        tokio::time::sleep(Duration::from_millis(50)).await;
        monitor.stop();
    });
    let events = capture.0.lock().unwrap().clone();
    let field = |event: &[(String, String)], name: &str| {
        let found = event.iter().find(|(n, _)| n == name);
        found.map(|(_, v)| v.clone()).unwrap_or_default()
    };
    let of = |message: &str| -> Vec<_> {
        let all = events.iter().filter(|e| field(e, "message") == message);
        all.filter(|e| field(e, "worker") == "0").cloned().collect()
    };
    let (started, ended) = (of("runtime stalled"), of("runtime stall ended"));
    assert_eq!((started.len(), ended.len()), (1, 1), "{events:?}");
    let total: f64 = field(&ended[0], "blocked_ms").parse().unwrap();
    assert!((380.0..700.0).contains(&total), "{total}");
}
