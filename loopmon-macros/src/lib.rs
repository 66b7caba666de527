//! Attribute macros for loopmon: `#[loopmon::main]` and `#[loopmon::test]`.
//!
//! Use them through the `loopmon` crate (feature `macros`, on by default). The generated code
//! only calls into `loopmon::__private`, so the application needs no direct dependency on this
//! crate, nor on tokio.

#![forbid(unsafe_code)]

mod args;
mod duration;
mod expand;

use args::Kind;
use proc_macro::TokenStream;

/// Runs `async fn main` on a tokio runtime, with loopmon watching that runtime from the first
/// line of the body: one line of adoption.
///
/// ```
/// #[loopmon::main]
/// async fn main() {
///     // ... the program, unchanged ...
/// #   tokio::time::sleep(std::time::Duration::from_millis(20)).await;
/// }
/// ```
///
/// It wraps `#[tokio::main]`: it takes all of its arguments, and the defaults stay tokio's
/// (`multi_thread`, one worker per core). With no `callback`, a **default reporter** prints one
/// line to stderr for each sample whose lag is over 100 ms (the report threshold, as asyncio's
/// `slow_callback_duration`):
///
/// ```text
/// loopmon: the runtime lagged 703.2ms in the body driven by `block_on` at 2026-11-26T11:40:01.201Z (3 tasks): a blocking call or a CPU-heavy poll held it
/// ```
///
/// # Arguments
///
/// | argument | example | meaning |
/// |---|---|---|
/// | `interval` | `interval = "500ms"` | time between samples; humantime syntax (`500ms`, `1s`, `1.5s`, `1m 30s`, `1m30s`), between `1ms` and `24h`, checked at compile time; default `loopmon::DEFAULT_INTERVAL` (100 ms) |
/// | `callback` | `callback = print_lag` | a path to a callback, in any form `loopmon::Builder::callback` accepts; repeatable; replaces the default reporter |
/// | `stall_threshold` | `stall_threshold = "100ms"` | how long the runtime may be stuck before the stall watchdog reports it, while it still lasts (see `loopmon::Builder::stall_threshold`); default `loopmon::DEFAULT_STALL_THRESHOLD` (500 ms) |
/// | `on_stall` | `on_stall = page_someone` | a path to a `fn(&loopmon::Stall)`, called on the watchdog thread at a stall's start and end; repeatable; replaces the default stall reporter |
/// | `metrics` | `metrics = true` | records lag, tasks and stalls through the `metrics` facade; needs loopmon's `metrics` feature (a compile error without it) |
/// | `crate` | `crate = "my_loopmon"` | loopmon's path, when the dependency is renamed |
/// | `flavor` | `flavor = "current_thread"` | tokio's: `multi_thread` (default), `current_thread`, `local` |
/// | `worker_threads` | `worker_threads = 4` | tokio's, `multi_thread` only |
/// | `start_paused` | `start_paused = true` | tokio's, `current_thread` only; needs tokio's `test-util` feature |
/// | `unhandled_panic` | `unhandled_panic = "shutdown_runtime"` | tokio's, `current_thread` only; needs `--cfg tokio_unstable` |
/// | `name` | `name = "my-runtime"` | tokio's: the runtime's name |
///
/// All together, with the Python original's callback:
///
/// ```
/// use chrono::{DateTime, Utc};
/// use std::time::Duration;
///
/// async fn print_lag(lag: Duration, tasks: usize, at: DateTime<Utc>) {
///     println!("event loop lag: {:.3}, running tasks: {tasks}, at {at}", lag.as_secs_f64());
/// }
///
/// fn count(sample: &loopmon::Sample) {
///     assert!(sample.lag < Duration::from_secs(5));
/// }
///
/// #[loopmon::main(
///     interval = "500ms",
///     callback = print_lag,
///     callback = count,
///     flavor = "multi_thread",
///     worker_threads = 2,
///     name = "app",
/// )]
/// async fn main() -> Result<(), Box<dyn std::error::Error>> {
///     tokio::time::sleep(Duration::from_millis(200)).await;
///     std::thread::sleep(Duration::from_secs(1)); // a blocking call: reported
///     tokio::time::sleep(Duration::from_millis(600)).await;
///     Ok(())
/// }
/// ```
///
/// `fn main() -> Result<..>`, other attributes on the function and user code that shadows
/// `tokio`, `loopmon`, `std`, `Duration` or `Box` keep working: the generated code only uses
/// absolute paths into `::loopmon::__private` and `__loopmon_`-prefixed names.
///
/// # A blocking call in `main`'s body
///
/// On `multi_thread`, tokio polls `main`'s body on the main thread through `block_on`, not on
/// a worker, so a probe task on the runtime cannot see the body block. The macro runs the body
/// under `loopmon::MonitorHandle::watch_block_on`, which adds a second probe inside it. Callbacks
/// still get one sample per interval, carrying the larger of the two lags; `Sample::source`
/// says which probe measured it (`LagSource::BlockOn` for the body).
///
/// # Without rebuilding: environment variables
///
/// - `LOOPMON_INTERVAL=100ms` replaces the attribute's interval (same syntax).
/// - `LOOPMON=off` turns the monitor off (`on` is the default).
///
/// A bad value prints one warning to stderr and keeps the attribute's value; it never stops
/// the program.
///
/// # The same without the macro
///
/// ```
/// use std::time::Duration;
///
/// fn main() {
///     tokio::runtime::Builder::new_multi_thread()
///         .enable_all()
///         .build()
///         .expect("Failed building the Runtime")
///         .block_on(async {
///             let monitor = loopmon::SleepMonitor::builder()
///                 .interval(Duration::from_millis(500))
///                 .callback(|s: &loopmon::Sample| println!("lag {:?}", s.lag))
///                 .build()
///                 .unwrap()
///                 .start()
///                 .guard(); // stops the monitor when the body ends
///             monitor
///                 .watch_block_on(async {
///                     // ... the body of `main` ...
///                 })
///                 .await
///         })
/// }
/// ```
///
/// (The macro also reads the two environment variables, and uses the default reporter when no
/// callback is given.)
///
/// # Compile errors
///
/// Misuse is reported at the offending token, with what to write instead, and every error of
/// the attribute at once: an interval without a unit (`"500"`: write `"500ms"`), zero, out of
/// range or unparseable; an unknown argument (the nearest valid one is suggested); a duplicate;
/// a `callback` that is not a path; a function that is not `async`; `main` with parameters;
/// `#[tokio::main]` on the same function; tokio arguments that do not fit the flavor.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Kind::Main, args.into(), item.into()).into()
}

/// Runs an `async fn` test on a tokio runtime with loopmon watching it, and optionally fails
/// the test when the runtime lagged: the guard that catches a blocking call in CI.
///
/// ```
/// #[loopmon::test(max_lag = "50ms")]
/// async fn handles_a_request() {
///     // A `std::thread::sleep`, a blocking read or a long computation here (or in a task the
///     // test spawns) fails the test with the worst lag, when it happened, and the limit.
///     tokio::time::sleep(std::time::Duration::from_millis(10)).await;
/// }
/// # fn main() {}
/// ```
///
/// It wraps `#[tokio::test]`: it takes all of its arguments, and the defaults stay tokio's
/// (`current_thread`). Everything `#[loopmon::main]` documents holds here too (arguments,
/// default reporter, environment variables, the probe inside `block_on`); `#[loopmon::test]`
/// adds `max_lag`. Do not add `#[test]` or `#[tokio::test]`: this attribute is both.
///
/// # Arguments
///
/// | argument | example | meaning |
/// |---|---|---|
/// | `max_lag` | `max_lag = "50ms"` | the test guard, below |
/// | `interval` | `interval = "10ms"` | time between samples, as for `#[loopmon::main]`; default 100 ms |
/// | `callback` | `callback = record` | a path to a callback; repeatable; replaces the default reporter |
/// | `stall_threshold` | `stall_threshold = "100ms"` | how long the runtime may be stuck before the stall watchdog reports it, while it still lasts (see `loopmon::Builder::stall_threshold`); default `loopmon::DEFAULT_STALL_THRESHOLD` (500 ms) |
/// | `on_stall` | `on_stall = page_someone` | a path to a `fn(&loopmon::Stall)`, called on the watchdog thread at a stall's start and end; repeatable; replaces the default stall reporter |
/// | `metrics` | `metrics = true` | records lag, tasks and stalls through the `metrics` facade; needs loopmon's `metrics` feature (a compile error without it) |
/// | `crate` | `crate = "my_loopmon"` | loopmon's path, when the dependency is renamed |
/// | `flavor` | `flavor = "multi_thread"` | tokio's: `current_thread` (default), `multi_thread`, `local` |
/// | `worker_threads` | `worker_threads = 2` | tokio's, `multi_thread` only |
/// | `start_paused` | `start_paused = true` | tokio's, `current_thread` only; needs tokio's `test-util` feature |
/// | `unhandled_panic` | `unhandled_panic = "shutdown_runtime"` | tokio's, `current_thread` only; needs `--cfg tokio_unstable` |
/// | `name` | `name = "test-runtime"` | tokio's: the runtime's name |
///
/// ```
/// use std::time::Duration;
///
/// fn record(sample: &loopmon::Sample) {
///     println!("lag {:?} measured by {:?}", sample.lag, sample.source);
/// }
///
/// #[loopmon::test(
///     max_lag = "100ms",
///     interval = "10ms",
///     callback = record,
///     flavor = "multi_thread",
///     worker_threads = 2,
/// )]
/// async fn parses() -> Result<(), std::num::ParseIntError> {
///     let n: u32 = "42".parse()?;
///     assert_eq!(n, 42);
///     Ok(())
/// }
/// # fn main() {}
/// ```
///
/// # The test guard: `max_lag`
///
/// With `max_lag = "50ms"`, the test panics (fails) when the runtime lagged more than 50 ms
/// while it ran:
///
/// ```text
/// loopmon: the runtime lagged 403.1ms at 2026-11-26T11:40:01.201Z, more than `max_lag` of 50ms: a blocking call or a CPU-heavy poll held it while the test ran
/// ```
///
/// The worst lag is taken from every sample, from every poll of the test's body (a poll that
/// runs 400 ms holds the thread 400 ms), and, when the body ends, from the deadline the probe
/// is still waiting for. A stall in a task the test spawns is seen by the probe, which reads it
/// up to one interval short: keep `interval` well below `max_lag` to catch those (for example
/// `interval = "10ms"`). It works with `#[should_panic]`, with tests returning `Result`, and on
/// both flavors; a test's own panic is left as it is. Under `LOOPMON=off` the guard is off too.
///
/// ```
/// #[loopmon::test(max_lag = "50ms")]
/// #[should_panic(expected = "more than `max_lag` of 50ms")]
/// async fn blocking_is_caught() {
///     std::thread::sleep(std::time::Duration::from_millis(200));
/// }
/// # fn main() {}
/// ```
///
/// # Paused clock
///
/// `#[loopmon::test(start_paused = true)]` behaves exactly as `#[tokio::test(start_paused =
/// true)]`: virtual time moves only as it would without loopmon (the probe is driven from an
/// OS thread in real time), a 600 s virtual sleep takes milliseconds, lag is measured in real
/// time so `max_lag` never trips on virtual time, and `tokio::time::timeout` is unaffected. As
/// with tokio, it needs tokio's `test-util` feature: `tokio = { version = "1", features =
/// ["test-util"] }` in `[dev-dependencies]`.
///
/// ```
/// #[loopmon::test(start_paused = true, max_lag = "50ms")]
/// async fn retries_after_ten_minutes() {
///     tokio::time::sleep(std::time::Duration::from_secs(600)).await; // instant
/// }
/// # fn main() {}
/// ```
///
/// # The same without the macro
///
/// ```
/// // `#[test]` goes here.
/// fn handles_a_request() {
///     tokio::runtime::Builder::new_current_thread()
///         .enable_all()
///         .build()
///         .expect("Failed building the Runtime")
///         .block_on(async {
///             let monitor = loopmon::SleepMonitor::builder().build().unwrap().start().guard();
///             monitor
///                 .watch_block_on(async {
///                     // ... the body of the test ...
///                 })
///                 .await
///         })
/// }
/// # fn main() { handles_a_request() }
/// ```
///
/// (`max_lag` has no public equivalent yet: it is a callback keeping the worst lag plus a
/// timer around each poll of the body.)
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Kind::Test, args.into(), item.into()).into()
}
