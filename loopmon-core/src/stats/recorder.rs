//! [`Recorder`]: records every sample of one monitor, the probe writing, any thread reading.
//!
//! # How `take_stats` never loses or splits a sample
//!
//! The recorder keeps two halves. The probe (the only writer: ticks never overlap) records
//! into the *active* half; a reader swaps which half is active, waits until a write still in
//! progress on the other half has ended (tens of nanoseconds), then drains that half into the
//! totals it returns. A sample therefore lands in exactly one half, and each half is drained
//! whole, by exactly one reader.
//!
//! The probe never waits. It announces a write on a half (`writing`) and checks that the half
//! is still active *after* the announcement; if a reader swapped in between, it withdraws and
//! records into the new active half instead, so it only ever retries because a reader made
//! progress. The `Mutex` around each half's data is therefore never contended: it is there to
//! give the data a safe owner, not to make anyone wait. Every access to `active` and `writing`
//! is `SeqCst`: the writer's "announce, then re-check" and the reader's "swap, then look"
//! cannot both miss each other.

use super::LagStats;
use crate::sample::Sample;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// Records every sample of one monitor; the probe records, any thread reads. See the module
/// docs for why the probe never waits and a take never loses a sample.
pub(crate) struct Recorder {
    /// The half (0 or 1) the probe records into.
    active: AtomicUsize,
    halves: [Half; 2],
    /// What readers drained from the halves; also serialises readers.
    drained: Mutex<Drained>,
}

struct Half {
    /// The probe is recording into this half.
    writing: AtomicBool,
    stats: Mutex<LagStats>,
}

struct Drained {
    since_start: LagStats,
    since_take: LagStats,
}

impl Recorder {
    pub(crate) fn new(threshold: Duration) -> Recorder {
        let half = || Half {
            writing: AtomicBool::new(false),
            stats: Mutex::new(LagStats::empty(threshold)),
        };
        Recorder {
            active: AtomicUsize::new(0),
            halves: [half(), half()],
            drained: Mutex::new(Drained {
                since_start: LagStats::empty(threshold),
                since_take: LagStats::empty(threshold),
            }),
        }
    }

    /// Records one sample. Called by the probe only (never concurrently with itself); never
    /// waits, allocates nothing.
    pub(crate) fn record(&self, sample: &Sample) {
        loop {
            let index = self.active.load(SeqCst);
            let half = &self.halves[index];
            half.writing.store(true, SeqCst);
            if self.active.load(SeqCst) == index {
                // No reader touches this half until `writing` is false again.
                half.stats
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .record(sample);
                half.writing.store(false, SeqCst);
                return;
            }
            // A reader swapped the halves meanwhile: record into the new active half.
            half.writing.store(false, SeqCst);
        }
    }

    /// Drains everything recorded so far into the totals, and returns them.
    fn drain(&self) -> MutexGuard<'_, Drained> {
        let mut drained = self.drained.lock().unwrap_or_else(PoisonError::into_inner);
        let index = self.active.fetch_xor(1, SeqCst);
        let half = &self.halves[index];
        while half.writing.load(SeqCst) {
            std::thread::yield_now();
        }
        let mut stats = half.stats.lock().unwrap_or_else(PoisonError::into_inner);
        drained.since_start.merge(&stats);
        drained.since_take.merge(&stats);
        stats.reset();
        drained
    }

    /// Every sample since the monitor started.
    pub(crate) fn since_start(&self) -> LagStats {
        self.drain().since_start.clone()
    }

    /// Every sample since the last call; starts a new window.
    pub(crate) fn take(&self) -> LagStats {
        let mut drained = self.drain();
        let fresh = LagStats::empty(drained.since_take.threshold);
        std::mem::replace(&mut drained.since_take, fresh)
    }
}

impl fmt::Debug for Recorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recorder").finish_non_exhaustive()
    }
}

/// Not public API: the recorder, for `benches/record.rs` to time on its own.
#[doc(hidden)]
#[derive(Debug)]
pub struct BenchRecorder(Recorder);

impl BenchRecorder {
    #[allow(missing_docs)]
    pub fn new(threshold: Duration) -> BenchRecorder {
        BenchRecorder(Recorder::new(threshold))
    }
    #[allow(missing_docs)]
    pub fn record(&self, sample: &Sample) {
        self.0.record(sample);
    }
    #[allow(missing_docs)]
    pub fn take(&self) -> LagStats {
        self.0.take()
    }
}
