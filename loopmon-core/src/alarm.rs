//! [`Alarm`]: how the probe waits for its deadline without tokio's timer bias and without
//! disturbing a paused clock.
//!
//! tokio's timer rounds every deadline *up* to its next millisecond tick, and the I/O driver's
//! `epoll_wait` rounds its timeout up to whole milliseconds too, so a probe that sleeps until its
//! deadline and reports `now − deadline` reads ~1.1 ms on an idle runtime. The alarm therefore
//! asks tokio's timer for [`EARLY`] before the deadline, and the probe measures its lateness
//! against the true deadline: on an idle runtime it runs just before or at the deadline (lag ≈ 0),
//! and a real stall keeps its full size.
//!
//! When the runtime's clock is paused, the alarm uses a [`Ticker`] thread instead (see
//! [`crate::ticker`]).

use crate::schedule::Schedule;
use crate::ticker::Ticker;
use std::pin::Pin;
use std::time::{Duration, Instant};
use tokio::time::Sleep;

/// How far ahead of the deadline tokio's timer is armed: its own rounding (up to 1 ms) plus the
/// I/O driver's (up to 1 ms more).
pub(crate) const EARLY: Duration = Duration::from_millis(2);

/// A clock more than this far from real time has been paused (and perhaps advanced).
const PAUSED_SKEW: Duration = Duration::from_millis(1);

/// The probe's way of waiting for a deadline.
#[derive(Debug)]
pub(crate) enum Alarm {
    /// tokio's timer, armed [`EARLY`].
    Timer(Pin<Box<Sleep>>),
    /// An OS thread, for a paused clock.
    Ticker(Ticker),
}

impl Alarm {
    /// The alarm for the runtime whose context the caller is in. Panics, with tokio's message,
    /// if that runtime has no timer (`enable_time`), at the location of the caller's caller (the
    /// user's `start` or `install`).
    #[track_caller]
    pub(crate) fn for_current_runtime(schedule: &Schedule) -> Alarm {
        if clock_is_paused() {
            if let Some(ticker) = Ticker::spawn(schedule.clone()) {
                return Alarm::Ticker(ticker);
            }
        }
        Alarm::Timer(Box::pin(tokio::time::sleep_until(armed(schedule.next()))))
    }

    /// Resolves when the probe should run for `deadline` (possibly up to [`EARLY`] before it).
    pub(crate) async fn wait_until(&mut self, deadline: Instant, schedule: &Schedule) {
        loop {
            match self {
                Alarm::Timer(sleep) => {
                    sleep.as_mut().reset(armed(deadline));
                    sleep.as_mut().await;
                    if !clock_has_skewed() {
                        return;
                    }
                    // The clock was paused after the probe started, and the timer just moved it:
                    // serve this deadline, and the rest, from a ticker thread.
                    match Ticker::spawn(schedule.clone()) {
                        Some(ticker) => *self = Alarm::Ticker(ticker),
                        None => return,
                    }
                }
                Alarm::Ticker(ticker) => return ticker.wait_until(deadline).await,
            }
        }
    }
}

/// The tokio instant at which to arm the timer for `deadline`.
pub(crate) fn armed(deadline: Instant) -> tokio::time::Instant {
    tokio::time::Instant::from_std(deadline.checked_sub(EARLY).unwrap_or(deadline))
}

/// Whether the current runtime's clock is paused: it stands still while real time goes on.
fn clock_is_paused() -> bool {
    let before = tokio::time::Instant::now();
    let real = Instant::now();
    while real.elapsed() < Duration::from_micros(2) {
        std::hint::spin_loop();
    }
    tokio::time::Instant::now() == before
}

/// Whether tokio's clock has drifted from real time: it was paused, and advanced or frozen.
fn clock_has_skewed() -> bool {
    let tokio_now = tokio::time::Instant::now().into_std();
    let real_now = Instant::now();
    let skew = if tokio_now > real_now {
        tokio_now - real_now
    } else {
        real_now - tokio_now
    };
    skew > PAUSED_SKEW
}
