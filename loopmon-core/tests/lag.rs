//! What the probe measures: idle ≈ 0, a stall keeps its size, no drift, task counts.

mod common;

use common::{ms, Recorder};
use loopmon_core::{LagSource, SleepMonitor};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "current_thread")]
async fn idle_runtime_reads_about_zero() {
    let rec = Recorder::default();
    let h = rec.monitor(ms(10)).start();
    tokio::time::sleep(ms(500)).await;
    h.stop();
    let lags = rec.lags();
    assert!(lags.len() >= 30, "only {} samples", lags.len());
    // A naive probe reads ~1.1 ms on every tick (tokio rounds deadlines up to the next ms).
    let small = lags
        .iter()
        .filter(|l| **l < Duration::from_micros(500))
        .count();
    assert!(
        small * 2 >= lags.len(),
        "most idle samples should read < 0.5 ms: {lags:?}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_blocking_call_keeps_its_size() {
    let rec = Recorder::default();
    let h = rec.monitor(ms(10)).start();
    tokio::time::sleep(ms(55)).await;
    std::thread::sleep(ms(300));
    tokio::time::sleep(ms(50)).await;
    h.stop();
    let worst = rec.max_lag();
    // A stall of S read by a probe of interval I shows as a lag in [S − I, S] (+ scheduling noise).
    assert!(
        worst >= ms(250) && worst <= ms(600),
        "300 ms block read as {worst:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_thread_sees_all_workers_blocked() {
    let rec = Recorder::default();
    let h = rec.monitor(ms(10)).start();
    tokio::time::sleep(ms(30)).await;
    let blockers: Vec<_> = (0..2)
        .map(|_| tokio::spawn(async { std::thread::sleep(ms(300)) }))
        .collect();
    for b in blockers {
        b.await.unwrap();
    }
    tokio::time::sleep(ms(50)).await;
    h.stop();
    let worst = rec.max_lag();
    assert!(
        worst >= ms(200),
        "both workers blocked 300 ms, read {worst:?}"
    );
}

#[test]
fn block_on_probe_sees_main_body_on_multi_thread() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let rec = Recorder::default();
    let h = rec.monitor(ms(50)).install(rt.handle());
    rt.block_on(h.watch_block_on(async {
        tokio::time::sleep(ms(20)).await;
        std::thread::sleep(ms(400));
        tokio::time::sleep(ms(150)).await;
    }));
    h.stop();
    let samples = rec.samples();
    let worst = samples.iter().max_by_key(|s| s.lag).unwrap();
    assert!(
        worst.lag >= ms(300),
        "main body blocked 400 ms, read {worst:?}"
    );
    assert_eq!(worst.source, LagSource::BlockOn);
    // One sample per interval, not one per probe.
    assert!(samples.len() <= 14, "{} samples in ~570 ms", samples.len());
}

#[tokio::test(flavor = "current_thread")]
async fn the_schedule_does_not_drift() {
    let rec = Recorder::default();
    let start = Instant::now();
    let h = rec.monitor(ms(10)).start();
    tokio::time::sleep(ms(1000)).await;
    h.stop();
    let n = rec.len() as u128;
    let expected = start.elapsed().as_millis() / 10;
    // A probe that re-arms from "now" gets ~90 ticks a second at 10 ms (11.1 ms periods).
    assert!(
        n + 3 >= expected && n <= expected + 1,
        "{n} ticks, expected ~{expected}"
    );
    let ticks: Vec<u64> = rec.samples().iter().map(|s| s.tick).collect();
    assert_eq!(ticks, (0..ticks.len() as u64).collect::<Vec<_>>());
}

#[tokio::test(flavor = "current_thread")]
async fn task_count_excludes_loopmon_tasks() {
    let rec = Recorder::default();
    let (tx, rx) = tokio::sync::watch::channel(());
    let tasks: Vec<_> = (0..5)
        .map(|_| {
            let mut rx = rx.clone();
            tokio::spawn(async move { rx.changed().await.ok() })
        })
        .collect();
    // An async callback too: its deliveries are loopmon's tasks, not the user's.
    let h = SleepMonitor::builder()
        .interval(ms(10))
        .callback(rec.callback())
        .callback(|_s: loopmon_core::Sample| async { tokio::time::sleep(ms(25)).await })
        .build()
        .unwrap()
        .start();
    tokio::time::sleep(ms(100)).await;
    h.stop();
    let counts: Vec<usize> = rec.samples().iter().map(|s| s.tasks).collect();
    assert!(!counts.is_empty());
    assert!(counts.iter().all(|&c| c == 5), "task counts {counts:?}");
    tx.send(()).unwrap();
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::test(flavor = "current_thread")]
async fn samples_carry_a_utc_timestamp() {
    let rec = Recorder::default();
    let before = chrono::Utc::now();
    let h = rec.monitor(ms(10)).start();
    tokio::time::sleep(ms(40)).await;
    h.stop();
    let after = chrono::Utc::now();
    let s = rec.samples();
    assert!(!s.is_empty());
    assert!(s.iter().all(|s| s.at >= before && s.at <= after));
    assert!(s.windows(2).all(|w| w[0].at <= w[1].at));
}

/// Two monitors on one runtime: neither counts the other's probe or deliveries as a user task.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_count_excludes_every_monitors_tasks() {
    let (tx, rx) = tokio::sync::watch::channel(());
    let tasks: Vec<_> = (0..3)
        .map(|_| {
            let mut rx = rx.clone();
            tokio::spawn(async move { rx.changed().await.ok() })
        })
        .collect();
    let (a, b) = (Recorder::default(), Recorder::default());
    let monitors: Vec<_> = [&a, &b]
        .into_iter()
        .map(|rec| {
            SleepMonitor::builder()
                .interval(ms(10))
                .callback(rec.callback())
                .callback(|_s: loopmon_core::Sample| async { tokio::time::sleep(ms(15)).await })
                .build()
                .unwrap()
                .start()
        })
        .collect();
    tokio::time::sleep(ms(100)).await;
    for m in &monitors {
        m.stop();
    }
    for rec in [a, b] {
        let counts: Vec<usize> = rec.samples().iter().map(|s| s.tasks).collect();
        assert!(!counts.is_empty());
        assert!(counts.iter().all(|&c| c == 3), "task counts {counts:?}");
    }
    tx.send(()).unwrap();
    for t in tasks {
        t.await.unwrap();
    }
}
