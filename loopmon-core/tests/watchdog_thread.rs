//! The watchdog thread starts with the first watching monitor and ends with the last one,
//! including when a monitor stops or its runtime shuts down in the middle of a stall.
//!
//! One test in this binary, so that no other monitor shares the process.

mod common;

use common::{threads_named, wait_until};
use loopmon_core::{SleepMonitor, Stall, StallKind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const MS: Duration = Duration::from_millis(1);

/// Threads of this process named like the watchdog.
fn watchdogs() -> usize {
    threads_named("loopmon-watchdo")
}

fn counting(started: &Arc<AtomicU64>, ended: &Arc<AtomicU64>) -> SleepMonitor {
    let (s, e) = (started.clone(), ended.clone());
    SleepMonitor::builder()
        .interval(10 * MS)
        .stall_threshold(100 * MS)
        .on_stall(move |stall: &Stall| {
            let count = if stall.kind == StallKind::Started {
                &s
            } else {
                &e
            };
            count.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn the_watchdog_thread_lives_only_while_a_monitor_watches() {
    assert_eq!(watchdogs(), 0);
    let (started, ended) = (Arc::default(), Arc::default());

    // One thread for two monitors; it ends when the last one stops.
    let rt = runtime();
    let a = counting(&started, &ended).install(rt.handle());
    let b = counting(&started, &ended).install(rt.handle());
    // The thread names itself once it runs.
    assert!(wait_until(1000 * MS, || watchdogs() == 1));
    a.stop();
    std::thread::sleep(20 * MS);
    assert_eq!(watchdogs(), 1, "still watching `b`: {:?}", b);
    b.stop();
    assert!(
        wait_until(1000 * MS, || watchdogs() == 0),
        "watchdog left running"
    );

    // Stopped in the middle of a stall: no end report, no thread left.
    let handle = counting(&started, &ended).install(rt.handle());
    std::thread::sleep(30 * MS);
    let blocker = rt.spawn(async { std::thread::sleep(500 * MS) });
    assert!(wait_until(2000 * MS, || started.load(Ordering::SeqCst) >= 1));
    handle.stop();
    assert!(
        wait_until(1000 * MS, || watchdogs() == 0),
        "watchdog left running"
    );
    let ended_at_stop = ended.load(Ordering::SeqCst);
    rt.block_on(blocker).unwrap();
    std::thread::sleep(50 * MS);
    assert_eq!(
        ended.load(Ordering::SeqCst),
        ended_at_stop,
        "reported after stop"
    );

    // The runtime shuts down in the middle of a stall: no panic, no thread left.
    let handle = counting(&started, &ended).install(rt.handle());
    std::thread::sleep(30 * MS);
    let before = started.load(Ordering::SeqCst);
    drop(rt.spawn(async { std::thread::sleep(500 * MS) }));
    assert!(wait_until(2000 * MS, || started.load(Ordering::SeqCst) > before));
    rt.shutdown_background();
    assert!(wait_until(1000 * MS, || !handle.is_running()));
    assert!(
        wait_until(1000 * MS, || watchdogs() == 0),
        "watchdog left running"
    );
    assert_eq!(handle.panics(), 0);
}
