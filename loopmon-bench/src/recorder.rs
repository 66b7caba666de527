//! [`Recorder`]: a fixed-size, lock-free log of samples `(at, value)`, filled from a probe's
//! callback without allocating.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Samples as nanoseconds since `t0`: when each was taken and the value it reported.
#[derive(Debug)]
pub(crate) struct Recorder {
    t0: Instant,
    at: Box<[AtomicU64]>,
    value: Box<[AtomicU64]>,
    len: AtomicUsize,
    /// Woken on every sample, for scenarios that wait for "just after a tick".
    notify: Option<Notify>,
}

impl Recorder {
    /// Room for `capacity` samples (later ones are counted but not kept). Its clock starts
    /// once the buffers are ready: see [`t0`](Self::t0).
    pub(crate) fn new(capacity: usize, with_notify: bool) -> Recorder {
        let at = (0..capacity).map(|_| AtomicU64::new(0)).collect();
        let value = (0..capacity).map(|_| AtomicU64::new(0)).collect();
        Recorder {
            at,
            value,
            len: AtomicUsize::new(0),
            notify: with_notify.then(Notify::new),
            t0: Instant::now(),
        }
    }

    /// The instant every recorded time is relative to.
    pub(crate) fn t0(&self) -> Instant {
        self.t0
    }

    /// Logs one sample taken now.
    pub(crate) fn push(&self, value: Duration) {
        let at = self.t0.elapsed();
        let i = self.len.fetch_add(1, Ordering::Relaxed);
        if i < self.at.len() {
            self.at[i].store(nanos(at), Ordering::Relaxed);
            self.value[i].store(nanos(value), Ordering::Relaxed);
        }
        if let Some(n) = &self.notify {
            n.notify_waiters();
        }
    }

    /// Samples pushed so far (kept or not).
    pub(crate) fn count(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Resolves at the next sample (needs `with_notify`).
    pub(crate) async fn next_sample(&self) {
        if let Some(n) = &self.notify {
            n.notified().await;
        }
    }

    /// The kept samples, `(at_ns, value_ns)`, in order.
    pub(crate) fn samples(&self) -> Vec<(u64, u64)> {
        let n = self.count().min(self.at.len());
        (0..n)
            .map(|i| {
                (
                    self.at[i].load(Ordering::Relaxed),
                    self.value[i].load(Ordering::Relaxed),
                )
            })
            .collect()
    }
}

/// A duration in nanoseconds, saturating.
pub(crate) fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_fits_and_counts_the_rest() {
        let r = Recorder::new(2, false);
        for ms in 1..=3 {
            r.push(Duration::from_millis(ms));
        }
        assert_eq!(r.count(), 3);
        let s = r.samples();
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].1, 2_000_000);
        assert!(s[0].0 <= s[1].0);
    }
}
