//! A CPU-heavy computation inside async code starves the runtime as much as a blocking call.
//!
//! ```text
//! cargo run --example cpu_heavy
//! ```

use loopmon::{Sample, SleepMonitor};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn fib(n: u32) -> u64 {
    if n < 2 {
        n as u64
    } else {
        fib(n - 1) + fib(n - 2)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let worst = Arc::new(Mutex::new(Duration::ZERO));
    let seen = worst.clone();
    let monitor = SleepMonitor::builder()
        .interval(Duration::from_millis(50))
        .callback(move |s: &Sample| {
            let mut w = seen.lock().unwrap();
            *w = (*w).max(s.lag);
        })
        .build()
        .expect("a valid interval")
        .start();
    tokio::time::sleep(Duration::from_millis(120)).await;
    let started = Instant::now();
    // One poll that computes for ~400 ms (as many Fibonacci numbers as fit), never yielding.
    let (rounds, took) = tokio::spawn(async move {
        let mut rounds = 0u64;
        while started.elapsed() < Duration::from_millis(400) {
            std::hint::black_box(fib(std::hint::black_box(20)));
            rounds += 1;
        }
        (rounds, started.elapsed())
    })
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    monitor.stop();
    let worst = *worst.lock().unwrap();
    println!("{rounds} × fib(20) ran {took:?} inside one poll; worst lag {worst:?}");
    // The lag is the computation's length, less up to one interval.
    assert!(
        worst + Duration::from_millis(60) >= took,
        "the computation went unseen"
    );
}
