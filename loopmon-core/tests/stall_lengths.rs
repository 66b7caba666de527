//! `Stall::elapsed` of an ended stall is the stall's length, whatever the interval: measured
//! from the worker's busy time where tokio publishes it, from the probe's run otherwise.

use loopmon_core::{Sample, SleepMonitor, Stall, StallKind};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const MS: Duration = Duration::from_millis(1);

/// The ended stalls a monitor reported.
#[derive(Clone, Default)]
struct Ended(Arc<Mutex<Vec<Stall>>>);

impl Ended {
    fn builder(&self, interval: Duration, threshold: Duration) -> loopmon_core::Builder {
        let log = self.0.clone();
        SleepMonitor::builder()
            .interval(interval)
            .stall_threshold(threshold)
            .on_stall(move |s: &Stall| {
                if s.kind == StallKind::Ended {
                    log.lock().unwrap().push(s.clone());
                }
            })
    }
    fn of(&self, worker: Option<usize>) -> Vec<Duration> {
        let all = self.0.lock().unwrap();
        all.iter()
            .filter(|s| s.worker == worker)
            .map(|s| s.elapsed)
            .collect()
    }
}

/// The bound is 10 ms; a loaded 2-core machine gets a wider margin here (the benchmark
/// `cargo run --release -p loopmon-bench --bin stalls` measures the real error).
fn assert_about(reported: &[Duration], blocked: Duration) {
    assert_eq!(reported.len(), 1, "one ended stall: {reported:?}");
    let got = reported[0];
    assert!(
        got + 30 * MS >= blocked && got <= blocked + 40 * MS,
        "blocked {blocked:?}, reported {got:?}"
    );
}

/// Blocks one worker of `rt` for `d` with a spawned task; returns which worker it was.
fn block_a_worker(rt: &tokio::runtime::Runtime, d: Duration) -> Option<usize> {
    rt.block_on(rt.spawn(async move {
        std::thread::sleep(d);
        tokio::runtime::worker_index()
    }))
    .unwrap()
}

#[test]
fn a_blocking_sync_callback_on_current_thread_is_reported_with_its_length() {
    let ended = Ended::default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let blocked = Arc::new(Mutex::new(false));
        let handle = ended
            .builder(10 * MS, 100 * MS)
            .callback(move |s: &Sample| {
                let mut once = blocked.lock().unwrap();
                if s.tick == 5 && !*once {
                    *once = true;
                    std::thread::sleep(300 * MS);
                }
            })
            .build()
            .unwrap()
            .start();
        tokio::time::sleep(500 * MS).await;
        handle.stop();
    });
    assert_about(&ended.of(Some(0)), 300 * MS);
}

/// At the default 100 ms interval, a 300 ms block starting at any phase of the interval.
#[test]
fn a_stuck_worker_is_reported_with_its_length_at_the_default_interval() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for phase in [0, 37, 71] {
        let ended = Ended::default();
        let handle = ended
            .builder(100 * MS, 100 * MS)
            .build()
            .unwrap()
            .install(rt.handle());
        std::thread::sleep((250 + phase) * MS);
        let worker = block_a_worker(&rt, 300 * MS);
        std::thread::sleep(150 * MS);
        handle.stop();
        assert_about(&ended.of(worker), 300 * MS);
    }
}

#[test]
fn a_blocking_task_on_current_thread_is_reported_with_its_length_at_the_default_interval() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for phase in [0, 37, 71] {
        let ended = Ended::default();
        rt.block_on(async {
            let handle = ended.builder(100 * MS, 100 * MS).build().unwrap().start();
            tokio::time::sleep((250 + phase) * MS).await;
            tokio::spawn(async { std::thread::sleep(300 * MS) })
                .await
                .unwrap();
            tokio::time::sleep(150 * MS).await;
            handle.stop();
        });
        assert_about(&ended.of(Some(0)), 300 * MS);
    }
}

/// `main`'s body (the future `block_on` drives) blocking 300 ms at the default interval: the
/// stall counts from the start of the poll that blocked, and ends when that poll returns.
#[test]
fn a_blocking_body_is_reported_with_its_length_at_the_default_interval() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for phase in [0, 37, 71] {
        let ended = Ended::default();
        let handle =
            rt.block_on(async { ended.builder(100 * MS, 100 * MS).build().unwrap().start() });
        rt.block_on(handle.watch_block_on(async {
            tokio::time::sleep((250 + phase) * MS).await;
            std::thread::sleep(300 * MS);
            tokio::time::sleep(150 * MS).await;
        }));
        handle.stop();
        assert_about(&ended.of(None), 300 * MS);
    }
}

/// The end of a worker's stall seen late (here the watchdog is held by a slow stall callback;
/// in a debug build, by the first parse of the binary's tables): the length is still the
/// stall's, not the time until the watchdog looked.
#[test]
fn a_stall_whose_end_is_seen_late_keeps_its_length() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let ended = Ended::default();
    let handle = ended
        .builder(100 * MS, 100 * MS)
        .on_stall(|s: &Stall| {
            if s.kind == StallKind::Started {
                std::thread::sleep(400 * MS); // the watchdog looks again after the stall ended
            }
        })
        .build()
        .unwrap()
        .install(rt.handle());
    std::thread::sleep(250 * MS);
    let worker = block_a_worker(&rt, 300 * MS);
    std::thread::sleep(400 * MS);
    handle.stop();
    assert_about(&ended.of(worker), 300 * MS);
}
