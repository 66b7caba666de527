//! Runtime support for [loopmon](https://docs.rs/loopmon): the sleep monitor, the callback
//! registry and the stall watchdog. Use it through the `loopmon` crate, which re-exports
//! everything here.
//!
//! ```
//! use loopmon_core::{Sample, SleepMonitor};
//! use std::time::Duration;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let monitor = SleepMonitor::builder()
//!     .interval(Duration::from_millis(10))
//!     .callback(|s: &Sample| println!("lag {:?}", s.lag))
//!     .build()
//!     .unwrap()
//!     .start();
//! std::thread::sleep(Duration::from_millis(50)); // blocks the runtime: the next sample shows it
//! tokio::time::sleep(Duration::from_millis(20)).await;
//! monitor.stop();
//! # }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

mod alarm;
mod block_on;
mod builder;
pub mod callback;
mod clock;
mod counters;
#[doc(hidden)]
pub mod entry;
mod error;
mod export;
mod handle;
mod monitor;
mod own_tasks;
mod per_runtime;
mod probe;
mod report;
mod sample;
mod schedule;
mod stalls;
mod stats;
mod summary;
mod wakeup;

pub use block_on::WatchBlockOn;
pub use builder::{create, Builder, SleepMonitor, DEFAULT_INTERVAL};
pub use callback::{Callback, IntoCallback};
pub use error::{Error, MAX_INTERVAL, MIN_INTERVAL};
pub use handle::{MonitorGuard, MonitorHandle};
pub use loopmon_inspect::{Frame, StackMissing, ThreadActivity, ThreadSnapshot};
pub use report::DEFAULT_REPORT_THRESHOLD;
pub use sample::{LagSource, Sample};
pub use stalls::hooks::{install_hooks, install_poll_hooks};
pub use stalls::stall::{report_to_stderr, Stall, StallKind, StallTask, DEFAULT_STALL_THRESHOLD};
pub use stats::LagStats;
pub use summary::Summary;

/// Not public API: what the benchmarks time. Anything here may change in any release.
#[doc(hidden)]
pub mod __bench {
    pub use crate::stats::BenchHistogram as Histogram;
    pub use crate::stats::BenchRecorder as Recorder;

    /// The stall watchdog's thread inspector, as a closure: what a thread of this process is
    /// doing and where (see `inspect.rs`).
    pub fn inspector() -> impl FnMut(u32) -> Option<crate::ThreadSnapshot> {
        let mut inspector = loopmon_inspect::Inspector::new();
        move |tid| inspector.inspect(tid)
    }

    /// The `cpu-stacks` signal sampler, as a closure: the trimmed frames of a thread of this
    /// process running on a CPU, with the time from the signal sent to the slot seen filled and
    /// to the frames ready (see `inspect/signal.rs`).
    #[cfg(all(feature = "cpu-stacks", target_os = "linux", target_arch = "x86_64"))]
    pub fn cpu_sampler() -> impl FnMut(
        u32,
    ) -> Result<
        (std::time::Duration, std::time::Duration, Vec<crate::Frame>),
        crate::StackMissing,
    > {
        let mut inspector = loopmon_inspect::Inspector::new();
        move |tid| inspector.sample_timed(tid)
    }

    /// The calling thread's Linux id.
    pub fn current_tid() -> Option<u32> {
        loopmon_inspect::current_tid()
    }
}
