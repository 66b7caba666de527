//! The stalls flow: heartbeats and worker counters → the watchdog thread → [`Stall`] → stall
//! callbacks and the default reporter.
//!
//! - [`heartbeat`]: what each probe publishes when it runs (last seen, next due);
//! - [`workers`]: the stable stuck-worker rule over tokio's per-worker counters;
//! - [`hooks`]: task poll hooks (under `--cfg tokio_unstable`) naming the culprit task;
//! - [`watch`]: one monitor's part: looks at its heartbeats and workers, builds the reports;
//! - [`watchdog`]: the one OS thread per process that runs every monitor's watch;
//! - [`threads`]: the Linux thread id of each runtime thread, to look at a stalled one;
//! - [`stall`]: the report itself and the default reporter.

pub(crate) mod heartbeat;
pub(crate) mod hooks;
pub(crate) mod stall;
pub(crate) mod threads;
pub(crate) mod watch;
pub(crate) mod watchdog;
pub(crate) mod workers;
