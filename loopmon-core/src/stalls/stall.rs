//! [`Stall`]: what the stall watchdog reports, and the default reporter.

use loopmon_inspect::ThreadSnapshot;
use std::fmt;
use std::panic::Location;
use std::time::Duration;

/// The stall threshold used when none is given: 500 ms.
///
/// Far above an ordinary hiccup (tokio's guidance is 10–100 µs between `.await`s, so a single
/// poll of half a second is a bug, not noise), and short enough that a one-second blocking call
/// is reported while it is still blocking.
pub const DEFAULT_STALL_THRESHOLD: Duration = Duration::from_millis(500);

/// A thread serving a monitored runtime that has not come back to the scheduler for longer than
/// the stall threshold, reported by the stall watchdog while it lasts
/// ([`StallKind::Started`]) and once more when it ends ([`StallKind::Ended`]).
///
/// Reports go to the callbacks given to [`Builder::on_stall`](crate::Builder::on_stall), or, if
/// there are none, to [`report_to_stderr`] (with the `tracing` feature: to `tracing`, while a
/// subscriber records loopmon's `WARN` events, and to stderr when none would).
/// With the `tracing` feature each report is also a `WARN` event, and with `metrics` each
/// ended stall's length goes into `loopmon_stall_seconds`.
///
/// ```
/// use loopmon::{Stall, StallKind};
/// use std::time::Duration;
///
/// let stall = Stall::new(StallKind::Started, Duration::from_millis(120));
/// assert_eq!(stall.kind, StallKind::Started);
/// assert_eq!(
///     stall.to_string(),
///     "stall: a runtime thread has been blocked for 120ms and still is"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stall {
    /// Whether the stall is going on or has ended.
    pub kind: StallKind,
    /// How long the thread has been stalled (`Started`: so far; `Ended`: in total).
    ///
    /// `Ended`: the stall's length. For a tokio worker (every `multi_thread` worker, and the
    /// thread of a `current_thread` runtime) it is how much the busy time that tokio publishes
    /// for the worker grew over the stall: within ~1 ms of the truth, plus whatever else that
    /// worker ran between its last park and the stall, and never outside the bounds the samples
    /// allow (at most one interval over, one interval under). For the thread running `block_on`
    /// (`main`'s body), which has no such counter, it runs from the start of the poll that
    /// blocked to its end. A synchronous callback that blocks is part of the stall it causes.
    /// Measured for 300 ms stalls at 10, 100 and 250 ms intervals: within 0.1 ms
    /// (`cargo run --release -p loopmon-bench --bin stalls -- lengths`).
    ///
    /// `Started`: for a thread watched by a probe (a `current_thread` runtime, the `block_on`
    /// thread) it counts from the probe's last run, up to one interval before the stall began;
    /// for a `multi_thread` worker, from the first moment loopmon saw the worker's counters
    /// frozen, up to one interval after the stall began.
    pub elapsed: Duration,
    /// The name of the stalled thread, when known.
    pub thread_name: Option<String>,
    /// The Linux thread id of the stalled thread (as in `/proc/self/task/<id>`, gdb's `LWP`),
    /// when known: on Linux with `/proc` mounted.
    pub thread_id: Option<u32>,
    /// The tokio worker index of the stalled thread (as in `RuntimeMetrics::worker_*` and
    /// `tokio::runtime::worker_index`): `Some(0)` for the thread of a `current_thread` runtime,
    /// `None` for the thread that runs `block_on` on a `multi_thread` runtime (`main`'s body).
    pub worker: Option<usize>,
    /// What the stalled thread was doing and where, read from outside while it was stalled:
    /// its [activity](ThreadSnapshot::activity) (sleeping, waiting on a lock, blocking I/O in
    /// `read`, running on the CPU, …) and, with the `stacks` feature on x86_64 Linux, its
    /// [frames](ThreadSnapshot::frames) down to your code. Taken when the stall is first
    /// reported; the `Ended` report carries the same. `None` where the thread's id is unknown
    /// or the platform has no `/proc` (see the platform table in the crate docs).
    pub snapshot: Option<ThreadSnapshot>,
    /// The task being polled on the stalled thread, when known: only on a runtime built with
    /// loopmon's poll hooks ([`install_poll_hooks`](crate::install_poll_hooks)) under
    /// `--cfg tokio_unstable`; `None` otherwise, and always for `block_on`'s own future.
    pub task: Option<StallTask>,
}

/// Whether a [`Stall`] is going on or is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StallKind {
    /// The thread is stalled now; reported once per stall, as soon as it exceeds the threshold.
    Started,
    /// The thread came back; reported once, with the stall's whole duration.
    Ended,
}

/// The task a stalled thread was polling: the culprit of the stall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct StallTask {
    /// The task's id.
    pub id: tokio::task::Id,
    /// Where the task was spawned (file, line and column of the `tokio::spawn` call).
    pub spawned_at: &'static Location<'static>,
}

impl Stall {
    /// A stall of the given kind and duration, with nothing else known.
    ///
    /// For tests of your own stall callbacks; loopmon builds the stalls it reports itself.
    pub fn new(kind: StallKind, elapsed: Duration) -> Stall {
        Stall {
            kind,
            elapsed,
            thread_name: None,
            thread_id: None,
            worker: None,
            snapshot: None,
            task: None,
        }
    }
}

impl fmt::Display for Stall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("stall: ")?;
        match (self.worker, &self.thread_name) {
            (Some(w), Some(name)) => write!(f, "worker {w} (thread `{name}`)")?,
            (Some(w), None) => write!(f, "worker {w}")?,
            (None, Some(name)) => write!(f, "thread `{name}` (block_on)")?,
            (None, None) => f.write_str("a runtime thread")?,
        }
        let elapsed =
            Duration::from_millis(u64::try_from(self.elapsed.as_millis()).unwrap_or(u64::MAX));
        match self.kind {
            StallKind::Started => write!(f, " has been blocked for {elapsed:?} and still is")?,
            StallKind::Ended => write!(f, " was blocked for {elapsed:?}")?,
        }
        if let Some(task) = &self.task {
            write!(
                f,
                ", polling task {} spawned at {}",
                task.id, task.spawned_at
            )?;
        }
        if let Some(snapshot) = &self.snapshot {
            write!(f, ": {snapshot}")?;
        }
        Ok(())
    }
}

/// The default stall reporter: prints each report to stderr as `loopmon: <stall>`.
///
/// Used when no callback was given to [`Builder::on_stall`](crate::Builder::on_stall) (with the
/// `tracing` feature, only while no subscriber records loopmon's `WARN` events); pass it there
/// explicitly to keep it alongside your own.
pub fn report_to_stderr(stall: &Stall) {
    eprintln!("loopmon: {stall}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_read_well() {
        let mut s = Stall::new(StallKind::Ended, Duration::from_micros(2_000_400));
        s.worker = Some(1);
        s.thread_name = Some("tokio-runtime-worker".into());
        assert_eq!(
            s.to_string(),
            "stall: worker 1 (thread `tokio-runtime-worker`) was blocked for 2s"
        );
        s.worker = None;
        s.thread_name = Some("main".into());
        s.kind = StallKind::Started;
        s.elapsed = Duration::from_millis(150);
        assert_eq!(
            s.to_string(),
            "stall: thread `main` (block_on) has been blocked for 150ms and still is"
        );
    }
}
