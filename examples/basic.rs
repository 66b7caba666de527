//! The Python original's README example: a printing callback on a program that waits, then
//! blocks its runtime for one second.
//!
//! ```text
//! cargo run --example basic
//! ```
//!
//! Expected output (the blocking call shows as ~0.7 s: the probe's deadline fell 0.3 s into
//! the block; the stall watchdog reports it while it lasts, then with its whole length):
//!
//! ```text
//! event loop lag: 0.000, running tasks: 0, at 2026-12-05 01:20:50.559 UTC
//! event loop lag: 0.000, running tasks: 0, at 2026-12-05 01:20:51.059 UTC
//! loopmon: stall: thread `main` (block_on) has been blocked for 798ms and still is: sleeping in …
//! loopmon: stall: thread `main` (block_on) was blocked for 1s: sleeping in …
//! event loop lag: 0.702, running tasks: 0, at 2026-12-05 01:20:51.559 UTC
//! event loop lag: 0.000, running tasks: 0, at 2026-12-05 01:20:52.059 UTC
//! event loop lag: 0.000, running tasks: 0, at 2026-12-05 01:20:52.559 UTC
//! ```

use chrono::{DateTime, Utc};
use std::time::Duration;

async fn print_collected_data(lag: Duration, tasks: usize, at: DateTime<Utc>) {
    println!(
        "event loop lag: {:.3}, running tasks: {tasks}, at {}",
        lag.as_secs_f64(),
        at.format("%Y-%m-%d %H:%M:%S%.3f UTC")
    );
}

// One line of adoption: `#[loopmon::main]` wraps `#[tokio::main]` (multi_thread here, as tokio's
// default) and starts the monitor at the start of the body, with a probe inside the body too.
#[loopmon::main(interval = "500ms", callback = print_collected_data)]
async fn main() {
    // Simulate an I/O-bound job.
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Simulate a blocking call, in `main`'s body itself.
    std::thread::sleep(Duration::from_secs(1));
    tokio::time::sleep(Duration::from_millis(1500)).await;
}
