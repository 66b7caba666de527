//! A blocking call inside a task shows up as one sample with a lag of about its length.
//!
//! ```text
//! cargo run --example blocking
//! ```

use loopmon::{Sample, SleepMonitor};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

async fn handler() {
    // A blocking call where an `.await` belonged: the whole runtime waits for it.
    std::thread::sleep(Duration::from_secs(1));
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let worst = Arc::new(AtomicU64::new(0));
    let seen = worst.clone();
    let monitor = SleepMonitor::builder()
        .interval(Duration::from_millis(100))
        .callback(move |s: &Sample| {
            seen.fetch_max(s.lag.as_micros() as u64, Ordering::Relaxed);
            if s.lag > Duration::from_millis(50) {
                println!("runtime lagged {:.3} s at {}", s.lag.as_secs_f64(), s.at);
            }
        })
        .build()
        .expect("a valid interval")
        .start();
    tokio::time::sleep(Duration::from_millis(250)).await;
    tokio::spawn(handler()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    monitor.stop();
    let worst = Duration::from_micros(worst.load(Ordering::Relaxed));
    println!("worst lag {worst:?} over {} samples", monitor.ticks());
    assert!(
        worst >= Duration::from_millis(850),
        "the 1 s block went unseen"
    );
}
