//! **loopmon** tells you when your tokio runtime is being starved: a blocking call inside async
//! code, a CPU-heavy poll, too much work for the threads.
//!
//! ```
//! use chrono::{DateTime, Utc};
//! use std::time::Duration;
//!
//! async fn print_lag(lag: Duration, tasks: usize, at: DateTime<Utc>) {
//!     println!("event loop lag: {:.3}, running tasks: {tasks}, at {at}", lag.as_secs_f64());
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let monitor = loopmon::create(Duration::from_millis(100), print_lag);
//! std::thread::sleep(Duration::from_millis(300)); // a blocking call: the next sample shows it
//! tokio::time::sleep(Duration::from_millis(150)).await;
//! monitor.stop();
//! # }
//! ```
//!
//! # What is measured
//!
//! Each interval a probe asks tokio to run it at a deadline and measures how late it actually
//! ran: that lateness is the **lag**. With it come the number of alive tasks on the runtime
//! (not counting loopmon's own) and a UTC timestamp, delivered together as a [`Sample`].
//!
//! - An idle runtime shows a lag of ≈ 0. tokio's timer rounds deadlines up to the next
//!   millisecond, so a hand-written probe reads ~1.1 ms of lag on an idle runtime; loopmon arms
//!   its timer early and measures against the true deadline, so it does not.
//! - A stall of `S` that begins partway through an interval `I` shows as a lag between `S − I`
//!   and `S`: the part of the stall that fell before the probe's deadline did not make it late.
//!   A stall shorter than the rest of the interval may not show at all; pick `I` well below the
//!   stalls you care about.
//! - The schedule does not drift: `N` samples take `N × I`. Deadlines missed during a stall are
//!   skipped, not replayed.
//!
//! # Callbacks
//!
//! Three forms, all registered with [`Builder::callback`] (see [`callback`] for details):
//! the Python original's `async fn(lag: Duration, tasks: usize, at: DateTime<Utc>)`,
//! `async fn(Sample)`, and a synchronous `Fn(&Sample)`. Async callbacks run as their own tasks
//! and never delay the probe; a callback that is still busy when the next sample arrives skips
//! it ([`MonitorHandle::skipped`] counts those). A panicking callback is contained and counted
//! ([`MonitorHandle::panics`]).
//!
//! # What one probe sees on `multi_thread`
//!
//! The probe is a task. On a `multi_thread` runtime it runs on whichever worker is free, so it
//! reports a lag when *all* workers are busy (the runtime is starved), not when one worker is
//! stuck while others are free. And `block_on` polls its future (the body of `#[tokio::main]`)
//! on the main thread, not on a worker, where the probe task cannot see it:
//! [`MonitorHandle::watch_block_on`] adds a second probe inside that future.
//!
//! # Paused clock
//!
//! Under tokio's paused clock (`start_paused = true` in tests, or `tokio::time::pause()`), a
//! probe on tokio's timer would make the runtime auto-advance virtual time forever. loopmon
//! notices the paused clock and drives its probe from an OS thread in real time instead: virtual
//! time moves exactly as it would without loopmon, and lag is measured in real time.

pub use loopmon_core::callback;
pub use loopmon_core::{
    create, Builder, Callback, Error, IntoCallback, LagSource, MonitorGuard, MonitorHandle,
    Sample, SleepMonitor, WatchBlockOn, DEFAULT_INTERVAL, MAX_INTERVAL, MIN_INTERVAL,
};

/// What the macros' generated code calls. Not public API: anything here may change in any
/// release.
#[doc(hidden)]
pub mod __private {
    pub use loopmon_core;
    pub use tokio;
}
