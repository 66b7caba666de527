//! The per-tick path allocates nothing when no callback is registered, and only the async
//! deliveries allocate when callbacks are.

use loopmon_core::{Sample, SleepMonitor};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;
use std::time::Duration;

// Counts every allocation in the process; the runtime below is the only thing running.
#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

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

    // The counter does see allocations: each async delivery is a task of its own.
    let async_cb = SleepMonitor::builder()
        .interval(interval)
        .callback(|_s: Sample| async {})
        .build()
        .unwrap();
    let (allocs, ticks) = allocations_over(async_cb, Duration::from_millis(100));
    assert!(
        allocs >= ticks,
        "{allocs} allocations over {ticks} async deliveries"
    );
}
