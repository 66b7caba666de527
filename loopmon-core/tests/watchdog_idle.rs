//! What the watchdog costs while a `current_thread` runtime is left undriven between two
//! `block_on` calls: its probe is overdue the whole time, and the watchdog backs off instead of
//! looking every few milliseconds.
//!
//! One test in this binary, so that no other monitor shares the process's watchdog.

use loopmon_core::{SleepMonitor, Stall, StallKind};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The watchdog thread's voluntary context switches so far: its wake-ups (Linux).
fn watchdog_wakeups() -> u64 {
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let path = task.unwrap().path();
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if comm.starts_with("loopmon-watchdo") {
            let status = std::fs::read_to_string(path.join("status")).unwrap();
            let line = status
                .lines()
                .find(|l| l.starts_with("voluntary_ctxt_switches"))
                .unwrap();
            return line.split_whitespace().nth(1).unwrap().parse().unwrap();
        }
    }
    panic!("no watchdog thread");
}

#[cfg(target_os = "linux")]
#[test]
fn an_undriven_runtime_costs_the_watchdog_a_few_wakeups() {
    let stalls = Arc::new(Mutex::new(Vec::new()));
    let log = stalls.clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let handle = rt.block_on(async {
        let handle = SleepMonitor::builder()
            .interval(Duration::from_millis(10))
            .stall_threshold(Duration::from_millis(100))
            .on_stall(move |s: &Stall| log.lock().unwrap().push(s.kind))
            .build()
            .unwrap()
            .start();
        tokio::time::sleep(Duration::from_millis(50)).await;
        handle
    });
    // Nobody drives the runtime for 2 s: at a 10 ms look that would be ~190 wake-ups.
    let before = watchdog_wakeups();
    std::thread::sleep(Duration::from_secs(2));
    let wakeups = watchdog_wakeups() - before;
    assert!(wakeups <= 40, "{wakeups} watchdog wake-ups in 2 s");
    // Driven again: the stall ends, with its length.
    rt.block_on(async { tokio::time::sleep(Duration::from_millis(50)).await });
    let limit = std::time::Instant::now() + Duration::from_secs(3);
    while !stalls.lock().unwrap().contains(&StallKind::Ended) {
        assert!(
            std::time::Instant::now() < limit,
            "{:?}",
            stalls.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    handle.stop();
}
