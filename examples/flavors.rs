//! The same program on a `current_thread` and a `multi_thread` runtime.
//!
//! On `current_thread` one blocking task stalls everything. On `multi_thread` the probe runs on
//! whichever worker is free, so one blocked worker is not a starved runtime; all of them are.
//!
//! ```text
//! cargo run --example flavors
//! ```

use loopmon::{Sample, SleepMonitor};
use std::sync::{Arc, Mutex};
use std::time::Duration;

async fn program(blockers: usize) -> Duration {
    let worst = Arc::new(Mutex::new(Duration::ZERO));
    let seen = worst.clone();
    let monitor = SleepMonitor::builder()
        .interval(Duration::from_millis(20))
        .callback(move |s: &Sample| {
            let mut w = seen.lock().unwrap();
            *w = (*w).max(s.lag);
        })
        .build()
        .expect("a valid interval")
        .start();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let tasks: Vec<_> = (0..blockers)
        .map(|_| tokio::spawn(async { std::thread::sleep(Duration::from_millis(300)) }))
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(60)).await;
    monitor.stop();
    let worst = *worst.lock().unwrap();
    worst
}

fn main() {
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let lag = current.block_on(program(1));
    println!("current_thread, 1 blocking task:           worst lag {lag:?}");
    assert!(lag >= Duration::from_millis(250));

    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let one = multi.block_on(program(1));
    println!("multi_thread (2 workers), 1 blocking task:  worst lag {one:?} (the other worker serves the probe)");
    let all = multi.block_on(program(2));
    println!("multi_thread (2 workers), 2 blocking tasks: worst lag {all:?}");
    assert!(all >= Duration::from_millis(250));
}
