//! What `#[loopmon::test(max_lag = ..)]` adds to each tick (the test guard's callback and the
//! default reporter) allocates nothing.

use loopmon::__private::Entry;
use std::time::Duration;

#[test]
fn ticks_with_the_guard_and_the_default_reporter_allocate_nothing() {
    // current_thread: the probe ticks on this thread, where allocations are counted.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let running = rt.block_on(async {
        Entry::new(Duration::from_millis(1))
            .max_lag(Duration::from_secs(10))
            .start()
    });
    let handle = running
        .handle()
        .expect("LOOPMON=off in the environment")
        .clone();
    rt.block_on(async { tokio::time::sleep(Duration::from_millis(20)).await }); // warm up
    let ticks = handle.ticks();
    let allocated = allocation_counter::measure(|| {
        rt.block_on(async { tokio::time::sleep(Duration::from_millis(200)).await });
    });
    let ticks = handle.ticks() - ticks;
    assert!(ticks >= 50, "only {ticks} ticks");
    assert_eq!(allocated.count_total, 0, "{allocated:?} in {ticks} ticks");
    // The guard saw those ticks: nothing lagged 10 s, so the body's end passes.
    rt.block_on(running.run(async {}));
    running.finish();
    assert!(!handle.is_running());
}
