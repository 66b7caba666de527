//! loopmon's clock thread: one per process, shared by every probe that waits on it (intervals
//! of 10 ms and more, and any interval under a paused clock), started with the first and ended
//! with the last, whether the monitor stops or its runtime is dropped.
//!
//! One test in this binary, so that no other monitor shares the process.

mod common;

use common::{threads_named, wait_until};
use loopmon_core::SleepMonitor;
use std::time::Duration;

const MS: Duration = Duration::from_millis(1);

/// Threads of this process named like the clock thread.
fn clocks() -> usize {
    threads_named("loopmon-clock")
}

fn monitor(interval: Duration) -> SleepMonitor {
    SleepMonitor::builder()
        .interval(interval)
        .stall_watchdog(false)
        .build()
        .unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn one_clock_thread_serves_every_probe_and_ends_with_the_last() {
    assert_eq!(clocks(), 0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // Below 10 ms on a running clock: tokio's timer, no clock thread.
    let fast = monitor(5 * MS).install(rt.handle());
    assert!(wait_until(Duration::from_secs(5), || fast.ticks() >= 3));
    assert_eq!(clocks(), 0, "a 5 ms probe started the clock thread");
    // Two probes at 10 ms and more, on two runtimes (one without tokio's timer): one thread
    // for both, and both tick.
    let other = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let a = monitor(10 * MS).install(rt.handle());
    let b = monitor(20 * MS).install(other.handle());
    assert!(wait_until(Duration::from_secs(10), || a.ticks() >= 5 && b.ticks() >= 5));
    assert_eq!(clocks(), 1);
    // Ends when the last of them ends: one stopped, the other's runtime dropped.
    a.stop();
    assert_eq!(clocks(), 1, "the other probe still waits on it");
    drop(other);
    assert!(!b.is_running());
    fast.stop();
    drop(rt);
    assert!(
        wait_until(Duration::from_secs(2), || clocks() == 0),
        "the clock thread outlived every probe"
    );
    // And a new probe starts it again.
    let rt = tokio::runtime::Builder::new_current_thread()
        .start_paused(true)
        .enable_all()
        .build()
        .unwrap();
    let paused = rt.block_on(async {
        let h = monitor(5 * MS).start();
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            std::thread::sleep(50 * MS);
            let _ = tx.send(());
        });
        rx.await.unwrap();
        h
    });
    assert!(paused.ticks() >= 3, "{} ticks", paused.ticks());
    assert_eq!(clocks(), 1, "under a paused clock even 5 ms probes use it");
    drop(rt);
    assert!(wait_until(Duration::from_secs(2), || clocks() == 0));
}
