//! A callback slower than the interval does not delay the monitor and does not pile up: while
//! it is busy, samples skip it and are counted.
//!
//! ```text
//! cargo run --example slow_callback
//! ```

use loopmon::{Sample, SleepMonitor};
use std::time::Duration;

async fn slow_exporter(s: Sample) {
    // E.g. a push to a remote system that takes longer than the interval.
    tokio::time::sleep(Duration::from_millis(450)).await;
    println!("exported sample #{} (lag {:?})", s.tick, s.lag);
}

#[tokio::main]
async fn main() {
    let monitor = SleepMonitor::builder()
        .interval(Duration::from_millis(100))
        .callback(slow_exporter)
        .callback(|s: &Sample| println!("sample #{} lag {:?}", s.tick, s.lag))
        .build()
        .expect("a valid interval")
        .start();
    tokio::time::sleep(Duration::from_millis(1550)).await;
    monitor.stop();
    println!(
        "{} samples; the slow exporter skipped {} of them while busy",
        monitor.ticks(),
        monitor.skipped()
    );
    assert!(monitor.ticks() >= 12 && monitor.skipped() >= 8);
}
