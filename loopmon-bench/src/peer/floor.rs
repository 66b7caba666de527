//! The floor: a bare `sleep_until` loop on drift-free deadlines, doing nothing but counting.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

pub(super) fn spawn(interval: Duration, ticks: Arc<AtomicU64>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut deadline = tokio::time::Instant::now() + interval;
        loop {
            tokio::time::sleep_until(deadline).await;
            ticks.fetch_add(1, Ordering::Relaxed);
            deadline += interval;
        }
    })
}
