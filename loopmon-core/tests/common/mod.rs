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
