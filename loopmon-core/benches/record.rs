//! What recording one sample into a monitor's lag statistics costs: the probe pays it once per
//! tick. `cargo bench -p loopmon-core --bench record`.
//!
//! Three figures, in nanoseconds per sample: the bare histogram's `record` (the floor), the
//! recorder alone, and the recorder while another thread calls `take_stats` in a loop (the
//! worst case for the probe: every take swaps the halves under it).

use loopmon_core::__bench::{Histogram, Recorder};
use loopmon_core::Sample;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SAMPLES: u32 = 5_000_000;
const ROUNDS: usize = 5;

/// A spread of lags: mostly idle, some milliseconds, a few stalls.
fn lag(i: u32) -> Duration {
    match i % 1000 {
        0 => Duration::from_millis(300),
        1..=9 => Duration::from_micros(1_500 + u64::from(i % 7) * 100),
        _ => Duration::from_nanos(u64::from(i % 97) * 1_000),
    }
}

/// The best of `ROUNDS` runs of `f`, in nanoseconds per sample.
fn best(mut f: impl FnMut()) -> f64 {
    (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_nanos() as f64 / f64::from(SAMPLES)
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let at = chrono::Utc::now();
    let samples: Vec<Sample> = (0..1024).map(|i| Sample::new(lag(i), 10, at)).collect();

    let mut histogram = Histogram::new();
    let floor = best(|| {
        for i in 0..SAMPLES {
            let lag = samples[i as usize % 1024].lag;
            histogram.record(black_box(lag.as_nanos() as u64));
        }
    });

    let recorder = Recorder::new(Duration::from_millis(100));
    let alone = best(|| {
        for i in 0..SAMPLES {
            recorder.record(black_box(&samples[i as usize % 1024]));
        }
    });

    let recorder = Arc::new(Recorder::new(Duration::from_millis(100)));
    let stop = Arc::new(AtomicBool::new(false));
    let takes = Arc::new(AtomicU64::new(0));
    let reader = {
        let (recorder, stop, takes) = (recorder.clone(), stop.clone(), takes.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                black_box(recorder.take());
                takes.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let contended = best(|| {
        for i in 0..SAMPLES {
            recorder.record(black_box(&samples[i as usize % 1024]));
        }
    });
    stop.store(true, Ordering::Relaxed);
    reader.join().unwrap();

    println!("samples per run: {SAMPLES}, best of {ROUNDS}");
    println!("histogram record (floor):           {floor:6.1} ns/sample");
    println!("recorder, alone:                    {alone:6.1} ns/sample");
    println!(
        "recorder, take_stats in a loop:     {contended:6.1} ns/sample ({} takes)",
        takes.load(Ordering::Relaxed)
    );
}
