//! [`Ticker`]: an OS thread that wakes the probe on its schedule, for runtimes whose clock is
//! paused.
//!
//! Under tokio's paused clock (`start_paused = true`, `tokio::time::pause()`), the runtime
//! advances virtual time to the next timer whenever it idles, so a probe on tokio's timer would
//! drive the clock forward on its own (measured: 142,517 ticks in 0.3 s of real time). The ticker
//! keeps loopmon off tokio's timer there: it sleeps in real time on its own thread and wakes the
//! probe through a [`Wakeup`], which leaves the virtual clock alone.

use crate::schedule::Schedule;
use crate::wakeup::Wakeup;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, Thread};
use std::time::Instant;

/// The probe's side of a ticker thread. Dropping it ends the thread promptly.
#[derive(Debug)]
pub(crate) struct Ticker {
    shared: Arc<Shared>,
    thread: Thread,
}

#[derive(Debug, Default)]
struct Shared {
    stop: AtomicBool,
    wakeup: Wakeup,
}

impl Ticker {
    /// Starts a thread that notifies on every deadline of `schedule`; `None` if the OS refused a
    /// thread.
    pub(crate) fn spawn(mut schedule: Schedule) -> Option<Ticker> {
        let shared = Arc::new(Shared::default());
        let theirs = shared.clone();
        let handle = thread::Builder::new()
            .name("loopmon-ticker".into())
            .spawn(move || loop {
                let deadline = schedule.next();
                loop {
                    if theirs.stop.load(Ordering::Acquire) {
                        return;
                    }
                    let now = Instant::now();
                    if now >= deadline {
                        break;
                    }
                    thread::park_timeout(deadline - now);
                }
                theirs.wakeup.wake();
                schedule.advance(Instant::now());
            })
            .ok()?;
        Some(Ticker {
            shared,
            thread: handle.thread().clone(),
        })
    }

    /// Resolves once `deadline` has passed, in real time.
    pub(crate) async fn wait_until(&self, deadline: Instant) {
        while Instant::now() < deadline {
            self.shared.wakeup.wait().await;
        }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        self.thread.unpark();
    }
}
