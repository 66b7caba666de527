//! The statistics and the recorder: exact figures, close percentiles, takes that partition.

use super::*;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
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
    for (q, truth) in [(50.0, 501), (90.0, 901), (99.0, 991)] {
        let (got, truth) = (stats.percentile(q), Duration::from_micros(truth));
        assert!(
            got >= truth && got <= truth + truth / 128,
            "p{q} = {got:?}, want {truth:?}"
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
    // 9,999 µs shares the bucket of 10 ms ([9,961,472, 10,027,008) ns), so it counts at or above.
    assert_eq!(
        [below(1), below(10), below(100), below(5_000)],
        [2, 3, 5, 6]
    );
    assert_eq!(stats.count_below(Duration::ZERO), 0);
}

/// Percentiles of a spread of lags against the sorted samples: the nearest rank, never below,
/// less than 1/128 above.
#[test]
fn percentiles_are_the_nearest_rank_to_within_a_128th() {
    let recorder = Recorder::new(Duration::from_millis(100));
    let mut lags = Vec::new();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..5_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // From nanoseconds to about 17 minutes, every power of two in between.
        let lag = Duration::from_nanos((x >> 24) >> (x % 40));
        recorder.record(&sample(lag));
        lags.push(lag);
    }
    lags.sort();
    let stats = recorder.since_start();
    for q in [
        0.0, 0.01, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 100.0,
    ] {
        let rank = ((q * 5_000.0_f64 / 100.0).ceil() as usize).max(1);
        let (got, truth) = (stats.percentile(q), lags[rank - 1]);
        assert!(
            got >= truth && got <= truth + truth / 128,
            "p{q} = {got:?}, want {truth:?}"
        );
    }
    assert_eq!(
        (stats.percentile(0.0), stats.percentile(100.0)),
        (lags[0], lags[4_999])
    );
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
