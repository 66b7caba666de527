//! **loopmon** tells you when your tokio runtime is being starved: a blocking call inside async
//! code, a CPU-heavy poll, too much work for the threads.
//!
//! One line to adopt it: replace `#[tokio::main]` with `#[loopmon::main]` (and `#[tokio::test]`
//! with `#[loopmon::test]`).
//!
//! ```
//! #[loopmon::main(interval = "500ms")]
//! async fn main() {
//!     tokio::time::sleep(std::time::Duration::from_millis(200)).await;
//!     std::thread::sleep(std::time::Duration::from_millis(300)); // reported on stderr
//!     tokio::time::sleep(std::time::Duration::from_millis(600)).await;
//! }
//! ```
//!
//! Or through the API, with a callback of your own:
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
//! Each interval a probe asks to run on the runtime at a deadline and measures how late it
//! actually ran: that lateness is the **lag**. With it come the number of alive tasks on the
//! runtime (not counting loopmon's own) and a UTC timestamp, delivered together as a
//! [`Sample`].
//!
//! - At intervals of 10 ms and more (the default is 100 ms), the probe is woken by loopmon's
//!   clock, one OS thread per process, and never registers a tokio timer: a registered timer
//!   makes every park of the runtime dearer, which costs a busy server some 3 % of its CPU
//!   (measured in BENCHMARKS.md, section 9), whatever the timer is for. Below 10 ms, where a
//!   wake-up from another thread would cost more than the timer, it sleeps on tokio's timer.
//! - An idle runtime shows a lag of ≈ 0. tokio's timer rounds deadlines up to the next
//!   millisecond, so a hand-written probe reads ~1.1 ms of lag on an idle runtime; loopmon asks
//!   to be woken early (0.5 ms on its clock, 2 ms on tokio's timer) and measures against the true
//!   deadline, so it does not.
//! - A stall of `S` that begins partway through an interval `I` shows as a lag between `S − I`
//!   and `S`: the part of the stall that fell before the probe's deadline did not make it late.
//!   A stall shorter than the rest of the interval may not show at all; pick `I` well below the
//!   stalls you care about. (Because the probe is woken early, it may have run just before its
//!   deadline: a stall that begins in that gap reads up to 0.5 ms, or 2 ms below 10 ms intervals,
//!   below `S − I`.)
//! - The schedule does not drift: `N` samples take `N × I`. Deadlines missed during a stall are
//!   skipped, not replayed.
//!
//! # Callbacks
//!
//! Three forms, all registered with [`Builder::callback`] (see [`callback`] for details):
//! the Python original's `async fn(lag: Duration, tasks: usize, at: DateTime<Utc>)`,
//! `async fn(Sample)`, and a synchronous `Fn(&Sample)`. Async callbacks run as their own tasks
//! (one per callback, spawned when the monitor starts: a delivery allocates nothing) and never
//! delay the probe; a callback that is still busy when the next sample arrives skips it
//! ([`MonitorHandle::skipped`] counts those). A panicking callback is contained and counted
//! ([`MonitorHandle::panics`]); its first panic is printed, later ones are not (loopmon chains a
//! panic hook that keeps only those quiet; see [`callback`]).
//!
//! [`MonitorHandle::stop`] waits for a synchronous callback running on another thread, so that
//! none runs after it returns; [`MonitorHandle::stop_background`] does not wait, for a caller
//! that holds a lock such a callback may need.
//!
//! # What one probe sees on `multi_thread`
//!
//! The probe is a task. On a `multi_thread` runtime it runs on whichever worker is free, so it
//! reports a lag when *all* workers are busy (the runtime is starved), not when one worker is
//! stuck while others are free. And `block_on` polls its future (the body of `#[tokio::main]`)
//! on the main thread, not on a worker, where the probe task cannot see it:
//! [`MonitorHandle::watch_block_on`] adds a second probe inside that future. A single stuck
//! worker is what the stall watchdog (below) names.
//!
//! # The macros
//!
//! [`main`] and [`test`] (feature `macros`, on by default) wrap `#[tokio::main]` and
//! `#[tokio::test]`: they take all of tokio's arguments (`flavor`, `worker_threads`,
//! `start_paused`, `unhandled_panic`, `name`) plus loopmon's, start the monitor at the top of
//! the body, and run the body under [`MonitorHandle::watch_block_on`] so a blocking call in
//! `main`'s body is seen on `multi_thread` too. Bare, they sample every [`DEFAULT_INTERVAL`],
//! print one line to stderr for each lag over 100 ms (the report threshold), and report stalls
//! past [`DEFAULT_STALL_THRESHOLD`] while they last. The application needs no direct tokio
//! dependency for them (when it has one, the two unify). loopmon's keys:
//!
//! | key | what | without the macro |
//! |---|---|---|
//! | `interval = "500ms"` | the sampling interval (humantime syntax) | [`Builder::interval`] |
//! | `callback = path` | a callback in any of the three forms; repeatable | [`Builder::callback`] |
//! | `stall_threshold = "100ms"` | the stall watchdog's threshold | [`Builder::stall_threshold`] |
//! | `on_stall = path` | a stall callback, `fn(&Stall)`; repeatable | [`Builder::on_stall`] |
//! | `metrics = true` | export through `metrics` (feature `metrics`) | `Builder::metrics` |
//! | `max_lag = "50ms"` | tests only: the test guard, below | — |
//! | `crate = "path"` | loopmon renamed in `Cargo.toml` | — |
//!
//! The runtime they build carries loopmon's hooks: each worker's thread is known from its
//! start, so a stall report names the stuck thread (its Linux thread id), and under
//! `--cfg tokio_unstable` the task being polled and where it was spawned, with no extra code.
//!
//! - **Test guard.** `#[loopmon::test(max_lag = "50ms")]` fails a test whose runtime lagged more
//!   than 50 ms while it ran, or one of whose threads (one worker of several included) was stuck
//!   for longer, with the worst lag and when it happened and the longest stall report (what
//!   blocked, and where), then the monitor's summary: a blocking call is caught in CI. The
//!   failure points at the test.
//! - **Without rebuilding.** `LOOPMON_INTERVAL=100ms` overrides the attribute's interval,
//!   `LOOPMON=off` turns the monitor off; a bad value prints one warning and changes nothing.
//! - **Checked at compile time.** Misuse (`interval = "500"`, an unknown argument, `async`
//!   missing, `#[tokio::test]` stacked on top, ...) is a compile error at the offending token
//!   that says what to write instead.
//!
//! # Statistics, metrics, tracing, summary
//!
//! Every sample also goes into the monitor's lag statistics: [`MonitorHandle::stats`] (since
//! the start) and [`MonitorHandle::take_stats`] (since the last take) return [`LagStats`] with
//! the count, exact min/max/mean and percentiles. [`MonitorHandle::summary`] puts them in one
//! block for people, and [`Builder::summary_on_stop`] prints it when the monitor ends.
//!
//! Two cargo features, off by default, send the samples where you already look:
//!
//! - **`metrics`**: `Builder::metrics(true)` (or `metrics = true` in the attribute) records
//!   through the [`metrics`](https://docs.rs/metrics) facade, for any exporter (Prometheus: see
//!   `loopmon-examples/examples/prometheus.rs` in the repository), installed before or after
//!   the monitor starts:
//!
//!   | metric | kind | what |
//!   |---|---|---|
//!   | `loopmon_lag_seconds` | histogram | the lag of each sample |
//!   | `loopmon_tasks` | gauge | alive tasks at the last sample, not counting loopmon's |
//!   | `loopmon_lag_over_threshold_total` | counter | samples over the report threshold |
//!   | `loopmon_stalls_total` | counter | stalls the watchdog saw begin |
//!   | `loopmon_stall_seconds` | histogram | the length of each stall the watchdog saw end |
//!
//!   The two stall series are there from the start, at 0, while the stall watchdog is on (an
//!   alert on `increase(loopmon_stalls_total[5m]) > 0` sees the first stall too).
//!
//!   Each has the label `runtime="<name>"` when the monitor is [named](Builder::name).
//! - **`tracing`**: a `WARN` event for each sample over the [report
//!   threshold](Builder::report_threshold) and for each stall, a `DEBUG` event per sample with
//!   `Builder::trace_samples`; what would go to stderr (the default reports, the summary, a
//!   callback's first panic) goes through `tracing` instead, while a subscriber records
//!   loopmon's events, and still to stderr when none would: turning the feature on never
//!   silences a report.
//!
//! ```
//! use std::time::Duration;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let monitor = loopmon::SleepMonitor::builder()
//!     .interval(Duration::from_millis(10))
//!     .report_threshold(Duration::from_millis(100))
//!     .build()
//!     .unwrap()
//!     .start();
//! tokio::time::sleep(Duration::from_millis(20)).await;
//! std::thread::sleep(Duration::from_millis(250)); // a blocking call
//! tokio::time::sleep(Duration::from_millis(20)).await;
//! let stats = monitor.take_stats();
//! assert_eq!(stats.over_threshold(), 1);
//! assert!(stats.max() >= Duration::from_millis(200));
//! println!("{}", monitor.summary());
//! # }
//! ```
//!
//! # Stalls, reported while they happen
//!
//! The samples report a blocking call only after it returns. The **stall watchdog**, one OS
//! thread per process shared by all monitors, reports it while it is still blocking: once a
//! runtime thread has not come back to the scheduler for longer than the stall threshold
//! ([`DEFAULT_STALL_THRESHOLD`], 500 ms; [`Builder::stall_threshold`]), and once more when it
//! ends, with its whole duration. Each [`Stall`] says which thread: the worker index on
//! `multi_thread`, worker 0 on `current_thread`, or the `block_on` thread (`main`'s body, when
//! wrapped by [`MonitorHandle::watch_block_on`]). On a runtime built with
//! [`install_poll_hooks`] under `--cfg tokio_unstable`, it also names the task being polled and
//! where it was spawned. Reports go to [`Builder::on_stall`] callbacks, or to stderr
//! ([`report_to_stderr`]) when there are none; [`Builder::stall_watchdog`] turns it off.
//!
//! ```
//! use loopmon::{SleepMonitor, Stall, StallKind};
//! use std::sync::{Arc, Mutex};
//! use std::time::Duration;
//!
//! let reports = Arc::new(Mutex::new(Vec::new()));
//! let log = reports.clone();
//! let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
//! let seen_while_blocked = rt.block_on(async move {
//!     let monitor = SleepMonitor::builder()
//!         .interval(Duration::from_millis(10))
//!         .stall_threshold(Duration::from_millis(100))
//!         .on_stall(move |stall: &Stall| log.lock().unwrap().push(stall.clone()))
//!         .build()
//!         .unwrap()
//!         .start();
//!     tokio::time::sleep(Duration::from_millis(20)).await;
//!     // Blocks the runtime. (Long enough for this example's first report, which parses the
//!     // binary's tables for the stack: a fraction of a second in a debug build.)
//!     std::thread::sleep(Duration::from_millis(1000));
//!     let seen = reports.lock().unwrap().clone(); // reported while it blocked
//!     tokio::time::sleep(Duration::from_millis(50)).await;
//!     monitor.stop();
//!     seen
//! });
//! assert_eq!(seen_while_blocked[0].kind, StallKind::Started);
//! assert_eq!(seen_while_blocked[0].worker, Some(0));
//! ```
//!
//! Which threads are watched, and how:
//! - `current_thread`: the probe publishes a heartbeat each time it runs, with the moment it
//!   expects to run next; the thread is stalled once the probe is overdue by more than the
//!   threshold (so an interval longer than the threshold is no stall).
//! - `multi_thread` workers: tokio's per-worker counters (park/unpark count and busy time)
//!   freeze while a worker is inside one poll; a worker that is not parked and whose counters
//!   have not moved for longer than the threshold is stuck. A runtime saturated by many short
//!   polls keeps publishing its counters and is not reported (its lag is, in the samples). A
//!   worker running up to 61 polls in a row that together exceed the threshold without
//!   parking can be reported too.
//! - the `block_on` thread: the probe added by [`MonitorHandle::watch_block_on`] publishes a
//!   heartbeat while the future is polled; it is reported only while the runtime's own probe is
//!   on time (its wake-ups are served by the workers).
//!
//! A stall is first reported between `threshold` and `threshold + interval` after it began;
//! one shorter than `threshold + interval` may show only as lag in the samples. The `Ended`
//! report's length is measured, not estimated: for a worker, from the busy time tokio publishes
//! for it; for `main`'s body, from the start of the poll that blocked to its end (see
//! [`Stall::elapsed`] for the bounds). A monitor stopped (or whose runtime shuts down) during a
//! stall reports no end. A `current_thread` runtime is watched from the moment the monitor
//! starts if it is started inside the runtime, else from the probe's first run (a runtime that
//! nobody drives yet is not stalled); after that, a pause of more than the threshold between
//! two `block_on` calls is reported as a stall, as the samples report it as lag.
//!
//! # What blocked: the stuck thread's state and stack
//!
//! While a stall lasts, the watchdog looks at the stuck thread from outside, without stopping
//! it and without `unsafe` (unless it runs on the CPU and the `cpu-stacks` feature is on):
//! what it is doing ([`ThreadActivity`]: `sleeping`, `waiting on a lock`, `blocking I/O in
//! read`, `waiting on disk`, `running on the CPU`, `in syscall NAME`) and, with the `stacks`
//! feature, where: its stack, unwound with the binary's own unwind tables,
//! symbolized and trimmed to the library call your code made and your frames above it. Both are
//! in [`Stall::snapshot`], in the report's text, in the `tracing` event and in the test guard's
//! failure:
//!
//! ```text
//! loopmon: stall: worker 0 (thread `tokio-rt-worker`) has been blocked for 100ms and still is:
//!   sleeping in std::thread::functions::sleep (std/src/thread/functions.rs:289)
//!   ← mini_redis::cmd::get::load_slowly (src/cmd/get.rs:98) ← {async_block#0} (src/cmd/get.rs:66)
//! ```
//!
//! (one line in the real report). Function names come from the symbol table of any binary that
//! is not stripped; file and line from its line tables: add `debug = "line-tables-only"` to
//! `[profile.release]` for them in release builds (inlined calls are then named as in gdb,
//! without their module path, which the compiler does not write there: `{async_block#0}`,
//! placed by its file and line; a function with code of its own takes its symbol's path). The
//! first stack costs the parsing of the binary's tables, on a thread of its own when a stall
//! looks likely (about 30 ms in a release build, 0.2 s in a debug build, where
//! `[profile.dev.package.loopmon-inspect] opt-level = 3` brings it down), and the memory they
//! take (some 15 MB for an 11 MB binary with line tables); later ones take a fraction of a
//! millisecond. Nothing is read or kept while nothing stalls.
//!
//! | platform | thread id, activity | stack (`stacks` feature) | stack of a thread on the CPU (`cpu-stacks`) |
//! |---|---|---|---|
//! | Linux x86_64 | yes | yes, for a thread blocked in the kernel | yes |
//! | Linux aarch64 | yes | no (`/proc` gives no link register): the report says so | no: the report says so |
//! | Linux without `/proc` (some containers), gVisor | no: the report is as without | no | no |
//! | macOS, Windows, others | no: the report is as without | no | no (the feature compiles and does nothing) |
//!
//! A thread running on the CPU has no stack from `/proc` (the kernel gives registers only for
//! a blocked thread); the report says `running on the CPU`, and where only with the
//! `cpu-stacks` feature (below). The stuck thread is known on the
//! runtimes that the macros build (from their hooks), and otherwise once the probe has run on
//! it; `main`'s body and a `current_thread` runtime's thread always.
//!
//! # The stack of a thread on the CPU (feature `cpu-stacks`)
//!
//! A task stuck in a long computation is `running on the CPU`. With the **`cpu-stacks`**
//! feature (off by default; it turns on `stacks`), the report also says where:
//!
//! ```text
//! loopmon: stall: worker 0 has been blocked for 100ms and still is: running on the CPU in
//!   my_app::crunch (src/math.rs:88) ← my_app::handle (src/cmd.rs:12)
//! ```
//!
//! Only code running on that thread can see where it is, so loopmon sends it a real-time
//! signal. Its handler is written to be sound wherever the thread was interrupted (inside
//! `malloc`, holding a lock): it only copies the registers from the signal context and a
//! bounded slice of its own stack (at most 256 KiB, read with `pread` on `/proc/self/mem`,
//! which cannot fault) into a slot allocated beforehand and kept for the life of the process,
//! claimed and released through one atomic word; it allocates nothing, takes no lock and
//! unwinds nothing. The watchdog thread then unwinds, symbolizes and trims the copy as it does
//! a blocked thread's stack. A thread that does not answer within 50 ms (it exited, or blocks
//! the signal) is given up on, and its late answer is ignored; the report then says the stack
//! is unavailable. The signal is the first of `SIGRTMIN` to `SIGRTMIN+7` that the program
//! does not handle (checked with `sigaction`; loopmon never replaces a handler, and says so in
//! the report if all eight are taken), installed with `SA_RESTART` at the first stall that
//! finds a thread on the CPU: nothing is installed and nothing runs before. A capture takes
//! about 0.05 ms from the signal to the copy and 0.2–0.3 ms to the frames (a few ms at worst
//! on a loaded machine), and 0.25–0.35 ms of the watchdog thread's CPU. It is the only part of
//! loopmon that uses `unsafe`, in one module (`loopmon-inspect/src/signal.rs`,
//! whose documentation gives the design); Linux x86_64 only (on aarch64 the signal capture is
//! built, but stacks are not unwound there yet).
//!
//! # Paused clock
//!
//! Under tokio's paused clock (`start_paused = true` in tests, or `tokio::time::pause()`), a
//! probe on tokio's timer would make the runtime auto-advance virtual time forever. loopmon
//! notices the paused clock and drives its probe from its clock thread in real time, whatever
//! the interval: virtual time moves exactly as it would without loopmon, and lag is measured in
//! real time.

#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

pub use loopmon_core::callback;
pub use loopmon_core::{
    create, Builder, Callback, Error, IntoCallback, LagSource, LagStats, MonitorGuard,
    MonitorHandle, Sample, SleepMonitor, Summary, WatchBlockOn, DEFAULT_INTERVAL,
    DEFAULT_REPORT_THRESHOLD, MAX_INTERVAL, MIN_INTERVAL,
};
pub use loopmon_core::{
    install_hooks, install_poll_hooks, report_to_stderr, Stall, StallKind, StallTask,
    DEFAULT_STALL_THRESHOLD,
};
pub use loopmon_core::{Frame, StackMissing, ThreadActivity, ThreadSnapshot};
#[cfg(feature = "macros")]
pub use loopmon_macros::{main, test};

/// What the macros' generated code calls. Not public API: anything here may change in any
/// release.
#[doc(hidden)]
pub mod __private {
    pub use core::time::Duration;
    pub use loopmon_core;
    pub use loopmon_core::entry::Entry;
    pub use loopmon_core::DEFAULT_INTERVAL;

    /// tokio as the macros hand it to `#[tokio::main]` / `#[tokio::test]`
    /// (`crate = "::loopmon::__private::tokio"`): all of tokio, except that the runtime
    /// `Builder` those expand to installs loopmon's hooks on the runtime they build.
    pub mod tokio {
        pub use ::tokio::*;

        /// tokio's `runtime` module, with loopmon's `Builder`.
        pub mod runtime {
            pub use ::tokio::runtime::*;

            /// What `#[tokio::main]`'s expansion calls as `Builder::new_multi_thread()` /
            /// `Builder::new_current_thread()`: tokio's builder, with loopmon's hooks on it
            /// ([`install_hooks`](loopmon_core::install_hooks)).
            #[derive(Debug)]
            pub struct Builder(());

            impl Builder {
                /// tokio's `Builder::new_current_thread()`, hooked.
                pub fn new_current_thread() -> ::tokio::runtime::Builder {
                    let mut builder = ::tokio::runtime::Builder::new_current_thread();
                    loopmon_core::install_hooks(&mut builder);
                    builder
                }

                /// tokio's `Builder::new_multi_thread()`, hooked.
                #[cfg(feature = "macros")]
                pub fn new_multi_thread() -> ::tokio::runtime::Builder {
                    let mut builder = ::tokio::runtime::Builder::new_multi_thread();
                    loopmon_core::install_hooks(&mut builder);
                    builder
                }
            }
        }
    }
}

// The README's examples compile as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
