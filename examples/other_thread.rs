//! Monitoring a runtime that runs on another thread: each runtime gets its own monitor, and a
//! stall in one shows only in that one's samples.
//!
//! ```text
//! cargo run --example other_thread
//! ```

use loopmon::{Sample, SleepMonitor};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn worst_of(name: &'static str) -> (SleepMonitor, Arc<Mutex<Duration>>) {
    let worst = Arc::new(Mutex::new(Duration::ZERO));
    let seen = worst.clone();
    let monitor = SleepMonitor::builder()
        .interval(Duration::from_millis(100))
        .callback(move |s: &Sample| {
            let mut w = seen.lock().unwrap();
            *w = (*w).max(s.lag);
            if s.lag > Duration::from_millis(50) {
                println!("[{name}] lag {:.3} s", s.lag.as_secs_f64());
            }
        })
        .build()
        .expect("a valid interval");
    (monitor, worst)
}

fn main() {
    let (main_monitor, main_worst) = worst_of("main");
    let (other_monitor, other_worst) = worst_of("other");

    // Another thread runs its own runtime, idle at first.
    let other = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let other_handle = other.handle().clone();
    let (go, ready) = std::sync::mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        other.block_on(async {
            tokio::task::spawn_blocking(move || ready.recv().ok())
                .await
                .unwrap();
            std::thread::sleep(Duration::from_secs(1)); // blocks this runtime only
            tokio::time::sleep(Duration::from_millis(300)).await;
        })
    });
    // Installed from this thread onto the other runtime while it is idle.
    let other_monitor = other_monitor.install(&other_handle);

    let main_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    main_rt.block_on(async {
        let main_monitor = main_monitor.start();
        tokio::time::sleep(Duration::from_millis(250)).await;
        go.send(()).unwrap();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        main_monitor.stop();
    });
    thread.join().unwrap();
    other_monitor.stop();

    let (m, o) = (*main_worst.lock().unwrap(), *other_worst.lock().unwrap());
    println!("worst lag: main {m:?}, other {o:?}");
    assert!(o >= Duration::from_millis(850) && m < Duration::from_millis(100));
}
