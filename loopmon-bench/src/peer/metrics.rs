//! `tokio-metrics` 0.5 `RuntimeMonitor`, sampled by its README's loop. It has no lag figure on
//! stable tokio; what a user watches for a stall is `max_busy_duration`, which is recorded.

use crate::recorder::Recorder;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

pub(super) fn spawn(
    interval: Duration,
    rec: Arc<Recorder>,
    ticks: Arc<AtomicU64>,
) -> JoinHandle<()> {
    let monitor = tokio_metrics::RuntimeMonitor::new(&tokio::runtime::Handle::current());
    tokio::spawn(async move {
        // The first interval covers the time before the loop started: drop it.
        let mut first = true;
        for m in monitor.intervals() {
            if !first {
                rec.push(m.max_busy_duration);
                ticks.fetch_add(1, Ordering::Relaxed);
            }
            first = false;
            tokio::time::sleep(interval).await;
        }
    })
}
