//! [`LagGuard`]: the test guard of `#[loopmon::test(max_lag = "50ms")]`, and [`Timed`], the
//! wrapper that times each poll of the test's body.
//!
//! The guard keeps the worst lag seen while the test ran, from three sources:
//! 1. every sample (a synchronous callback: a lock nobody else holds, no allocation);
//! 2. every poll of the test's body: a poll that runs for `d` holds the thread for `d`, which is
//!    exactly the stall a blocking call in the body causes;
//! 3. at the end, the deadline the probe is still waiting for, if it passed: a stall in a task
//!    the test spawned, right before the body finished, that no sample could show yet.

use crate::alarm::EARLY;
use crate::callback::Callback;
use crate::sample::Sample;
use chrono::{DateTime, Utc};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// The worst lag seen while a test ran, checked against its `max_lag`.
#[derive(Debug)]
pub(crate) struct LagGuard {
    limit: Duration,
    interval: Duration,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    worst: Duration,
    at: Option<DateTime<Utc>>,
    /// When the probe last delivered a sample (or when the guard was made).
    last_sample: Instant,
}

impl LagGuard {
    pub(crate) fn new(limit: Duration, interval: Duration) -> LagGuard {
        LagGuard {
            limit,
            interval,
            state: Mutex::new(State {
                worst: Duration::ZERO,
                at: None,
                last_sample: Instant::now(),
            }),
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

    fn sampled(&self, sample: &Sample) {
        let mut state = self.lock();
        state.last_sample = Instant::now();
        state.record(sample.lag, sample.at);
    }

    /// Records a lag measured outside the samples (a poll of the body).
    fn record(&self, lag: Duration) {
        self.lock().record(lag, Utc::now());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Panics if the worst lag passed the limit, counting the deadline the probe still waits
    /// for, with `summary` (the monitor's) below the message. Call it once the body has finished.
    pub(crate) fn check(&self, summary: impl fmt::Display) {
        let mut state = self.lock();
        // The probe is due at most `interval` (+ its early arming) after its last run; past
        // that, it has been held up. This under-reads by up to one interval, never over-reads.
        let pending = state
            .last_sample
            .elapsed()
            .saturating_sub(self.interval + EARLY);
        state.record(pending, Utc::now());
        if state.worst > self.limit {
            let at = state.at.unwrap_or_else(Utc::now);
            panic!("{}\n{summary}", failure(state.worst, at, self.limit));
        }
    }
}

impl State {
    fn record(&mut self, lag: Duration, at: DateTime<Utc>) {
        if lag > self.worst {
            self.worst = lag;
            self.at = Some(at);
        }
    }
}

/// The test failure message.
fn failure(worst: Duration, at: DateTime<Utc>, limit: Duration) -> String {
    format!(
        "loopmon: the runtime lagged {worst:.1?} at {}, more than `max_lag` of {limit:?}: \
         a blocking call or a CPU-heavy poll held it while the test ran",
        at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    )
}

/// A future whose polls are timed for a [`LagGuard`], if there is one.
pub(crate) struct Timed<F> {
    future: Pin<Box<F>>,
    guard: Option<Arc<LagGuard>>,
}

impl<F: Future> Timed<F> {
    pub(crate) fn new(future: F, guard: Option<Arc<LagGuard>>) -> Timed<F> {
        Timed {
            future: Box::pin(future),
            guard,
        }
    }
}

impl<F: Future> Future for Timed<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let Some(guard) = &this.guard else {
            return this.future.as_mut().poll(cx);
        };
        let started = Instant::now();
        let poll = this.future.as_mut().poll(cx);
        let held = started.elapsed();
        if held > guard.limit {
            guard.record(held);
        }
        poll
    }
}

impl<F> fmt::Debug for Timed<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timed")
            .field("guard", &self.guard)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let guard = LagGuard::new(Duration::from_millis(50), Duration::from_secs(60));
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
        let guard = LagGuard::new(Duration::from_millis(50), Duration::from_secs(60));
        guard.sampled(&Sample::new(Duration::from_millis(51), 1, Utc::now()));
        guard.check("(summary)");
    }

    #[test]
    fn a_lag_within_the_limit_passes() {
        let guard = LagGuard::new(Duration::from_millis(50), Duration::from_secs(60));
        guard.sampled(&Sample::new(Duration::from_millis(50), 1, Utc::now()));
        guard.check("(summary)");
    }

    #[test]
    #[should_panic(expected = "the runtime lagged")]
    fn a_probe_overdue_at_the_end_fails() {
        let guard = LagGuard::new(Duration::from_millis(20), Duration::from_millis(10));
        std::thread::sleep(Duration::from_millis(100)); // no sample for 10 intervals
        guard.check("(summary)");
    }

    #[test]
    fn a_long_poll_of_the_body_is_recorded() {
        let guard = Arc::new(LagGuard::new(
            Duration::from_millis(20),
            Duration::from_secs(60),
        ));
        let body = Timed::new(
            async { std::thread::sleep(Duration::from_millis(60)) },
            Some(guard.clone()),
        );
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(body);
        assert!(guard.lock().worst >= Duration::from_millis(60));
    }
}
