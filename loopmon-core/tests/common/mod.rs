#![allow(dead_code, unreachable_pub)]
//! Helpers shared by the integration tests.

use loopmon_core::{Sample, SleepMonitor};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A synchronous callback that records every sample, and the way to read them back.
#[derive(Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<Sample>>>);

impl Recorder {
    pub fn callback(&self) -> impl Fn(&Sample) + Send + Sync + 'static {
        let samples = self.0.clone();
        move |s: &Sample| samples.lock().unwrap().push(*s)
    }
    pub fn samples(&self) -> Vec<Sample> {
        self.0.lock().unwrap().clone()
    }
    pub fn lags(&self) -> Vec<Duration> {
        self.samples().iter().map(|s| s.lag).collect()
    }
    pub fn max_lag(&self) -> Duration {
        self.lags().into_iter().max().unwrap_or_default()
    }
    pub fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }
    /// A monitor at `interval` with this recorder as its only callback.
    pub fn monitor(&self, interval: Duration) -> SleepMonitor {
        SleepMonitor::builder()
            .interval(interval)
            .callback(self.callback())
            .build()
            .unwrap()
    }
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Threads of this process whose name starts with `prefix` (Linux: `/proc/self/task/*/comm`,
/// names cut at 15 bytes).
pub fn threads_named(prefix: &str) -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|t| std::fs::read_to_string(t.unwrap().path().join("comm")).ok())
        .filter(|name| name.starts_with(prefix))
        .count()
}

/// Polls `f` every millisecond until it holds or `limit` has passed; its last answer.
pub fn wait_until(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if f() {
            return true;
        }
        std::thread::sleep(ms(1));
    }
    f()
}
