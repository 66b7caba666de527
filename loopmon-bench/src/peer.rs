//! The Rust-side contestants: loopmon, the peers a user would pick instead, and the bare
//! timer-wake floor, all started the same way and observed through one [`Probe`].
//!
//! The Python original runs in its own interpreter: see [`crate::python`].

mod eld;
mod floor;
mod loopmon;
mod metrics;
mod naive;
mod os_thread;

use crate::recorder::{nanos, Recorder};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// Who is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Peer {
    /// Nothing at all: the idle runtime.
    None,
    /// A bare `sleep_until` loop on drift-free deadlines, doing nothing else: the timer-wake
    /// floor any sleep-based monitor pays.
    Floor,
    /// loopmon's `SleepMonitor`.
    Loopmon,
    /// What users write by hand: `sleep_until(now + interval)`, lag = now − deadline.
    Naive,
    /// `tokio-eld` 0.3: an interval tick, then the delay of one `yield_now`.
    Eld,
    /// `tokio-metrics` 0.5 `RuntimeMonitor`, sampled by its README's loop.
    Metrics,
    /// Not a contestant: an OS thread's `std::thread::sleep` lateness, the machine's own noise.
    OsThread,
    /// Not a contestant: one task waiting on a tokio timer an hour away, which never fires: what
    /// merely having a timer registered costs a busy runtime.
    Pending,
}

impl Peer {
    /// Every Rust contestant, for parsing.
    const ALL: [Peer; 8] = [
        Peer::Pending,
        Peer::None,
        Peer::Floor,
        Peer::Loopmon,
        Peer::Naive,
        Peer::Eld,
        Peer::Metrics,
        Peer::OsThread,
    ];

    /// The name used on the command line and in the tables' keys.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Peer::None => "none",
            Peer::Floor => "floor",
            Peer::Loopmon => "loopmon",
            Peer::Naive => "naive",
            Peer::Eld => "eld",
            Peer::Metrics => "metrics",
            Peer::OsThread => "os-thread",
            Peer::Pending => "pending-timer",
        }
    }

    /// The name printed in the tables.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Peer::None => "no monitor",
            Peer::Floor => "floor: bare `sleep_until` loop",
            Peer::Loopmon => "**loopmon**",
            Peer::Naive => "naive tokio probe",
            Peer::Eld => "tokio-eld 0.3",
            Peer::Metrics => "tokio-metrics 0.5",
            Peer::OsThread => "reference: OS thread, `std::thread::sleep` lateness",
            Peer::Pending => "reference: one pending tokio timer (1 h away), nothing else",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Peer> {
        Peer::ALL.into_iter().find(|p| p.name() == s)
    }
}

/// The callback registered with loopmon (the other peers have no callbacks: they record
/// their figure themselves, as their users would).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cb {
    /// No callback.
    None,
    /// One synchronous callback that does nothing.
    Noop,
    /// One synchronous callback that stores the lag (a few ns: two atomic stores).
    Record,
    /// One async callback (the original's form) that does nothing: its own task, woken per sample.
    AsyncNoop,
}

impl Cb {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Cb::None => "none",
            Cb::Noop => "noop",
            Cb::Record => "record",
            Cb::AsyncNoop => "async",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Cb> {
        [Cb::None, Cb::Noop, Cb::Record, Cb::AsyncNoop]
            .into_iter()
            .find(|c| c.name() == s)
    }
}

/// A running contestant.
#[derive(Debug)]
pub(crate) struct Probe {
    pub(crate) peer: Peer,
    /// Taken just before the contestant started; every recorded time is relative to it.
    pub(crate) t0: Instant,
    pub(crate) interval: Duration,
    /// What it reported: lag (loopmon, naive), `max_busy_duration` (metrics).
    pub(crate) rec: Arc<Recorder>,
    /// Ticks of the peers that count them here (floor, naive, metrics).
    ticks: Arc<AtomicU64>,
    /// The last `Sample::tasks` loopmon delivered (with [`Cb::Record`]).
    pub(crate) tasks_seen: Arc<AtomicU64>,
    running: Running,
}

enum Running {
    Nothing,
    Task(JoinHandle<()>),
    Loopmon(::loopmon::MonitorHandle),
    Eld(tokio_eld::EldHistogram<u64>),
    Thread(os_thread::Stop),
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Running::Nothing => "Nothing",
            Running::Task(_) => "Task",
            Running::Loopmon(_) => "Loopmon",
            Running::Eld(_) => "Eld",
            Running::Thread(_) => "Thread",
        })
    }
}

impl Probe {
    /// Starts `peer` on the current runtime; keeps up to `capacity` samples; `notify` lets a
    /// scenario wait for "just after a tick".
    pub(crate) fn start(
        peer: Peer,
        interval: Duration,
        cb: Cb,
        capacity: usize,
        notify: bool,
    ) -> Probe {
        let rec = Arc::new(Recorder::new(capacity, notify));
        let t0 = rec.t0();
        let ticks = Arc::new(AtomicU64::new(0));
        let tasks_seen = Arc::new(AtomicU64::new(0));
        let running = match peer {
            Peer::None => Running::Nothing,
            Peer::Floor => Running::Task(floor::spawn(interval, ticks.clone())),
            Peer::Naive => Running::Task(naive::spawn(interval, rec.clone(), ticks.clone())),
            Peer::Metrics => Running::Task(metrics::spawn(interval, rec.clone(), ticks.clone())),
            Peer::Eld => Running::Eld(eld::start(interval)),
            Peer::Pending => {
                Running::Task(tokio::spawn(tokio::time::sleep(Duration::from_secs(3600))))
            }
            Peer::OsThread => {
                Running::Thread(os_thread::spawn(interval, rec.clone(), ticks.clone()))
            }
            Peer::Loopmon => Running::Loopmon(loopmon::start(
                interval,
                cb,
                rec.clone(),
                tasks_seen.clone(),
            )),
        };
        Probe {
            peer,
            t0,
            interval,
            rec,
            ticks,
            tasks_seen,
            running,
        }
    }

    /// Ticks so far.
    pub(crate) fn ticks(&self) -> u64 {
        match &self.running {
            Running::Nothing => 0,
            Running::Task(_) | Running::Thread(_) => self.ticks.load(Ordering::Relaxed),
            Running::Loopmon(h) => h.ticks(),
            Running::Eld(h) => h.len(),
        }
    }

    /// tokio-eld's histogram, when that is the peer.
    pub(crate) fn eld(&self) -> Option<&tokio_eld::EldHistogram<u64>> {
        match &self.running {
            Running::Eld(h) => Some(h),
            _ => None,
        }
    }

    pub(crate) fn stop(&self) {
        match &self.running {
            Running::Nothing => {}
            Running::Task(t) => t.abort(),
            Running::Loopmon(h) => h.stop(),
            Running::Eld(h) => h.stop(),
            Running::Thread(s) => s.stop(),
        }
    }

    /// How long before its deadline (ns) each on-time sample of a drift-free contestant was
    /// taken: loopmon arms its timer early and runs up to 2 ms ahead on an idle runtime.
    pub(crate) fn early(&self) -> Vec<u64> {
        let iv = nanos(self.interval);
        self.rec
            .samples()
            .into_iter()
            .filter(|&(_, lag)| lag == 0)
            .map(|(at, _)| nearest_grid_point(at, iv).saturating_sub(at))
            .collect()
    }

    /// The deadline (ns since `t0`) the probe waits for after a sample taken at `at` that
    /// reported `lag`.
    pub(crate) fn next_deadline_after(&self, at: u64, lag: u64) -> u64 {
        let iv = nanos(self.interval);
        match self.peer {
            // Drift-free grids `t0 + k × interval`. loopmon runs up to 2 ms before its deadline
            // on an idle runtime (it arms the timer early) and then reports 0.
            Peer::Loopmon | Peer::Floor | Peer::Eld | Peer::OsThread => {
                let served = if lag > 0 {
                    at - lag
                } else {
                    nearest_grid_point(at, iv)
                };
                served + iv
            }
            // Deadlines set from "now": the next one is one interval after this sample.
            Peer::Naive | Peer::Metrics | Peer::None | Peer::Pending => at + iv,
        }
    }
}

/// The deadline `k × iv` nearest to `at`: an on-time sample (lag 0) is taken between a little
/// before its deadline (loopmon runs up to 2 ms early) and a few µs after it (the callback reads
/// the clock after the probe did).
fn nearest_grid_point(at: u64, iv: u64) -> u64 {
    (at + iv / 2) / iv * iv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_time_samples_belong_to_the_nearest_deadline() {
        let ms = 1_000_000;
        assert_eq!(nearest_grid_point(98 * ms, 10 * ms), 100 * ms); // 2 ms early
        assert_eq!(nearest_grid_point(100 * ms + 5_000, 10 * ms), 100 * ms); // just after
        assert_eq!(nearest_grid_point(0, 10 * ms), 0);
    }
}
