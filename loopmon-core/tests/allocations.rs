//! The per-tick path allocates nothing, with no callback or with callbacks of every form: an
//! async callback runs in one task spawned when the monitor starts, not in a task per tick.

use chrono::{DateTime, Utc};
use loopmon_core::{Sample, SleepMonitor};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

// Counts every allocation in the process; the runtime below is the only thing running.
#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Held by each test for its whole run: the counter is process-wide, so the tests take turns.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Allocations during `window` of an otherwise idle runtime, and the ticks taken meanwhile.
fn allocations_over(monitor: SleepMonitor, window: Duration) -> (u64, u64) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let h = monitor.start();
        // Warm up: the first ticks set up the timer entry and the runtime's buffers.
        tokio::time::sleep(Duration::from_millis(30)).await;
        let sleep = tokio::time::sleep(window);
        let (region, t0) = (Region::new(GLOBAL), h.ticks());
        sleep.await;
        let (change, t1) = (region.change(), h.ticks());
        h.stop();
        ((change.allocations + change.reallocations) as u64, t1 - t0)
    })
}

#[test]
fn no_allocation_per_tick() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let interval = Duration::from_millis(1);
    let bare = SleepMonitor::builder().interval(interval).build().unwrap();
    let (allocs, ticks) = allocations_over(bare, Duration::from_millis(200));
    assert!(ticks >= 100, "only {ticks} ticks");
    assert_eq!(
        allocs, 0,
        "{allocs} allocations over {ticks} ticks without callbacks"
    );

    // A synchronous callback runs inline: still nothing allocated per tick.
    let sync = SleepMonitor::builder()
        .interval(interval)
        .callback(|s: &Sample| assert!(s.lag < Duration::from_secs(60)))
        .build()
        .unwrap();
    let (allocs, ticks) = allocations_over(sync, Duration::from_millis(200));
    assert!(ticks >= 100, "only {ticks} ticks");
    assert_eq!(
        allocs, 0,
        "{allocs} allocations over {ticks} ticks with a sync callback"
    );

    // Statistics are always on. With the exports on too (nothing installed to receive them),
    // and every nonzero lag over the report threshold: still nothing.
    #[cfg(any(feature = "metrics", feature = "tracing"))]
    {
        let builder = SleepMonitor::builder()
            .interval(interval)
            .report_threshold(Duration::ZERO);
        #[cfg(feature = "metrics")]
        let builder = builder.metrics(true);
        #[cfg(feature = "tracing")]
        let builder = builder.trace_samples(true);
        let (allocs, ticks) =
            allocations_over(builder.build().unwrap(), Duration::from_millis(200));
        assert!(ticks >= 100, "only {ticks} ticks");
        assert_eq!(
            allocs, 0,
            "{allocs} allocations over {ticks} ticks with exports"
        );
    }

    // The counter does see allocations: a callback that allocates on every tick.
    let allocating = SleepMonitor::builder()
        .interval(interval)
        .callback(|s: &Sample| drop(std::hint::black_box(vec![s.tick; 4])))
        .build()
        .unwrap();
    let (allocs, ticks) = allocations_over(allocating, Duration::from_millis(100));
    assert!(ticks >= 50, "only {ticks} ticks");
    assert!(allocs >= ticks, "{allocs} allocations over {ticks} ticks");
}

static ORIGINAL_FORM_CALLS: AtomicU64 = AtomicU64::new(0);
static SAMPLE_FORM_CALLS: AtomicU64 = AtomicU64::new(0);

async fn original_form(lag: Duration, _tasks: usize, _at: DateTime<Utc>) {
    assert!(lag < Duration::from_secs(60));
    ORIGINAL_FORM_CALLS.fetch_add(1, Ordering::Relaxed);
}

async fn sample_form(s: Sample) {
    assert!(s.lag < Duration::from_secs(60));
    // A delivery that suspends once: its future is polled twice, still inline in the task.
    tokio::task::yield_now().await;
    SAMPLE_FORM_CALLS.fetch_add(1, Ordering::Relaxed);
}

#[test]
fn async_callbacks_allocate_nothing_per_tick() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let interval = Duration::from_millis(1);
    let builder = || SleepMonitor::builder().interval(interval);
    for (form, calls, builder) in [
        (
            "async fn(Duration, usize, DateTime<Utc>)",
            &ORIGINAL_FORM_CALLS,
            builder().callback(original_form),
        ),
        (
            "async fn(Sample)",
            &SAMPLE_FORM_CALLS,
            builder().callback(sample_form),
        ),
    ] {
        let before = calls.load(Ordering::Relaxed);
        let (allocs, ticks) =
            allocations_over(builder.build().unwrap(), Duration::from_millis(200));
        let delivered = calls.load(Ordering::Relaxed) - before;
        assert!(ticks >= 100, "{form}: only {ticks} ticks");
        // The deliveries did run (most of them: a busy callback skips a sample).
        assert!(
            delivered >= ticks / 2,
            "{form}: {delivered} deliveries, {ticks} ticks"
        );
        assert_eq!(allocs, 0, "{form}: {allocs} allocations over {ticks} ticks");
    }
}
