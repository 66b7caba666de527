//! Under tokio's paused clock, loopmon changes nothing about how the program behaves. (The clock
//! thread that serves paused probes is tested in `clock_thread.rs`.)

mod common;

use common::{ms, Recorder};
use std::time::{Duration, Instant};

#[tokio::test(start_paused = true)]
async fn a_long_virtual_sleep_stays_instant() {
    let rec = Recorder::default();
    let h = rec.monitor(ms(10)).start();
    let (real, virt) = (Instant::now(), tokio::time::Instant::now());
    tokio::time::sleep(Duration::from_secs(600)).await;
    assert_eq!(virt.elapsed(), Duration::from_secs(600));
    assert!(
        real.elapsed() < ms(500),
        "took {:?} of real time",
        real.elapsed()
    );
    // A timeout longer than the work is not fired by loopmon.
    let r = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::time::sleep(Duration::from_secs(5)),
    )
    .await;
    assert!(r.is_ok());
    h.stop();
    // Samples, if any, are in real time: no bogus lag from virtual jumps.
    assert!(rec.max_lag() < ms(100), "bogus lag {:?}", rec.max_lag());
}

#[tokio::test(start_paused = true)]
async fn the_probe_does_not_advance_virtual_time() {
    let rec = Recorder::default();
    let h = rec.monitor(ms(10)).start();
    let virt = tokio::time::Instant::now();
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        std::thread::sleep(ms(300));
        tx.send(()).unwrap();
    });
    rx.await.unwrap();
    // A probe on tokio's timer would have moved the clock by hours here.
    assert_eq!(virt.elapsed(), Duration::ZERO);
    // It still ticked, in real time.
    assert!(rec.len() >= 10 && rec.len() <= 40, "{} samples", rec.len());
    assert!(rec.max_lag() < ms(100));
    h.stop();
}

#[tokio::test(flavor = "current_thread")]
async fn pausing_after_start_is_noticed() {
    let rec = Recorder::default();
    // Below 10 ms, so that the probe starts on tokio's timer.
    let h = rec.monitor(ms(5)).start();
    tokio::time::sleep(ms(30)).await;
    tokio::time::pause();
    let virt = tokio::time::Instant::now();
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        std::thread::sleep(ms(200));
        tx.send(()).unwrap();
    });
    rx.await.unwrap();
    // At most one interval of virtual time moved before the probe switched to the clock thread.
    assert!(
        virt.elapsed() <= ms(10),
        "virtual clock moved {:?}",
        virt.elapsed()
    );
    assert!(rec.max_lag() < ms(100), "bogus lag {:?}", rec.max_lag());
    h.stop();
}
