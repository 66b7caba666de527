//! [`WatchBlockOn`]: a probe inside the future that `block_on` drives.

use crate::alarm::Alarm;
use crate::monitor::Monitor;
use crate::schedule::Schedule;
use crate::stalls::heartbeat::Heartbeat;
use crate::stalls::watch::expected;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::runtime::RuntimeFlavor;

/// A future with a probe of its own; made by
/// [`MonitorHandle::watch_block_on`](crate::MonitorHandle::watch_block_on).
///
/// Each time it is polled, it first checks its probe's timer, then polls the inner future. While
/// the inner future blocks the thread, the timer cannot be served; the lateness is measured on
/// the next poll and handed to the monitor. Only the part of it that the inner future's last
/// poll covers is: the probe's timer is driven by the runtime's workers, which may be late
/// themselves (the runtime probe reports that), and the OS may keep an idle thread waiting; the
/// body is blamed only for the time it held its thread.
#[must_use = "futures do nothing unless polled"]
pub struct WatchBlockOn<F> {
    future: Pin<Box<F>>,
    probe: Option<BlockOnProbe>,
}

struct BlockOnProbe {
    monitor: Arc<Monitor>,
    schedule: Schedule,
    alarm: Alarm,
    /// Whether the first poll was served (the heartbeat is made then).
    started: bool,
    /// For the stall watchdog, from the first poll on (if the watchdog is on).
    heartbeat: Option<Arc<Heartbeat>>,
    /// When the inner future's last poll began and ended.
    last_poll: Option<(Instant, Instant)>,
}

impl Drop for BlockOnProbe {
    fn drop(&mut self) {
        if let Some(heartbeat) = &self.heartbeat {
            // The future finished (or was dropped): its thread is responsive again, which ends
            // a stall of the body that is being reported.
            let now = Instant::now();
            heartbeat.beat(now, now);
            heartbeat.retire();
        }
    }
}

impl<F: Future> WatchBlockOn<F> {
    pub(crate) fn new(monitor: Arc<Monitor>, future: F) -> WatchBlockOn<F> {
        let probe = (monitor.runtime.runtime_flavor() == RuntimeFlavor::MultiThread).then(|| {
            BlockOnProbe {
                schedule: Schedule::new(Instant::now(), monitor.interval),
                alarm: Alarm::lazy(monitor.interval),
                started: false,
                monitor,
                heartbeat: None,
                last_poll: None,
            }
        });
        WatchBlockOn {
            future: Box::pin(future),
            probe,
        }
    }
}

impl<F: Future> Future for WatchBlockOn<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        if let Some(probe) = &mut this.probe {
            if !probe.poll(cx) {
                this.probe = None;
            }
        }
        let Some(probe) = &mut this.probe else {
            return this.future.as_mut().poll(cx);
        };
        let started = Instant::now();
        if let Some(heartbeat) = &probe.heartbeat {
            heartbeat.poll_started(started);
        }
        let poll = this.future.as_mut().poll(cx);
        let ended = Instant::now();
        probe.last_poll = Some((started, ended));
        if let Some(heartbeat) = &probe.heartbeat {
            heartbeat.poll_ended(ended);
        }
        poll
    }
}

impl BlockOnProbe {
    /// Serves every deadline that has passed; `false` once the monitor is stopped.
    fn poll(&mut self, cx: &mut Context<'_>) -> bool {
        loop {
            if self.monitor.counters.is_stopped() {
                return false;
            }
            let deadline = self.schedule.next();
            if !self.started {
                self.started = true;
                if let Some(watch) = self.monitor.watch.get() {
                    self.heartbeat = Some(watch.add_block_on(Instant::now(), deadline));
                }
            }
            if self.alarm.poll_until(cx, deadline).is_pending() {
                return true;
            }
            let now = Instant::now();
            self.monitor
                .record_block_on_lag(held(self.last_poll, deadline, now));
            self.schedule.advance(now);
            if let Some(heartbeat) = &self.heartbeat {
                let interval = self.monitor.interval;
                heartbeat.beat_here(now, expected(now, self.schedule.next(), interval));
            }
        }
    }
}

/// How long, between `deadline` and `now`, the inner future's `last_poll` held the thread.
fn held(last_poll: Option<(Instant, Instant)>, deadline: Instant, now: Instant) -> Duration {
    match last_poll {
        Some((started, ended)) => ended
            .min(now)
            .saturating_duration_since(started.max(deadline)),
        None => Duration::ZERO,
    }
}

impl<F> fmt::Debug for WatchBlockOn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WatchBlockOn")
            .field("probing", &self.probe.is_some())
            .finish_non_exhaustive()
    }
}
