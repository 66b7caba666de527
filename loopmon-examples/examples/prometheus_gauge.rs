//! The Python original's Prometheus example, with the `prometheus` crate: a callback sets a
//! `Gauge` to the last lag.
//!
//! ```text
//! cargo run -p loopmon-examples --example prometheus_gauge
//! ```
//!
//! The original binds the gauge with `functools.partial(collect_lag, gauge)`; in Rust a closure
//! captures it. For a histogram of every sample, labels and stall counts without a callback, see
//! the `metrics` feature and `loopmon-examples/examples/prometheus.rs`.

use chrono::{DateTime, Utc};
use prometheus::{Encoder, Gauge, Registry, TextEncoder};
use std::time::Duration;

/// The original's `collect_lag(gauge, lag, tasks, data_at)`.
async fn collect_lag(gauge: Gauge, lag: Duration, _tasks: usize, _at: DateTime<Utc>) {
    gauge.set(lag.as_secs_f64());
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let registry = Registry::new();
    let gauge = Gauge::new("event_loop_lag_seconds", "Event loop lag in seconds")
        .expect("a valid metric name");
    registry
        .register(Box::new(gauge.clone()))
        .expect("registered once");

    let lag_gauge = gauge.clone();
    let monitor = loopmon::create(Duration::from_millis(100), move |lag, tasks, at| {
        collect_lag(lag_gauge.clone(), lag, tasks, at)
    });

    tokio::time::sleep(Duration::from_millis(250)).await;
    std::thread::sleep(Duration::from_millis(500)); // a blocking call
                                                    // The overdue sample is taken as soon as the runtime is free again: scrape right after it.
                                                    // (A gauge keeps only the last lag: one interval later it is back near zero.)
    tokio::time::sleep(Duration::from_millis(20)).await;
    monitor.stop();

    let mut text = Vec::new();
    TextEncoder::new()
        .encode(&registry.gather(), &mut text)
        .expect("the text format encodes any registry");
    print!("{}", String::from_utf8_lossy(&text));
}
