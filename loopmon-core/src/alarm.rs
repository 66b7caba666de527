//! [`Alarm`]: how a probe waits for its deadline, without tokio's timer bias, and off tokio's
//! timer wherever that is cheaper.
//!
//! - At intervals of [`CLOCK_MIN`] and more (the default is 100 ms), and whenever the runtime's
//!   clock is paused, the probe waits on loopmon's clock thread (see [`crate::clock`]): no tokio
//!   timer is registered, so the runtime's parks stay as cheap as without loopmon.
//! - Below that, a tick per millisecond or so, a wake-up from another thread would cost more
//!   than tokio's timer: the probe sleeps on tokio's timer. That timer rounds every deadline
//!   *up* to its next millisecond tick, and the I/O driver's `epoll_wait` rounds its timeout up
//!   to whole milliseconds too, so a probe that slept until its deadline would read ~1.1 ms on
//!   an idle runtime. The alarm therefore asks for [`EARLY`] before the deadline, and the probe
//!   measures its lateness against the true deadline: on an idle runtime it runs just before or
//!   at the deadline (lag ≈ 0), and a real stall keeps its full size.

use crate::clock::Wait;
use crate::schedule::Schedule;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::time::Sleep;

/// The shortest interval served by loopmon's clock thread rather than tokio's timer.
pub(crate) const CLOCK_MIN: Duration = Duration::from_millis(10);

/// How far ahead of the deadline tokio's timer is armed: its own rounding (up to 1 ms) plus the
/// I/O driver's (up to 1 ms more).
pub(crate) const EARLY: Duration = Duration::from_millis(2);

/// A clock more than this far from real time has been paused (and perhaps advanced).
const PAUSED_SKEW: Duration = Duration::from_millis(1);

/// A probe's way of waiting for its deadlines.
#[derive(Debug)]
pub(crate) enum Alarm {
    /// tokio's timer, armed [`EARLY`] (made at the first wait, inside the runtime's context, if
    /// not before), for a probe at the given interval.
    Timer(Option<Pin<Box<Sleep>>>, Duration),
    /// loopmon's clock thread.
    Clock(Wait),
}

impl Alarm {
    /// The alarm for a probe at `interval` on the runtime whose context the caller is in.
    /// Panics, with tokio's message, if it needs tokio's timer and that runtime has none
    /// (`enable_time`), at the location of the caller's caller (the user's `start` or
    /// `install`).
    #[track_caller]
    pub(crate) fn for_current_runtime(schedule: &Schedule, interval: Duration) -> Alarm {
        if interval >= CLOCK_MIN || clock_is_paused() {
            if let Some(wait) = Wait::new(interval) {
                return Alarm::Clock(wait);
            }
        }
        let sleep = Box::pin(tokio::time::sleep_until(armed(schedule.next())));
        Alarm::Timer(Some(sleep), interval)
    }

    /// An alarm whose timer is made at its first wait (for a probe made outside the runtime's
    /// context, which polls it inside).
    pub(crate) fn lazy(interval: Duration) -> Alarm {
        if interval >= CLOCK_MIN {
            if let Some(wait) = Wait::new(interval) {
                return Alarm::Clock(wait);
            }
        }
        Alarm::Timer(None, interval)
    }

    /// Resolves when the probe should run for `deadline` (possibly up to [`EARLY`] before it).
    pub(crate) async fn wait_until(&mut self, deadline: Instant) {
        poll_fn(|cx| self.poll_until(cx, deadline)).await;
    }

    /// Ready when the probe should run for `deadline`.
    pub(crate) fn poll_until(&mut self, cx: &mut Context<'_>, deadline: Instant) -> Poll<()> {
        loop {
            match self {
                Alarm::Timer(sleep, interval) => {
                    let interval = *interval;
                    let armed = armed(deadline);
                    let sleep = match sleep {
                        Some(sleep) => sleep,
                        None if clock_is_paused() => {
                            match Wait::new(interval) {
                                Some(wait) => *self = Alarm::Clock(wait),
                                None => return Poll::Ready(()),
                            }
                            continue;
                        }
                        None => sleep.insert(Box::pin(tokio::time::sleep_until(armed))),
                    };
                    if sleep.deadline() != armed {
                        sleep.as_mut().reset(armed);
                    }
                    if sleep.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    if !clock_has_skewed() {
                        return Poll::Ready(());
                    }
                    // The clock was paused after the probe started, and the timer just moved it:
                    // serve this deadline, and the rest, from the clock thread.
                    match Wait::new(interval) {
                        Some(wait) => *self = Alarm::Clock(wait),
                        None => return Poll::Ready(()),
                    }
                }
                Alarm::Clock(wait) => return wait.poll_until(cx, deadline),
            }
        }
    }
}

/// The tokio instant at which to arm the timer for `deadline`.
fn armed(deadline: Instant) -> tokio::time::Instant {
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
