//! [`Sample`]: what the probe measures once per interval.

use chrono::{DateTime, Utc};
use std::time::Duration;

/// One measurement of the runtime, delivered to every callback once per interval.
///
/// # Lag
///
/// `lag` is how late the probe ran compared with the deadline it asked for. An idle runtime
/// shows ≈ 0 (the probe asks to be woken early and measures against the true deadline, so the
/// 1 ms rounding of tokio's timer does not show up as lag). A stall of `S` that begins partway
/// through an interval `I` shows as a lag between `S − I` and `S`: the part of the stall that
/// fell before the probe's deadline did not make the probe late. (The probe is woken up to
/// 0.5 ms early, 2 ms below 10 ms intervals, so it may already have run for a deadline that is
/// about to come; a stall that begins in that gap reads up to that much below `S − I`.)
///
/// # Example
///
/// ```
/// use loopmon::Sample;
/// use std::time::Duration;
///
/// let s = Sample::new(Duration::from_millis(3), 12, chrono::Utc::now());
/// assert_eq!(s.lag, Duration::from_millis(3));
/// assert_eq!(s.tasks, 12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sample {
    /// How late the probe ran: the time between its deadline and the moment it ran.
    pub lag: Duration,
    /// Alive tasks on the runtime when the probe ran, not counting loopmon's own
    /// (its probe and callback deliveries in flight).
    pub tasks: usize,
    /// When the probe ran, in UTC.
    pub at: DateTime<Utc>,
    /// Which probe measured `lag` (see [`LagSource`]).
    pub source: LagSource,
    /// The sequence number of this sample: 0 for the first one, then one more per sample.
    pub tick: u64,
}

impl Sample {
    /// A sample with the given figures, measured by the runtime probe, tick 0.
    ///
    /// For tests of your own callbacks; loopmon builds the samples it delivers itself.
    pub fn new(lag: Duration, tasks: usize, at: DateTime<Utc>) -> Self {
        Sample {
            lag,
            tasks,
            at,
            source: LagSource::Runtime,
            tick: 0,
        }
    }
}

/// Where a sample's lag was measured.
///
/// On a `multi_thread` runtime, `#[tokio::main]` polls `main`'s body on the main thread through
/// `block_on`, not on a worker, so a probe spawned on the runtime cannot see a blocking call in
/// the body. The `#[loopmon::main]` macro adds a second probe inside the body; each interval the
/// larger of the two lags is delivered, and `source` says which probe measured it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LagSource {
    /// The probe task spawned on the runtime: it is scheduled like your tasks.
    Runtime,
    /// The probe inside the future passed to `block_on` (`main`'s body under `#[loopmon::main]`).
    BlockOn,
}
