//! The machine's own wake-up noise, for reference: an OS thread sleeping to drift-free deadlines
//! with `std::thread::sleep`, lag = now − deadline. It is not on the runtime at all, so whatever
//! it reports is the operating system's scheduling delay, which every contestant also suffers.

use crate::recorder::Recorder;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Asks the thread to stop when dropped or told.
#[derive(Debug, Clone)]
pub(crate) struct Stop(Arc<AtomicBool>);

impl Stop {
    pub(crate) fn stop(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

pub(super) fn spawn(interval: Duration, rec: Arc<Recorder>, ticks: Arc<AtomicU64>) -> Stop {
    let stop = Stop(Arc::new(AtomicBool::new(false)));
    let flag = stop.0.clone();
    std::thread::spawn(move || {
        let mut deadline = Instant::now() + interval;
        while !flag.load(Ordering::Relaxed) {
            std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
            rec.push(Instant::now().saturating_duration_since(deadline));
            ticks.fetch_add(1, Ordering::Relaxed);
            deadline += interval;
        }
    });
    stop
}
