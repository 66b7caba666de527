//! [`LagGuard`]: the test guard of `#[loopmon::test(max_lag = "50ms")]`, and [`Timed`], the
//! wrapper that times each poll of the test's body.
//!
//! The guard fails a test on two figures, both of them the monitor's own, so that the failure
//! message, the summary below it and [`LagStats::max`](crate::LagStats::max) tell one story:
//! 1. the worst lag of the samples. Besides the probe's, these carry every poll of the test's
//!    body that held its thread (timed by [`Timed`], handed to the monitor as the body's lag), and
//!    a last sample for the deadline the probe was still waiting for at the end (a stall in a
//!    task the test spawned, right before the body finished), dispatched before the monitor stops;
//! 2. the longest stall the watchdog reported: a thread of the runtime stuck longer than the
//!    limit, one worker of several included, which no sample shows while the other workers keep
//!    the probe on time. The watchdog's threshold is lowered to `max_lag` for that.

use crate::callback::Callback;
use crate::monitor::Monitor;
use crate::sample::Sample;
use crate::stalls::stall::Stall;
use chrono::{DateTime, Utc};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// The worst lag and the longest stall seen while a test ran, checked against its `max_lag`.
#[derive(Debug)]
pub(crate) struct LagGuard {
    limit: Duration,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    worst: Duration,
    at: Option<DateTime<Utc>>,
    /// The longest stall reported, as last reported.
    stall: Option<Stall>,
}

impl LagGuard {
    pub(crate) fn new(limit: Duration) -> LagGuard {
        LagGuard {
            limit,
            state: Mutex::default(),
        }
    }

    pub(crate) fn limit(&self) -> Duration {
        self.limit
    }

    /// The synchronous callback that feeds samples to the guard.
    pub(crate) fn callback(self: &Arc<Self>) -> Callback {
        let guard = self.clone();
        Callback::sync(move |s: &Sample| guard.sampled(s))
    }

    /// The stall callback that feeds stall reports to the guard.
    pub(crate) fn stall_observer(self: &Arc<Self>) -> impl Fn(&Stall) + Send + Sync + 'static {
        let guard = self.clone();
        move |stall: &Stall| guard.stalled(stall)
    }

    fn sampled(&self, sample: &Sample) {
        let mut state = self.lock();
        if sample.lag > state.worst {
            state.worst = sample.lag;
            state.at = Some(sample.at);
        }
    }

    fn stalled(&self, stall: &Stall) {
        let mut state = self.lock();
        if state
            .stall
            .as_ref()
            .is_none_or(|s| stall.elapsed >= s.elapsed)
        {
            state.stall = Some(stall.clone());
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Panics if the worst lag or the longest stall passed the limit, with `summary` (the
    /// monitor's) below the message. A lag that failed the test comes with the longest stall
    /// report, if any: what held the thread, and where. Call it once the monitor has stopped.
    #[track_caller]
    pub(crate) fn check(&self, summary: impl fmt::Display) {
        let state = self.lock();
        let stall = state.stall.as_ref().filter(|s| s.elapsed > self.limit);
        if state.worst > self.limit {
            let at = state.at.unwrap_or_else(Utc::now);
            let failure = failure(state.worst, at, self.limit);
            match stall {
                Some(stall) => panic!("{failure}\nloopmon: {stall}\n{summary}"),
                None => panic!("{failure}\n{summary}"),
            }
        }
        if let Some(stall) = stall {
            panic!("{}\n{summary}", stall_failure(stall, self.limit));
        }
    }
}

/// The test failure message for a lag.
fn failure(worst: Duration, at: DateTime<Utc>, limit: Duration) -> String {
    format!(
        "loopmon: the runtime lagged {worst:.1?} at {}, more than `max_lag` of {limit:?}: \
         a blocking call or a CPU-heavy poll held it while the test ran",
        at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    )
}

/// The test failure message for a stall.
fn stall_failure(stall: &Stall, limit: Duration) -> String {
    format!(
        "loopmon: a runtime thread was stuck for longer than `max_lag` of {limit:?} while the \
         test ran: {stall}"
    )
}

/// A future whose polls are timed: a poll that holds the thread for longer than the limit is
/// handed to the monitor as the body's lag (the next sample carries it).
pub(crate) struct Timed<F> {
    future: Pin<Box<F>>,
    timing: Option<(Duration, Arc<Monitor>)>,
}

impl<F: Future> Timed<F> {
    pub(crate) fn new(future: F, timing: Option<(Duration, Arc<Monitor>)>) -> Timed<F> {
        Timed {
            future: Box::pin(future),
            timing,
        }
    }
}

impl<F: Future> Future for Timed<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let Some((limit, monitor)) = &this.timing else {
            return this.future.as_mut().poll(cx);
        };
        let started = Instant::now();
        let poll = this.future.as_mut().poll(cx);
        let held = started.elapsed();
        if held > *limit {
            monitor.record_block_on_lag(held);
        }
        poll
    }
}

impl<F> fmt::Debug for Timed<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timed")
            .field("limit", &self.timing.as_ref().map(|t| t.0))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stalls::stall::StallKind;
    use chrono::TimeZone;

    #[test]
    fn the_message_gives_the_lag_the_time_and_the_limit() {
        let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(
            failure(
                Duration::from_micros(203_440),
                at,
                Duration::from_millis(50)
            ),
            "loopmon: the runtime lagged 203.4ms at 2026-01-02T03:04:05.000Z, more than \
             `max_lag` of 50ms: a blocking call or a CPU-heavy poll held it while the test ran"
        );
    }

    #[test]
    fn the_worst_sample_is_kept() {
        let guard = LagGuard::new(Duration::from_millis(50));
        let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        guard.sampled(&Sample::new(Duration::from_millis(80), 1, at));
        guard.sampled(&Sample::new(Duration::from_millis(10), 1, Utc::now()));
        let state = guard.lock();
        assert_eq!(
            (state.worst, state.at),
            (Duration::from_millis(80), Some(at))
        );
    }

    #[test]
    #[should_panic(expected = "more than `max_lag` of 50ms")]
    fn a_lag_past_the_limit_fails() {
        let guard = LagGuard::new(Duration::from_millis(50));
        guard.sampled(&Sample::new(Duration::from_millis(51), 1, Utc::now()));
        guard.check("(summary)");
    }

    #[test]
    #[should_panic(expected = "held it while the test ran\nloopmon: stall: worker 1 was \
                               blocked for 300ms\n(summary)")]
    fn a_lag_past_the_limit_comes_with_the_stall_report() {
        let guard = LagGuard::new(Duration::from_millis(50));
        guard.sampled(&Sample::new(Duration::from_millis(200), 1, Utc::now()));
        let mut stall = Stall::new(StallKind::Ended, Duration::from_millis(300));
        stall.worker = Some(1);
        guard.stalled(&stall);
        guard.check("(summary)");
    }

    #[test]
    fn a_lag_within_the_limit_passes() {
        let guard = LagGuard::new(Duration::from_millis(50));
        guard.sampled(&Sample::new(Duration::from_millis(50), 1, Utc::now()));
        guard.check("(summary)");
    }

    #[test]
    #[should_panic(
        expected = "stuck for longer than `max_lag` of 50ms while the test ran: \
                               stall: worker 1 was blocked for 300ms"
    )]
    fn a_stall_past_the_limit_fails() {
        let guard = LagGuard::new(Duration::from_millis(50));
        let mut stall = Stall::new(StallKind::Started, Duration::from_millis(60));
        stall.worker = Some(1);
        guard.stalled(&stall);
        stall.kind = StallKind::Ended;
        stall.elapsed = Duration::from_millis(300);
        guard.stalled(&stall);
        guard.check("(summary)");
    }
}
