//! Lag statistics: [`LagStats`], and the [`Recorder`] every sample goes through.
//!
//! # How `take_stats` never loses or splits a sample
//!
//! The recorder keeps two halves. The probe (the only writer: ticks never overlap) records
//! into the *active* half; a reader swaps which half is active, waits until a write still in
//! progress on the other half has ended (tens of nanoseconds), then drains that half into the
//! totals it returns. A sample therefore lands in exactly one half, and each half is drained
//! whole, by exactly one reader.
//!
//! The probe never waits. It announces a write on a half (`writing`) and checks that the half
//! is still active *after* the announcement; if a reader swapped in between, it withdraws and
//! records into the new active half instead, so it only ever retries because a reader made
//! progress. The `Mutex` around each half's data is therefore never contended: it is there to
//! give the data a safe owner, not to make anyone wait. All four accesses to `active` and
//! `writing` are `SeqCst`: the writer's "announce, then re-check" and the reader's "swap, then
//! look" cannot both miss each other.

use crate::sample::Sample;
use chrono::{DateTime, Utc};
use hdrhistogram::Histogram;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// The largest lag the histogram resolves (one hour); a longer lag counts as one hour in
/// [`LagStats::percentile`], while [`LagStats::max`] keeps its exact value.
const HIGHEST_MICROS: u64 = 3_600_000_000;
/// Two significant digits: percentiles within 1 % (or 1 µs) of the true value.
const SIGNIFICANT_DIGITS: u8 = 2;

/// Statistics of the lag of a monitor's samples, over some window: since the monitor started
/// ([`MonitorHandle::stats`](crate::MonitorHandle::stats)) or since the last take
/// ([`MonitorHandle::take_stats`](crate::MonitorHandle::take_stats)).
///
/// Percentiles come from a log-linear histogram (HdrHistogram, 2 significant digits, 1 µs
/// resolution): within 1 % or 1 µs of the true value. [`max`](Self::max), [`min`](Self::min) and
/// [`mean`](Self::mean) are exact. Read `max` next to the percentiles: one stall of 1 s among
/// 10 000 idle samples leaves p99 near zero, and only `max` shows it.
///
/// ```
/// use loopmon_core::SleepMonitor;
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
/// std::thread::sleep(Duration::from_millis(150)); // blocks the runtime
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
    /// Lags in microseconds.
    histogram: Histogram<u64>,
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
            histogram: Histogram::new_with_bounds(1, HIGHEST_MICROS, SIGNIFICANT_DIGITS)
                .expect("constant histogram bounds are valid"),
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
        let micros = u64::try_from(lag.as_micros()).unwrap_or(u64::MAX);
        let first = self.histogram.is_empty();
        self.histogram.saturating_record(micros);
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
        if other.histogram.is_empty() {
            return;
        }
        let first = self.histogram.is_empty();
        self.histogram
            .add(&other.histogram)
            .expect("histograms with the same bounds always add");
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
    /// median, `percentile(99.0)` the p99, `percentile(100.0)` the max.
    ///
    /// Within 1 % or 1 µs of the true value, and always between [`min`](Self::min) and
    /// [`max`](Self::max). `q` is clamped to `0.0..=100.0` (NaN reads as 100). Zero when there
    /// is no sample.
    pub fn percentile(&self, q: f64) -> Duration {
        if self.count() == 0 {
            return Duration::ZERO;
        }
        let q = if q.is_nan() {
            100.0
        } else {
            q.clamp(0.0, 100.0)
        };
        let micros = self.histogram.value_at_percentile(q);
        Duration::from_micros(micros).clamp(self.min, self.max)
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
        let micros = u64::try_from(bound.as_micros()).unwrap_or(u64::MAX);
        if micros > HIGHEST_MICROS {
            return self.count();
        }
        match self.histogram.lowest_equivalent(micros).checked_sub(1) {
            Some(below) => self.histogram.count_between(0, below),
            None => 0,
        }
    }
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

/// Records every sample of one monitor; the probe records, any thread reads. See the module
/// docs for why the probe never waits and a take never loses a sample.
pub(crate) struct Recorder {
    /// The half (0 or 1) the probe records into.
    active: AtomicUsize,
    halves: [Half; 2],
    /// What readers drained from the halves; also serialises readers.
    drained: Mutex<Drained>,
}

struct Half {
    /// The probe is recording into this half.
    writing: AtomicBool,
    stats: Mutex<LagStats>,
}

struct Drained {
    since_start: LagStats,
    since_take: LagStats,
}

impl Recorder {
    pub(crate) fn new(threshold: Duration) -> Recorder {
        let half = || Half {
            writing: AtomicBool::new(false),
            stats: Mutex::new(LagStats::empty(threshold)),
        };
        Recorder {
            active: AtomicUsize::new(0),
            halves: [half(), half()],
            drained: Mutex::new(Drained {
                since_start: LagStats::empty(threshold),
                since_take: LagStats::empty(threshold),
            }),
        }
    }

    /// Records one sample. Called by the probe only (never concurrently with itself); never
    /// waits, allocates nothing.
    pub(crate) fn record(&self, sample: &Sample) {
        loop {
            let index = self.active.load(SeqCst);
            let half = &self.halves[index];
            half.writing.store(true, SeqCst);
            if self.active.load(SeqCst) == index {
                // No reader touches this half until `writing` is false again.
                half.stats
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .record(sample);
                half.writing.store(false, SeqCst);
                return;
            }
            // A reader swapped the halves meanwhile: record into the new active half.
            half.writing.store(false, SeqCst);
        }
    }

    /// Drains everything recorded so far into the totals, and returns them.
    fn drain(&self) -> MutexGuard<'_, Drained> {
        let mut drained = self.drained.lock().unwrap_or_else(PoisonError::into_inner);
        let index = self.active.fetch_xor(1, SeqCst);
        let half = &self.halves[index];
        while half.writing.load(SeqCst) {
            std::thread::yield_now();
        }
        let mut stats = half.stats.lock().unwrap_or_else(PoisonError::into_inner);
        drained.since_start.merge(&stats);
        drained.since_take.merge(&stats);
        stats.reset();
        drained
    }

    /// Every sample since the monitor started.
    pub(crate) fn since_start(&self) -> LagStats {
        self.drain().since_start.clone()
    }

    /// Every sample since the last call; starts a new window.
    pub(crate) fn take(&self) -> LagStats {
        let mut drained = self.drain();
        let fresh = LagStats::empty(drained.since_take.threshold);
        std::mem::replace(&mut drained.since_take, fresh)
    }
}

impl fmt::Debug for Recorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recorder").finish_non_exhaustive()
    }
}

/// Not public API: the recorder, for `benches/record.rs` to time on its own.
#[doc(hidden)]
#[derive(Debug)]
pub struct BenchRecorder(Recorder);

impl BenchRecorder {
    #[allow(missing_docs)]
    pub fn new(threshold: Duration) -> BenchRecorder {
        BenchRecorder(Recorder::new(threshold))
    }
    #[allow(missing_docs)]
    pub fn record(&self, sample: &Sample) {
        self.0.record(sample);
    }
    #[allow(missing_docs)]
    pub fn take(&self) -> LagStats {
        self.0.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    fn sample(lag: Duration) -> Sample {
        Sample::new(lag, 0, Utc::now())
    }

    #[test]
    fn exact_min_max_mean_and_close_percentiles() {
        let recorder = Recorder::new(Duration::from_millis(100));
        let empty = recorder.since_start();
        assert_eq!(
            (empty.count(), empty.max(), empty.mean()),
            (0, Duration::ZERO, Duration::ZERO)
        );
        assert_eq!(
            (empty.percentile(99.0), empty.max_at()),
            (Duration::ZERO, None)
        );
        // 1..=1000 µs, then one stall of 1.234567 s.
        for us in 1..=1000 {
            recorder.record(&sample(Duration::from_micros(us)));
        }
        let stall = Sample::new(Duration::from_nanos(1_234_567_891), 3, Utc::now());
        recorder.record(&stall);
        let stats = recorder.since_start();
        assert_eq!(stats.count(), 1001);
        assert_eq!(stats.min(), Duration::from_micros(1));
        assert_eq!(stats.max(), Duration::from_nanos(1_234_567_891));
        assert_eq!(stats.max_at(), Some(stall.at));
        let sum = Duration::from_micros(500_500) + Duration::from_nanos(1_234_567_891);
        assert_eq!(stats.mean(), sum / 1001);
        for (q, truth) in [(50.0, 501.0), (90.0, 901.0), (99.0, 991.0)] {
            let us = stats.percentile(q).as_secs_f64() * 1e6;
            assert!(
                (us - truth).abs() <= truth * 0.01 + 1.0,
                "p{q} = {us} µs, want {truth}"
            );
        }
        assert_eq!(stats.percentile(100.0), stats.max());
        assert_eq!(stats.percentile(250.0), stats.max());
        assert_eq!(stats.percentile(f64::NAN), stats.max());
        assert_eq!(stats.percentile(-1.0), stats.min());
        assert_eq!(stats.over_threshold(), 1);
    }

    #[test]
    fn a_lag_beyond_the_histogram_keeps_its_exact_max() {
        let recorder = Recorder::new(Duration::from_millis(100));
        let day = Duration::from_secs(86_400);
        recorder.record(&sample(day));
        let stats = recorder.take();
        assert_eq!((stats.max(), stats.percentile(50.0)), (day, day));
        assert_eq!(stats.count_below(day), 1);
    }

    #[test]
    fn takes_partition_the_samples() {
        let recorder = Recorder::new(Duration::ZERO);
        for ms in [1, 2, 3] {
            recorder.record(&sample(Duration::from_millis(ms)));
        }
        let first = recorder.take();
        recorder.record(&sample(Duration::from_millis(7)));
        let second = recorder.take();
        let third = recorder.take();
        assert_eq!((first.count(), first.max()), (3, Duration::from_millis(3)));
        assert_eq!(
            (second.count(), second.min()),
            (1, Duration::from_millis(7))
        );
        assert_eq!((third.count(), third.max_at()), (0, None));
        let all = recorder.since_start();
        assert_eq!(
            (all.count(), all.max(), all.over_threshold()),
            (4, Duration::from_millis(7), 4)
        );
    }

    #[test]
    fn count_below_splits_at_bucket_edges() {
        let recorder = Recorder::new(Duration::ZERO);
        for us in [0, 999, 1_000, 9_999, 10_000, 2_000_000] {
            recorder.record(&sample(Duration::from_micros(us)));
        }
        let stats = recorder.since_start();
        let below = |ms| stats.count_below(Duration::from_millis(ms));
        // 2 significant digits: 9,999 µs shares the bucket of 10 ms, so it counts at or above.
        assert_eq!(
            [below(1), below(10), below(100), below(5_000)],
            [2, 3, 5, 6]
        );
        assert_eq!(stats.count_below(Duration::ZERO), 0);
    }

    /// A writer records while a reader takes as fast as it can: every sample lands in exactly
    /// one window, whole (its count, sum, min/max and threshold count together).
    #[test]
    fn concurrent_takes_never_lose_or_split_a_sample() {
        const N: u64 = 200_000;
        let lag = Duration::from_micros(1_500);
        let recorder = Arc::new(Recorder::new(Duration::from_millis(1)));
        let done = Arc::new(AtomicBool::new(false));
        let reader = {
            let (recorder, done) = (recorder.clone(), done.clone());
            std::thread::spawn(move || {
                let mut windows = Vec::new();
                while !done.load(SeqCst) {
                    windows.push(recorder.take());
                }
                windows
            })
        };
        let at = Utc::now();
        for _ in 0..N {
            recorder.record(&Sample::new(lag, 0, at));
        }
        done.store(true, SeqCst);
        let mut windows = reader.join().unwrap();
        windows.push(recorder.take());
        let non_empty = windows.iter().filter(|w| w.count() > 0).count();
        assert!(
            non_empty >= 2,
            "the reader should have interleaved with the writer"
        );
        for w in &windows {
            assert_eq!(w.sum_nanos, u128::from(w.count()) * lag.as_nanos());
            assert_eq!(w.over_threshold(), w.count());
            if w.count() > 0 {
                assert_eq!((w.min(), w.max()), (lag, lag));
            }
        }
        assert_eq!(windows.iter().map(LagStats::count).sum::<u64>(), N);
        assert_eq!(recorder.since_start().count(), N);
    }
}
