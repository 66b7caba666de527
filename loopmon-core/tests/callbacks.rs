//! The callback registry: every form, skipping a busy callback, containing panics.

mod common;

use chrono::{DateTime, Utc};
use common::{ms, Recorder};
use loopmon_core::{Sample, SleepMonitor};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

static ORIGINAL_CALLS: AtomicUsize = AtomicUsize::new(0);

async fn original_form(lag: Duration, tasks: usize, at: DateTime<Utc>) {
    assert!(lag < Duration::from_secs(5) && tasks < 1000 && at <= Utc::now());
    ORIGINAL_CALLS.fetch_add(1, Ordering::SeqCst);
}

#[tokio::test(flavor = "current_thread")]
async fn the_original_form_works_unchanged() {
    let h = loopmon_core::create(ms(10), original_form);
    tokio::time::sleep(ms(60)).await;
    h.stop();
    assert!(ORIGINAL_CALLS.load(Ordering::SeqCst) >= 3);
    assert_eq!(h.panics(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_form_is_registered_the_same_way() {
    let by_value = Arc::new(AtomicUsize::new(0));
    let closure = Arc::new(AtomicUsize::new(0));
    let rec = Recorder::default();
    let (v, c) = (by_value.clone(), closure.clone());
    let h = SleepMonitor::builder()
        .interval(ms(10))
        .callback(move |_s: Sample| {
            let v = v.clone();
            async move {
                v.fetch_add(1, Ordering::SeqCst);
            }
        })
        .callback(move |_lag: Duration, _tasks: usize, _at: DateTime<Utc>| {
            let c = c.clone();
            async move {
                c.fetch_add(1, Ordering::SeqCst);
            }
        })
        .callback(rec.callback())
        .build()
        .unwrap()
        .start();
    tokio::time::sleep(ms(80)).await;
    h.stop();
    tokio::time::sleep(ms(100)).await;
    let ticks = h.ticks() as usize;
    assert!(ticks >= 4);
    assert_eq!(rec.len(), ticks);
    // Async deliveries run as their own tasks; all of them have finished by now. On a loaded
    // machine a delivery may still be running when the next sample comes: that one is skipped.
    let delivered = by_value.load(Ordering::SeqCst) + closure.load(Ordering::SeqCst);
    assert_eq!(delivered + h.skipped() as usize, 2 * ticks);
    assert!(
        delivered >= ticks,
        "{delivered} deliveries for {ticks} ticks"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_slow_callback_is_skipped_and_counted_not_piled_up() {
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (r, m) = (running.clone(), most.clone());
    let rec = Recorder::default();
    let h = SleepMonitor::builder()
        .interval(ms(10))
        .callback(move |_s: Sample| {
            let (r, m) = (r.clone(), m.clone());
            async move {
                let now = r.fetch_add(1, Ordering::SeqCst) + 1;
                m.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(ms(45)).await;
                r.fetch_sub(1, Ordering::SeqCst);
            }
        })
        .callback(rec.callback())
        .build()
        .unwrap()
        .start();
    tokio::time::sleep(ms(300)).await;
    h.stop();
    assert_eq!(most.load(Ordering::SeqCst), 1, "deliveries overlapped");
    assert!(h.skipped() >= 10, "skipped {}", h.skipped());
    // The slow callback does not delay the probe: no sample is late by its 45 ms.
    assert!(rec.max_lag() < ms(30), "probe delayed: {:?}", rec.max_lag());
    assert!(h.ticks() >= 20);
}

#[tokio::test(flavor = "current_thread")]
async fn panicking_callbacks_are_contained_and_counted() {
    let rec = Recorder::default();
    let h = SleepMonitor::builder()
        .interval(ms(10))
        .callback(|s: &Sample| {
            if s.tick % 2 == 0 {
                panic!("sync callback fails on even ticks")
            }
        })
        .callback(|_s: Sample| async { panic!("async callback always fails") })
        .callback(rec.callback())
        .build()
        .unwrap()
        .start();
    // Each panic runs the panic hook (which may capture a backtrace): give it time.
    tokio::time::sleep(ms(300)).await;
    h.stop();
    tokio::time::sleep(ms(20)).await;
    let ticks = h.ticks();
    assert!(ticks >= 3, "{ticks} ticks");
    assert!(!h.is_running());
    // The recorder after the panicking callbacks still saw every sample.
    assert_eq!(rec.len() as u64, ticks);
    let sync_panics = ticks.div_ceil(2);
    // The async callback panics on each delivery; a sample that came while one was still being
    // unwound skipped it (counted).
    assert_eq!(h.panics() + h.skipped(), sync_panics + ticks);
    assert!(h.panics() > sync_panics);
}

#[tokio::test(flavor = "current_thread")]
async fn callback_tasks_are_loopmon_s_own_and_end_with_the_monitor() {
    let rec = Recorder::default();
    let h = SleepMonitor::builder()
        .interval(ms(10))
        .callback(|_s: Sample| async {})
        .callback(|_l: Duration, _t: usize, _a: DateTime<Utc>| async {})
        .callback(rec.callback())
        .build()
        .unwrap()
        .start();
    let metrics = tokio::runtime::Handle::current().metrics();
    // The probe and one task per async callback, spawned when the monitor starts.
    assert_eq!(metrics.num_alive_tasks(), 3);
    tokio::time::sleep(ms(60)).await;
    let user_task = tokio::spawn(std::future::pending::<()>());
    tokio::time::sleep(ms(40)).await;
    h.stop();
    let seen: Vec<usize> = rec.samples().iter().map(|s| s.tasks).collect();
    assert!(seen.len() >= 6, "{seen:?}");
    // None of loopmon's tasks is counted; the user's one is, once it exists.
    assert!(seen.iter().all(|&t| t <= 1), "{seen:?}");
    assert_eq!(seen.last(), Some(&1), "{seen:?}");
    // stop() wakes the callbacks' tasks, and they end.
    tokio::time::sleep(ms(20)).await;
    assert_eq!(metrics.num_alive_tasks(), 1);
    user_task.abort();
}

#[test]
fn async_callbacks_run_on_a_runtime_installed_from_another_thread() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let h = SleepMonitor::builder()
        .interval(ms(5))
        .callback(move |_s: Sample| {
            let c = c.clone();
            async move {
                c.fetch_add(1, Ordering::SeqCst);
            }
        })
        .build()
        .unwrap()
        .install(rt.handle());
    std::thread::sleep(ms(100));
    h.stop();
    let after_stop = calls.load(Ordering::SeqCst);
    assert!(after_stop >= 5, "{after_stop} deliveries");
    // stop() ended the probe and woke the callback's task, which ends (generous on a loaded
    // machine); no delivery started meanwhile.
    let waited = std::time::Instant::now();
    while rt.metrics().num_alive_tasks() > 0 && waited.elapsed() < ms(5000) {
        std::thread::sleep(ms(5));
    }
    assert_eq!(rt.metrics().num_alive_tasks(), 0);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        after_stop,
        "a delivery after stop()"
    );
    // Runtime shutdown with a monitor running ends it quietly.
    let h = SleepMonitor::builder()
        .interval(ms(5))
        .callback(|_s: Sample| async {})
        .build()
        .unwrap()
        .install(rt.handle());
    std::thread::sleep(ms(20));
    drop(rt);
    assert!(!h.is_running());
}

#[test]
fn no_async_delivery_starts_once_stop_has_returned() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for round in 0..40u64 {
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let h = SleepMonitor::builder()
            .interval(ms(1))
            .stall_watchdog(false)
            .callback(move |_s: Sample| {
                let c = c.clone();
                // A slow call before the body: a stop() often lands in the delivery's start.
                std::thread::sleep(Duration::from_micros(300));
                async move {
                    c.fetch_add(1, Ordering::SeqCst);
                }
            })
            .build()
            .unwrap()
            .install(rt.handle());
        // Stop at various points of the 1 ms interval, from outside the runtime.
        std::thread::sleep(Duration::from_micros(3000 + round * 137));
        h.stop();
        let at_stop = calls.load(Ordering::SeqCst);
        std::thread::sleep(ms(5));
        assert_eq!(calls.load(Ordering::SeqCst), at_stop, "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_callback_may_stop_its_own_monitor() {
    let handle = Arc::new(std::sync::OnceLock::<loopmon_core::MonitorHandle>::new());
    let theirs = handle.clone();
    let h = SleepMonitor::builder()
        .interval(ms(5))
        .callback(move |_s: Sample| {
            let theirs = theirs.clone();
            // In the first poll of the delivery, before any await.
            async move {
                if let Some(h) = theirs.get() {
                    h.stop();
                }
            }
        })
        .build()
        .unwrap()
        .start();
    handle.set(h.clone()).unwrap();
    let waited = std::time::Instant::now();
    while h.is_running() && waited.elapsed() < ms(5000) {
        tokio::time::sleep(ms(5)).await;
    }
    assert!(!h.is_running());
}
