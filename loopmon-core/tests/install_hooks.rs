//! A runtime built by hand with `install_hooks`: a worker stuck from its very first poll (before
//! the probe could run on it) is named by its thread id, and looked at.

use loopmon_core::{SleepMonitor, Stall, StallKind};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[test]
fn a_worker_stuck_from_the_start_is_named_on_a_hooked_runtime() {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    loopmon_core::install_hooks(&mut builder)
        .worker_threads(2)
        .enable_all();
    let rt = builder.build().unwrap();
    let stalls = Arc::new(Mutex::new(Vec::new()));
    let log = stalls.clone();
    let monitor = SleepMonitor::builder()
        .interval(Duration::from_secs(1)) // the probe runs once, on one worker, at most
        .stall_threshold(Duration::from_millis(100))
        .on_stall(move |s: &Stall| log.lock().unwrap().push(s.clone()))
        .build()
        .unwrap()
        .install(rt.handle());
    let tid = rt
        .block_on(rt.spawn(async {
            let tid = std::fs::read_link("/proc/thread-self")
                .ok()
                .and_then(|l| l.file_name()?.to_str()?.parse::<u32>().ok());
            // Long enough for the watchdog's first look, which parses the binary's tables (up
            // to a second in a debug build on a loaded machine).
            std::thread::sleep(Duration::from_millis(1500));
            tid
        }))
        .unwrap();
    std::thread::sleep(Duration::from_millis(50));
    monitor.stop();
    let stalls = stalls.lock().unwrap();
    let started: Vec<&Stall> = stalls
        .iter()
        .filter(|s| s.kind == StallKind::Started && s.worker.is_some())
        .collect();
    assert_eq!(started.len(), 1, "{stalls:?}");
    if cfg!(target_os = "linux") {
        assert_eq!(started[0].thread_id, tid, "{}", started[0]);
        let snapshot = started[0].snapshot.as_ref().expect("looked at");
        assert_eq!(snapshot.activity, loopmon_core::ThreadActivity::Sleeping);
    }
}
