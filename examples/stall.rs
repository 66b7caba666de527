//! A stall reported while it happens: a task that blocks its worker for one second, then a
//! blocking call in `main`'s body.
//!
//! ```text
//! cargo run --example stall
//! RUSTFLAGS="--cfg tokio_unstable" cargo run --example stall   # names the culprit task too
//! ```
//!
//! The watchdog's reports (stderr, the default reporter) come out *before* the lines saying the
//! blocking calls returned: they are made while the calls still block.

use std::time::{Duration, Instant};

fn main() {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    // What `#[loopmon::main]` does for the runtime it builds: lets stall reports look at a
    // worker stuck before the probe ever ran on it, and under `--cfg tokio_unstable` name the
    // task and where it was spawned.
    loopmon::install_hooks(&mut builder)
        .worker_threads(2)
        .enable_all();
    let runtime = builder.build().unwrap();

    let monitor = loopmon::SleepMonitor::builder()
        .interval(Duration::from_millis(10))
        .stall_threshold(Duration::from_millis(100))
        .build()
        .unwrap()
        .install(runtime.handle());

    let start = Instant::now();
    let at = move || start.elapsed().as_secs_f64();
    runtime.block_on(monitor.watch_block_on(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        println!("{:.3}s: a task blocks its worker for 1 s", at());
        tokio::spawn(async { std::thread::sleep(Duration::from_secs(1)) })
            .await
            .unwrap();
        println!("{:.3}s: the task's blocking call returned", at());

        tokio::time::sleep(Duration::from_millis(50)).await;
        println!("{:.3}s: main's body blocks for 300 ms", at());
        std::thread::sleep(Duration::from_millis(300));
        println!("{:.3}s: main's blocking call returned", at());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }));
    println!("stalls reported: {}", monitor.stalls());
    monitor.stop();
}
