//! The stalls flow: stalls are reported while they happen, once more when they end, and never
//! for a runtime that is merely busy.

use loopmon_core::{MonitorHandle, SleepMonitor, Stall, StallKind};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const MS: Duration = Duration::from_millis(1);

/// The stalls a monitor reported, with when they were reported.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<(Instant, Stall)>>>);

impl Log {
    fn push(&self, stall: &Stall) {
        self.0.lock().unwrap().push((Instant::now(), stall.clone()));
    }
    fn all(&self) -> Vec<(Instant, Stall)> {
        self.0.lock().unwrap().clone()
    }
    fn of(&self, kind: StallKind) -> Vec<(Instant, Stall)> {
        self.all()
            .into_iter()
            .filter(|(_, s)| s.kind == kind)
            .collect()
    }
    /// How many stalls of `worker` were reported started.
    fn started(&self, worker: Option<usize>) -> usize {
        let started = self.of(StallKind::Started).into_iter();
        started.filter(|(_, s)| s.worker == worker).count()
    }
    /// Waits up to `limit` for a report of `kind`.
    fn wait_for(&self, kind: StallKind, limit: Duration) -> Option<(Instant, Stall)> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(found) = self.of(kind).into_iter().next() {
                return Some(found);
            }
            std::thread::sleep(MS);
        }
        None
    }
}

fn monitor(log: &Log, interval: Duration, threshold: Duration) -> SleepMonitor {
    let log = log.clone();
    SleepMonitor::builder()
        .interval(interval)
        .stall_threshold(threshold)
        .on_stall(move |s: &Stall| log.push(s))
        .build()
        .unwrap()
}

fn multi_thread(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap()
}

/// Asserts one stall of `worker`, ended with about `blocked` in total. Stalls of other threads
/// are ignored: on a loaded machine the OS may keep one off the CPU for longer than the
/// threshold, and that is a stall too.
fn assert_one_stall(
    log: &Log,
    worker: Option<usize>,
    blocked: Duration,
    interval: Duration,
) -> Stall {
    let of = |kind| -> Vec<_> {
        let all = log.of(kind).into_iter();
        all.filter(|(_, s)| s.worker == worker).collect()
    };
    let (started, ended) = (of(StallKind::Started), of(StallKind::Ended));
    assert_eq!(started.len(), 1, "{:?}", log.all());
    assert_eq!(ended.len(), 1, "{:?}", log.all());
    let total = ended[0].1.elapsed;
    assert!(
        total >= blocked - interval - 100 * MS && total <= blocked + interval + 200 * MS,
        "blocked {blocked:?}, reported {total:?}"
    );
    assert_eq!(started[0].1.worker, ended[0].1.worker);
    started[0].1.clone()
}

#[test]
fn a_blocking_task_on_current_thread_is_reported_while_it_blocks() {
    let log = Log::default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let seen_during = rt.block_on({
        let log = log.clone();
        async move {
            let handle = monitor(&log, 10 * MS, 200 * MS).start();
            tokio::time::sleep(50 * MS).await;
            let during = tokio::spawn({
                let log = log.clone();
                async move {
                    std::thread::sleep(600 * MS);
                    // Still inside the blocking poll: the watchdog has already reported it.
                    log.started(Some(0))
                }
            })
            .await
            .unwrap();
            tokio::time::sleep(100 * MS).await;
            handle.stop();
            during
        }
    });
    assert_eq!(
        seen_during,
        1,
        "not reported while blocking: {:?}",
        log.all()
    );
    let stall = assert_one_stall(&log, Some(0), 600 * MS, 10 * MS);
    assert_eq!(
        stall.thread_name.as_deref(),
        std::thread::current().name(),
        "the thread driving the runtime"
    );
}

#[test]
fn a_block_right_after_start_on_current_thread_is_reported() {
    let log = Log::default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let handle = monitor(&log, 10 * MS, 200 * MS).start();
        // Before the probe ever ran: the runtime is running, so it is watched already.
        std::thread::sleep(500 * MS);
        tokio::time::sleep(50 * MS).await;
        handle.stop();
    });
    assert_one_stall(&log, Some(0), 500 * MS, 10 * MS);
}

#[test]
fn a_blocking_call_in_main_body_on_multi_thread_is_reported_while_it_blocks() {
    let log = Log::default();
    let rt = multi_thread(2);
    let handle = monitor(&log, 10 * MS, 200 * MS).install(rt.handle());
    let seen_during = rt.block_on(handle.watch_block_on({
        let log = log.clone();
        async move {
            tokio::time::sleep(50 * MS).await;
            std::thread::sleep(600 * MS);
            let during = log.started(None);
            tokio::time::sleep(100 * MS).await;
            during
        }
    }));
    handle.stop();
    assert_eq!(
        seen_during,
        1,
        "not reported while blocking: {:?}",
        log.all()
    );
    // The block_on thread is no worker.
    let stall = assert_one_stall(&log, None, 600 * MS, 10 * MS);
    assert_eq!(stall.thread_name.as_deref(), std::thread::current().name());
}

#[test]
fn a_body_that_blocks_then_returns_gets_its_end_report_at_stop() {
    let log = Log::default();
    let rt = multi_thread(2);
    let handle = monitor(&log, 10 * MS, 100 * MS).install(rt.handle());
    // `main`'s body blocks, then returns at once: the monitor is stopped right after, before
    // the watchdog's next look (what `#[loopmon::main]` does at the end of `main`).
    rt.block_on(handle.watch_block_on(async {
        tokio::time::sleep(20 * MS).await;
        std::thread::sleep(400 * MS);
    }));
    handle.stop();
    let ended = log.of(StallKind::Ended);
    assert_eq!(ended.len(), 1, "no end report: {:?}", log.all());
    let elapsed = ended[0].1.elapsed;
    assert!(
        elapsed >= 350 * MS && elapsed <= 500 * MS,
        "ended after {elapsed:?}"
    );
}

#[test]
fn every_one_of_several_stalls_is_reported() {
    for flavor in ["current_thread", "block_on"] {
        let log = Log::default();
        let rt = match flavor {
            "current_thread" => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            _ => multi_thread(2),
        };
        let handle = monitor(&log, 10 * MS, 100 * MS).install(rt.handle());
        let log_in = log.clone();
        rt.block_on(handle.watch_block_on(async move {
            for round in 1..=3 {
                tokio::time::sleep(60 * MS).await;
                let block = async { std::thread::sleep(300 * MS) };
                match flavor {
                    "current_thread" => tokio::spawn(block).await.unwrap(),
                    _ => block.await,
                }
                // The end is reported within a few ms once the thread is back.
                let wait = Instant::now();
                while log_in.of(StallKind::Ended).len() < round && wait.elapsed() < 500 * MS {
                    tokio::time::sleep(5 * MS).await;
                }
            }
        }));
        handle.stop();
        assert_eq!(
            log.of(StallKind::Started).len(),
            3,
            "{flavor}: {:?}",
            log.all()
        );
        assert_eq!(
            log.of(StallKind::Ended).len(),
            3,
            "{flavor}: {:?}",
            log.all()
        );
    }
}

#[test]
fn one_stuck_worker_of_two_is_named_while_the_other_idles() {
    let log = Log::default();
    let rt = multi_thread(2);
    let handle = monitor(&log, 10 * MS, 200 * MS).install(rt.handle());
    std::thread::sleep(50 * MS);
    let (stuck, seen_during) = rt
        .block_on(rt.spawn({
            let log = log.clone();
            async move {
                let me = tokio::runtime::worker_index();
                std::thread::sleep(600 * MS);
                (me, log.started(me))
            }
        }))
        .unwrap();
    std::thread::sleep(100 * MS);
    handle.stop();
    assert!(stuck.is_some());
    assert_eq!(
        seen_during,
        1,
        "not reported while blocking: {:?}",
        log.all()
    );
    assert_one_stall(&log, stuck, 600 * MS, 10 * MS);
    let idle = stuck.map(|w| 1 - w);
    let idle_reports = log.all().iter().filter(|(_, s)| s.worker == idle).count();
    assert!(
        idle_reports <= 2,
        "the idle worker reported: {:?}",
        log.all()
    );
}

/// `4 × workers` tasks, each polling for 50 µs at a time, keep every worker busy without
/// parking for `run`: no stall may be reported. (The threshold is 500 ms, well above what the
/// OS of a loaded machine may take from a thread, and still far above the ~3 ms between two
/// publications of a saturated worker's counters.)
fn saturate(rt: &tokio::runtime::Runtime, tasks: usize, run: Duration) {
    rt.block_on(async {
        let end = Instant::now() + run;
        let workers: Vec<_> = (0..tasks)
            .map(|_| {
                tokio::spawn(async move {
                    while Instant::now() < end {
                        let poll = Instant::now();
                        while poll.elapsed() < Duration::from_micros(50) {
                            std::hint::spin_loop();
                        }
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        for w in workers {
            w.await.unwrap();
        }
    });
}

#[test]
fn a_saturated_healthy_multi_thread_runtime_reports_no_stall() {
    let log = Log::default();
    let rt = multi_thread(2);
    let handle = monitor(&log, 10 * MS, 500 * MS).install(rt.handle());
    saturate(&rt, 8, Duration::from_secs(3));
    assert!(handle.ticks() > 20, "the probe ran: {}", handle.ticks());
    handle.stop();
    assert!(log.all().is_empty(), "false stalls: {:?}", log.all());
}

#[test]
fn a_saturated_healthy_current_thread_runtime_reports_no_stall() {
    let log = Log::default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let handle = monitor(&log, 10 * MS, 500 * MS).install(rt.handle());
    saturate(&rt, 4, Duration::from_secs(2));
    handle.stop();
    assert!(log.all().is_empty(), "false stalls: {:?}", log.all());
}

#[test]
fn an_interval_longer_than_the_threshold_is_no_stall() {
    let log = Log::default();
    let rt = multi_thread(2);
    let handle = monitor(&log, 700 * MS, 50 * MS).install(rt.handle());
    let ct = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let ct_handle = monitor(&log, 700 * MS, 50 * MS).install(ct.handle());
    let driver = std::thread::spawn(move || {
        ct.block_on(async { tokio::time::sleep(1600 * MS).await });
    });
    rt.block_on(handle.watch_block_on(async {
        tokio::time::sleep(1600 * MS).await;
    }));
    driver.join().unwrap();
    assert!(handle.ticks() >= 2 && ct_handle.ticks() >= 2);
    handle.stop();
    ct_handle.stop();
    assert!(log.all().is_empty(), "false stalls: {:?}", log.all());
}

#[test]
fn a_panicking_stall_callback_is_contained_and_counted() {
    let log = Log::default();
    let rt = multi_thread(2);
    let handle: MonitorHandle = SleepMonitor::builder()
        .interval(10 * MS)
        .stall_threshold(100 * MS)
        .on_stall(|_: &Stall| panic!("stall callback fails"))
        .on_stall({
            let log = log.clone();
            move |s: &Stall| log.push(s)
        })
        .build()
        .unwrap()
        .install(rt.handle());
    for _ in 0..2 {
        rt.block_on(rt.spawn(async { std::thread::sleep(400 * MS) }))
            .unwrap();
        std::thread::sleep(100 * MS);
    }
    handle.stop();
    // Two stalls at least (more if the OS kept a worker off the CPU), each started and ended;
    // the panicking callback panicked on every report and the other one still got them all.
    let started = log.of(StallKind::Started).len();
    assert!(started >= 2, "{:?}", log.all());
    assert_eq!(log.of(StallKind::Ended).len(), started, "{:?}", log.all());
    assert_eq!(handle.panics(), 2 * started as u64);
    assert_eq!(handle.stalls(), started as u64);
}

#[test]
fn stop_during_a_stall_ends_the_reports() {
    let log = Log::default();
    let rt = multi_thread(2);
    let handle = monitor(&log, 10 * MS, 100 * MS).install(rt.handle());
    std::thread::sleep(30 * MS);
    let blocker = rt.spawn(async { std::thread::sleep(600 * MS) });
    assert!(log.wait_for(StallKind::Started, 2000 * MS).is_some());
    handle.stop();
    let reports_at_stop = log.all().len();
    rt.block_on(blocker).unwrap();
    std::thread::sleep(100 * MS);
    assert_eq!(log.all().len(), reports_at_stop, "reported after stop");
    assert!(!handle.is_running());
}

#[test]
fn stop_from_inside_a_stall_callback_does_not_deadlock() {
    let slot: Arc<Mutex<Option<MonitorHandle>>> = Arc::default();
    let inner = slot.clone();
    let (stopped, stop_returned) = std::sync::mpsc::channel();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let handle = SleepMonitor::builder()
        .interval(10 * MS)
        .stall_threshold(100 * MS)
        .on_stall(move |_s: &Stall| {
            // Meanwhile the stall ends: stop's last look has an end report to deliver.
            std::thread::sleep(100 * MS);
            if let Some(h) = inner.lock().unwrap().take() {
                h.stop();
                stopped.send(()).unwrap();
            }
        })
        .build()
        .unwrap()
        .install(rt.handle());
    *slot.lock().unwrap() = Some(handle.clone());
    rt.block_on(async {
        tokio::time::sleep(30 * MS).await;
        tokio::spawn(async { std::thread::sleep(160 * MS) })
            .await
            .unwrap();
        // Keep the runtime driven, so its probe beats again while the callback runs.
        tokio::time::sleep(300 * MS).await;
    });
    stop_returned
        .recv_timeout(Duration::from_secs(5))
        .expect("stop() called from within on_stall never returned");
    assert!(!handle.is_running());
}

#[test]
fn the_watchdog_can_be_turned_off_and_thresholds_are_checked() {
    let rt = multi_thread(1);
    let handle = SleepMonitor::builder()
        .stall_watchdog(false)
        .build()
        .unwrap()
        .install(rt.handle());
    assert_eq!(handle.stall_threshold(), None);
    let err = SleepMonitor::builder()
        .stall_threshold(Duration::ZERO)
        .build()
        .unwrap_err();
    assert!(err
        .to_string()
        .starts_with("stall threshold of 0ns is shorter than 1ms"));
    let on = SleepMonitor::builder().build().unwrap();
    assert_eq!(
        on.stall_threshold(),
        Some(loopmon_core::DEFAULT_STALL_THRESHOLD)
    );
}

/// Blocks a task on a runtime built with loopmon's poll hooks; checks what the stall report
/// says about the task.
fn culprit_on(mut builder: tokio::runtime::Builder) {
    let log = Log::default();
    let rt = loopmon_core::install_poll_hooks(&mut builder)
        .enable_all()
        .build()
        .unwrap();
    let handle = monitor(&log, 10 * MS, 200 * MS).install(rt.handle());
    rt.block_on(async { tokio::time::sleep(30 * MS).await });
    let line = line!() + 1;
    let task = rt.spawn(async { std::thread::sleep(400 * MS) });
    let id = task.id();
    rt.block_on(task).unwrap();
    std::thread::sleep(50 * MS);
    handle.stop();
    let started = log.of(StallKind::Started);
    assert!(!started.is_empty(), "{:?}", log.all());
    if cfg!(tokio_unstable) {
        let (_, stall) = started
            .iter()
            .find(|(_, s)| s.task.is_some_and(|t| t.id == id))
            .expect("the culprit is named");
        let culprit = stall.task.unwrap();
        assert_eq!(culprit.spawned_at.line(), line);
        assert!(culprit.spawned_at.file().ends_with("stalls.rs"));
        assert!(stall.to_string().contains("stalls.rs"));
    } else {
        assert!(started.iter().all(|(_, s)| s.task.is_none()));
    }
}

/// Under `--cfg tokio_unstable` (`RUSTFLAGS="--cfg tokio_unstable" cargo test`), the poll hooks
/// name the task that blocks and where it was spawned; without it they do nothing.
#[test]
fn the_culprit_task_is_named_where_tokio_has_poll_hooks() {
    let mut multi = tokio::runtime::Builder::new_multi_thread();
    multi.worker_threads(2);
    culprit_on(multi);
    // On current_thread the culprit runs on the thread that drives the runtime.
    let current = tokio::runtime::Builder::new_current_thread();
    let driver = std::thread::spawn(move || culprit_on(current));
    driver.join().unwrap();
}

#[test]
fn block_in_place_is_no_stall() {
    let log = Log::default();
    let rt = multi_thread(2);
    let handle = monitor(&log, 10 * MS, 100 * MS).install(rt.handle());
    let stuck = rt
        .block_on(rt.spawn(async {
            let me = tokio::runtime::worker_index();
            // The sanctioned way to block: tokio hands this worker's queue to another thread.
            tokio::task::block_in_place(|| std::thread::sleep(400 * MS));
            me
        }))
        .unwrap();
    std::thread::sleep(50 * MS);
    handle.stop();
    assert_eq!(log.started(stuck), 0, "{:?}", log.all());
}
