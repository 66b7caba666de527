//! Lag statistics: [`LagStats`], fed by the [`Recorder`] every sample goes through (see
//! `stats/recorder.rs` for how a take never loses or splits a sample).

mod histogram;
mod recorder;
#[cfg(test)]
mod tests;

pub use histogram::BenchHistogram;
pub use recorder::BenchRecorder;
pub(crate) use recorder::Recorder;

use crate::sample::Sample;
use chrono::{DateTime, Utc};
use histogram::Histogram;
use std::fmt;
use std::time::Duration;

/// Statistics of the lag of a monitor's samples, over some window: since the monitor started
/// ([`MonitorHandle::stats`](crate::MonitorHandle::stats)) or since the last take
/// ([`MonitorHandle::take_stats`](crate::MonitorHandle::take_stats)).
///
/// Percentiles come from a log-linear histogram over nanoseconds (128 buckets per power of
/// two, up to 73 minutes): never below the true value and less than 0.8 % above it.
/// [`max`](Self::max), [`min`](Self::min) and [`mean`](Self::mean) are exact. Read `max` next to
/// the percentiles: one stall of 1 s among 10 000 idle samples leaves p99 near zero, and only
/// `max` shows it.
///
/// ```
/// use loopmon::SleepMonitor;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let monitor = SleepMonitor::builder()
///     .interval(Duration::from_millis(10))
///     .build()
///     .unwrap()
///     .start();
/// tokio::time::sleep(Duration::from_millis(30)).await;
/// std::thread::sleep(Duration::from_millis(250)); // blocks the runtime
/// tokio::time::sleep(Duration::from_millis(30)).await;
/// let stats = monitor.stats();
/// assert!(stats.count() >= 3);
/// assert!(stats.max() >= Duration::from_millis(100));
/// assert!(stats.percentile(50.0) < Duration::from_millis(100));
/// assert_eq!(stats.over_threshold(), 1); // over the default report threshold, 100 ms
/// # }
/// ```
#[derive(Clone)]
pub struct LagStats {
    /// Lags in nanoseconds.
    histogram: Histogram,
    sum_nanos: u128,
    min: Duration,
    max: Duration,
    max_at: Option<DateTime<Utc>>,
    over_threshold: u64,
    threshold: Duration,
}

impl LagStats {
    pub(crate) fn empty(threshold: Duration) -> LagStats {
        LagStats {
            histogram: Histogram::new(),
            sum_nanos: 0,
            min: Duration::ZERO,
            max: Duration::ZERO,
            max_at: None,
            over_threshold: 0,
            threshold,
        }
    }

    /// Adds one sample. Allocates nothing.
    fn record(&mut self, sample: &Sample) {
        let lag = sample.lag;
        let first = self.histogram.len() == 0;
        self.histogram.record(nanos(lag));
        self.sum_nanos = self.sum_nanos.saturating_add(lag.as_nanos());
        if first || lag < self.min {
            self.min = lag;
        }
        if first || lag > self.max {
            self.max = lag;
            self.max_at = Some(sample.at);
        }
        if lag > self.threshold {
            self.over_threshold += 1;
        }
    }

    /// Adds every sample of `other` to `self`.
    fn merge(&mut self, other: &LagStats) {
        if other.histogram.len() == 0 {
            return;
        }
        let first = self.histogram.len() == 0;
        self.histogram.add(&other.histogram);
        self.sum_nanos = self.sum_nanos.saturating_add(other.sum_nanos);
        if first || other.min < self.min {
            self.min = other.min;
        }
        if first || other.max > self.max {
            self.max = other.max;
            self.max_at = other.max_at;
        }
        self.over_threshold += other.over_threshold;
    }

    fn reset(&mut self) {
        self.histogram.reset();
        self.sum_nanos = 0;
        self.min = Duration::ZERO;
        self.max = Duration::ZERO;
        self.max_at = None;
        self.over_threshold = 0;
    }

    /// The number of samples.
    pub fn count(&self) -> u64 {
        self.histogram.len()
    }

    /// The smallest lag, exactly; zero when there is no sample.
    pub fn min(&self) -> Duration {
        self.min
    }

    /// The largest lag, exactly; zero when there is no sample. See [`max_at`](Self::max_at)
    /// for when it was measured.
    pub fn max(&self) -> Duration {
        self.max
    }

    /// When the sample with the largest lag was taken (the first one, on a tie); `None` when
    /// there is no sample.
    pub fn max_at(&self) -> Option<DateTime<Utc>> {
        self.max_at
    }

    /// The mean lag, exactly (to the nanosecond); zero when there is no sample.
    pub fn mean(&self) -> Duration {
        match self.count() {
            0 => Duration::ZERO,
            n => {
                let nanos = self.sum_nanos / u128::from(n);
                Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
            }
        }
    }

    /// The lag that `q` percent of the samples do not exceed: `percentile(50.0)` is the
    /// median, `percentile(99.0)` the p99, `percentile(100.0)` the max, `percentile(0.0)` the
    /// min.
    ///
    /// The true value is the lag of the sample of rank `⌈q % × count⌉` (the nearest rank) in
    /// increasing order. The result is never below it and less than 0.8 % (1/128) above it,
    /// exact below 128 ns and at the lowest and highest ranks, and always between
    /// [`min`](Self::min) and [`max`](Self::max). The one exception: a lag over 73 minutes
    /// that is neither the min nor the max reads as 73 minutes. `q` is clamped to `0.0..=100.0`
    /// (NaN reads as 100). Zero when there is no sample.
    pub fn percentile(&self, q: f64) -> Duration {
        let n = self.count();
        let q = if q.is_nan() {
            100.0
        } else {
            q.clamp(0.0, 100.0)
        };
        // For a whole `q`, `q × n` is exact and the division rounds once: a rank that is a whole
        // number is not pushed up to the next by rounding.
        let rank = (q * n as f64 / 100.0).ceil() as u64;
        if rank <= 1 {
            return self.min;
        }
        if rank >= n {
            return self.max;
        }
        match self.histogram.value_at_rank(rank) {
            Some(nanos) => Duration::from_nanos(nanos).clamp(self.min, self.max),
            None => Duration::ZERO,
        }
    }

    /// The number of samples whose lag was over the report threshold
    /// ([`Builder::report_threshold`](crate::Builder::report_threshold)).
    pub fn over_threshold(&self) -> u64 {
        self.over_threshold
    }

    /// The report threshold [`over_threshold`](Self::over_threshold) counts against.
    pub fn threshold(&self) -> Duration {
        self.threshold
    }

    /// The number of samples with a lag below `bound`, to the histogram's precision (a bound
    /// inside a bucket counts that bucket above it).
    pub(crate) fn count_below(&self, bound: Duration) -> u64 {
        self.histogram.count_below(nanos(bound))
    }
}

/// `d` in nanoseconds, saturating (at 584 years).
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl fmt::Debug for LagStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LagStats")
            .field("count", &self.count())
            .field("min", &self.min)
            .field("p50", &self.percentile(50.0))
            .field("p99", &self.percentile(99.0))
            .field("max", &self.max)
            .field("max_at", &self.max_at)
            .field("mean", &self.mean())
            .field("over_threshold", &self.over_threshold)
            .field("threshold", &self.threshold)
            .finish()
    }
}
