//! Recording statistics (and, with their features, exporting to `metrics` and `tracing` with
//! nothing installed) allocates nothing per sample.

use std::time::Duration;

#[test]
fn ticks_allocate_nothing_with_statistics_on() {
    // current_thread: the probe ticks on this thread, where allocations are counted.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let builder = loopmon::SleepMonitor::builder()
        .interval(Duration::from_millis(1))
        .report_threshold(Duration::ZERO); // every nonzero lag is over it: the warning path runs
    #[cfg(feature = "metrics")]
    let builder = builder.metrics(true);
    #[cfg(feature = "tracing")]
    let builder = builder.trace_samples(true);
    let monitor = builder.build().unwrap().install(rt.handle());
    rt.block_on(async { tokio::time::sleep(Duration::from_millis(20)).await }); // warm up
    let ticks = monitor.ticks();
    let allocated = allocation_counter::measure(|| {
        rt.block_on(async { tokio::time::sleep(Duration::from_millis(200)).await });
    });
    let ticks = monitor.ticks() - ticks;
    monitor.stop();
    assert!(ticks >= 50, "only {ticks} ticks");
    assert_eq!(allocated.count_total, 0, "{allocated:?} in {ticks} ticks");
    assert_eq!(monitor.stats().count(), monitor.ticks());
}
