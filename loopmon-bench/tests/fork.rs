//! A monitor started in a child made by `fork()` (as pre-fork servers do) while the parent's
//! stall watchdog runs still reports stalls: the child starts a watchdog of its own.
//!
//! `fork()` needs `unsafe`, which loopmon itself forbids; the benchmark crate allows it in
//! audited places, so the test lives here. `harness = false`: one thread forks, not a test
//! runner's worker among others.

#![allow(unsafe_code)] // fork and waitpid, each with a SAFETY comment

use loopmon::{SleepMonitor, Stall, StallKind};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Blocks a `current_thread` runtime for 300 ms under a monitor with a 100 ms stall threshold;
/// returns the stall reports.
fn stalls_of_a_blocked_runtime() -> Vec<StallKind> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let reports = log.clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let monitor = SleepMonitor::builder()
            .interval(Duration::from_millis(10))
            .stall_threshold(Duration::from_millis(100))
            .on_stall(move |s: &Stall| reports.lock().unwrap().push(s.kind))
            .build()
            .unwrap()
            .start();
        tokio::time::sleep(Duration::from_millis(30)).await;
        std::thread::sleep(Duration::from_millis(300));
        tokio::time::sleep(Duration::from_millis(50)).await;
        monitor.stop();
    });
    let kinds = log.lock().unwrap().clone();
    kinds
}

fn main() {
    // The parent's monitor keeps the watchdog thread running across the fork.
    let parent = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let monitor = SleepMonitor::builder()
        .build()
        .unwrap()
        .install(parent.handle());
    std::thread::sleep(Duration::from_millis(50));

    // SAFETY: `fork` has no memory-safety preconditions; in the child only this thread exists,
    // and it holds no lock of the allocator or of loopmon at this point (the other threads are
    // parked in the kernel).
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let kinds = stalls_of_a_blocked_runtime();
        let ok = kinds == [StallKind::Started, StallKind::Ended];
        if !ok {
            eprintln!("child: stall reports {kinds:?}");
        }
        std::process::exit(if ok { 0 } else { 1 });
    }
    let mut status = 0;
    // SAFETY: `status` is a valid place for `waitpid` to write the child's status.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(waited, pid);
    monitor.stop();
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the child's monitor reported no stall (status {status})"
    );
    println!("fork: 1 passed, 0 failed");
}
