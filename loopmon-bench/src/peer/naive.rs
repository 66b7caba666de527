//! The naive probe users write by hand: `sleep_until(now + interval)`, lag = now − deadline.

use crate::recorder::Recorder;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub(super) fn spawn(
    interval: Duration,
    rec: Arc<Recorder>,
    ticks: Arc<AtomicU64>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let deadline = Instant::now() + interval;
            tokio::time::sleep_until(deadline).await;
            rec.push(Instant::now().saturating_duration_since(deadline));
            ticks.fetch_add(1, Ordering::Relaxed);
        }
    })
}
