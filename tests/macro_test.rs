//! `#[loopmon::test]`: tokio's arguments, the `max_lag` guard, and the paused clock.

use loopmon::Sample;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::runtime::{Handle, RuntimeFlavor};

#[loopmon::test]
async fn bare_runs_on_current_thread() {
    assert_eq!(
        Handle::current().runtime_flavor(),
        RuntimeFlavor::CurrentThread
    );
    tokio::time::sleep(Duration::from_millis(10)).await;
}

#[loopmon::test(flavor = "multi_thread", worker_threads = 3, name = "watched")]
async fn tokio_arguments_pass_through() {
    let handle = Handle::current();
    assert_eq!(handle.runtime_flavor(), RuntimeFlavor::MultiThread);
    assert_eq!(handle.metrics().num_workers(), 3);
}

static TICKS: AtomicU64 = AtomicU64::new(0);

fn count(_: &Sample) {
    TICKS.fetch_add(1, Ordering::Relaxed);
}

#[loopmon::test(interval = "10ms", callback = count)]
async fn the_callback_gets_one_sample_per_interval() {
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ticks = TICKS.load(Ordering::Relaxed);
    assert!(
        (10..=31).contains(&ticks),
        "{ticks} ticks in 300 ms at 10 ms"
    );
}

// The guard: a blocking call in the body, on both flavors.

#[loopmon::test(max_lag = "100ms")]
#[should_panic(expected = "more than `max_lag` of 100ms: a blocking call")]
async fn the_guard_fails_a_test_that_blocks() {
    tokio::time::sleep(Duration::from_millis(20)).await;
    std::thread::sleep(Duration::from_millis(400));
}

#[loopmon::test(max_lag = "100ms", interval = "20ms")]
#[should_panic(expected = "loopmon summary: ")]
async fn the_guard_failure_carries_the_summary() {
    tokio::time::sleep(Duration::from_millis(50)).await;
    std::thread::sleep(Duration::from_millis(300));
    tokio::time::sleep(Duration::from_millis(50)).await;
}

#[loopmon::test(max_lag = "100ms", flavor = "multi_thread")]
#[should_panic(expected = "more than `max_lag` of 100ms")]
async fn the_guard_fails_a_test_that_blocks_on_multi_thread() {
    std::thread::sleep(Duration::from_millis(400));
}

// A task the test spawns blocks the runtime: the probe sees it.
#[loopmon::test(max_lag = "100ms", interval = "20ms")]
#[should_panic(expected = "the runtime lagged")]
async fn the_guard_sees_a_spawned_task_that_blocks() {
    tokio::spawn(async { std::thread::sleep(Duration::from_millis(400)) });
    tokio::time::sleep(Duration::from_millis(600)).await;
}

// The same, with the block right before the end: no sample could show it yet.
#[loopmon::test(max_lag = "100ms", interval = "20ms")]
#[should_panic(expected = "the runtime lagged")]
async fn the_guard_sees_a_block_just_before_the_end() {
    let task = tokio::spawn(async { std::thread::sleep(Duration::from_millis(400)) });
    task.await.unwrap();
}

#[loopmon::test(max_lag = "250ms", interval = "10ms")]
async fn the_guard_passes_a_test_that_does_not_block() {
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        tokio::task::yield_now().await;
    }
}

#[loopmon::test(max_lag = "250ms", flavor = "multi_thread")]
async fn the_guard_works_with_result() -> Result<(), std::num::ParseIntError> {
    let n: u32 = "42".parse()?;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(n, 42);
    Ok(())
}

#[loopmon::test(max_lag = "250ms")]
#[should_panic(expected = "the test's own panic")]
async fn the_guard_keeps_the_tests_own_panic() {
    tokio::time::sleep(Duration::from_millis(10)).await;
    panic!("the test's own panic");
}

// The paused clock: behaves as without loopmon.

static PAUSED_LAGS: Mutex<Vec<Duration>> = Mutex::new(Vec::new());

fn record_paused(sample: &Sample) {
    PAUSED_LAGS.lock().unwrap().push(sample.lag);
}

// Bogus lag from virtual time would read seconds (the clock jumps 600 s); the bounds below only
// leave room for a busy machine.
#[loopmon::test(start_paused = true, interval = "10ms", max_lag = "250ms", callback = record_paused)]
async fn the_paused_clock_is_left_alone() {
    let real = Instant::now();
    let virtual_start = tokio::time::Instant::now();
    tokio::time::sleep(Duration::from_secs(600)).await;
    assert!(virtual_start.elapsed() >= Duration::from_secs(600));
    assert!(
        real.elapsed() < Duration::from_secs(5),
        "{:?}",
        real.elapsed()
    );

    // A running `spawn_blocking` stops auto-advance; the probe must not advance the clock
    // either, or the timeout would fire (it does with a probe on tokio's timer).
    let virtual_before = tokio::time::Instant::now();
    let work = tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_millis(300)));
    let done = tokio::time::timeout(Duration::from_secs(1), work).await;
    assert!(done.is_ok(), "the timeout fired: the virtual clock moved");
    assert!(virtual_before.elapsed() < Duration::from_secs(1));

    // The probe ran in real time meanwhile, and saw no lag.
    let lags = PAUSED_LAGS.lock().unwrap().clone();
    assert!(
        lags.len() >= 5,
        "{} samples in 300 ms of real time",
        lags.len()
    );
    assert!(
        lags.iter().all(|l| *l < Duration::from_millis(50)),
        "{lags:?}"
    );
}

// The stall keys reach the watchdog.

static STALLS: std::sync::Mutex<Vec<loopmon::Stall>> = std::sync::Mutex::new(Vec::new());

fn record_stall(stall: &loopmon::Stall) {
    STALLS.lock().unwrap().push(stall.clone());
}

#[loopmon::test(interval = "10ms", stall_threshold = "100ms", on_stall = record_stall)]
async fn the_stall_keys_reach_the_watchdog() {
    tokio::time::sleep(Duration::from_millis(20)).await;
    std::thread::sleep(Duration::from_millis(400));
    // Reported from the watchdog thread while the body still blocked.
    let stalls = STALLS.lock().unwrap().clone();
    assert!(
        stalls.iter().any(|s| s.kind == loopmon::StallKind::Started),
        "{stalls:?}"
    );
}

#[cfg(feature = "metrics")]
#[loopmon::test(metrics = true)]
async fn the_metrics_key_compiles_with_the_feature() {
    tokio::time::sleep(Duration::from_millis(5)).await;
}
