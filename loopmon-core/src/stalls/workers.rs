//! [`Workers`]: the stable stuck-worker rule, for `multi_thread` runtimes.
//!
//! tokio publishes a worker's counters only when the worker parks and at maintenance (every 61
//! scheduler ticks), so they freeze while one poll runs. For each worker the table keeps the pair
//! `(park/unpark count, total busy time)` and the moment a sampler first saw that pair (in nanoseconds of the heartbeat clock). A worker
//! whose count is even (it is not parked) and whose pair has not changed for longer than the
//! threshold has been inside one poll (or at most 61 short ones) for that long: it is stuck.
//!
//! A saturated but healthy worker runs many short polls without parking; its maintenance still
//! publishes new busy time every 61 polls, so its pair keeps changing and it is never flagged.
//!
//! Samples come from the probe, once per interval, on whatever worker it runs (so an idle
//! runtime costs the watchdog no extra wake-ups), and from the watchdog itself when it wakes.

use std::ops::RangeInclusive;
use std::time::Duration;
use tokio::runtime::RuntimeMetrics;

/// What the table knows about one worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    count: u64,
    busy: Duration,
    /// When a sampler first saw this pair (ns, heartbeat clock).
    since: u64,
    /// The sample before that one: the worker was last seen making progress then or later.
    progress: u64,
}

/// How a worker left a stall the watchdog is watching: it was last seen stuck at the range's
/// start and first seen moving at its end (ns), and had then published `busy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Left {
    pub(crate) between: RangeInclusive<u64>,
    pub(crate) busy: Duration,
}

/// The last pair seen for each worker of one runtime.
#[derive(Debug, Default)]
pub(crate) struct Workers {
    seen: Vec<Option<Seen>>,
    /// Per worker, the stuck pair the watchdog reported (see [`Workers::watch_stuck`]) and, once
    /// the worker moved on, how it left. Kept apart from `seen`, which only holds the latest pair:
    /// the watchdog may look only after several more (e.g. while a stall callback runs).
    stuck: Vec<Stuck>,
    /// When the table was last sampled (ns).
    last_sample: u64,
}

/// Whether the watchdog watches a worker's stall, and how that stall ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
enum Stuck {
    #[default]
    No,
    /// Stalled with this pair.
    On(u64, Duration),
    Left(Left),
}

impl Workers {
    /// A table for `n` workers: sampling allocates nothing.
    pub(crate) fn new(n: usize) -> Workers {
        Workers {
            seen: vec![None; n],
            stuck: vec![Stuck::No; n],
            last_sample: 0,
        }
    }

    /// Reads every worker's counters at `now` (ns).
    pub(crate) fn sample(&mut self, metrics: &RuntimeMetrics, now: u64) {
        let n = metrics.num_workers();
        let pairs = (0..n).map(|w| {
            (
                metrics.worker_park_unpark_count(w),
                metrics.worker_total_busy_duration(w),
            )
        });
        self.record_all(n, pairs, now);
    }

    /// Records the pairs of `n` workers read at `now` (ns).
    fn record_all(&mut self, n: usize, pairs: impl Iterator<Item = (u64, Duration)>, now: u64) {
        if self.seen.len() != n {
            self.seen.resize(n, None);
            self.stuck.resize(n, Stuck::No);
        }
        for ((seen, stuck), (count, busy)) in self.seen.iter_mut().zip(&mut self.stuck).zip(pairs) {
            Self::left(stuck, count, busy, now, self.last_sample);
            Self::record(seen, count, busy, now, self.last_sample);
        }
        self.last_sample = self.last_sample.max(now);
    }

    /// Notes that a worker stalled on the pair `(count, busy)` moved on, if it did.
    fn left(stuck: &mut Stuck, count: u64, busy: Duration, now: u64, before: u64) {
        if let Stuck::On(c, b) = *stuck {
            if (c, b) != (count, busy) {
                *stuck = Stuck::Left(Left {
                    between: before.min(now)..=now,
                    busy,
                });
            }
        }
    }

    /// The watchdog reported worker `w` stalled: from now on the table remembers when its
    /// current pair changes, for [`Workers::take_left`].
    pub(crate) fn watch_stuck(&mut self, w: usize) {
        if let (Some(Some(seen)), Some(stuck)) = (self.seen.get(w), self.stuck.get_mut(w)) {
            *stuck = Stuck::On(seen.count, seen.busy);
        }
    }

    /// How worker `w` left the stall [`Workers::watch_stuck`] noted, once it has; the table
    /// then forgets that stall.
    pub(crate) fn take_left(&mut self, w: usize) -> Option<Left> {
        let stuck = self.stuck.get_mut(w)?;
        match std::mem::take(stuck) {
            Stuck::Left(left) => Some(left),
            other => {
                *stuck = other;
                None
            }
        }
    }

    fn record(seen: &mut Option<Seen>, count: u64, busy: Duration, now: u64, before: u64) {
        match seen {
            Some(s) if s.count == count && s.busy == busy => {}
            _ => {
                *seen = Some(Seen {
                    count,
                    busy,
                    since: now,
                    progress: if before == 0 { now } else { before.min(now) },
                })
            }
        }
    }

    /// The moment worker `w`'s current pair was first seen, if the worker is not parked.
    pub(crate) fn active_since(&self, w: usize) -> Option<u64> {
        match self.seen.get(w).copied().flatten() {
            Some(s) if s.count % 2 == 0 => Some(s.since),
            _ => None,
        }
    }

    /// Whether some worker, not parked, has kept its pair since `before` (ns) or earlier: it
    /// has been in one poll at least that long.
    pub(crate) fn any_active_since(&self, before: u64) -> bool {
        (0..self.seen.len()).any(|w| self.active_since(w).is_some_and(|since| since <= before))
    }

    /// The last sample before worker `w`'s current pair was first seen: whatever the worker is
    /// doing now began at this moment or later.
    pub(crate) fn progress(&self, w: usize) -> Option<u64> {
        self.seen.get(w).copied().flatten().map(|s| s.progress)
    }

    /// Worker `w`'s last pair seen: (park/unpark count, busy time).
    pub(crate) fn pair(&self, w: usize) -> Option<(u64, Duration)> {
        self.seen
            .get(w)
            .copied()
            .flatten()
            .map(|s| (s.count, s.busy))
    }

    /// The busy time worker `w` has published so far (frozen during a stall).
    pub(crate) fn busy(&self, w: usize) -> Option<Duration> {
        self.seen.get(w).copied().flatten().map(|s| s.busy)
    }

    /// How many workers the table knows.
    pub(crate) fn len(&self) -> usize {
        self.seen.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn table(pairs: &[(u64, u64)], now: u64, t: &mut Workers) {
        let pairs = pairs.iter().map(|&(c, b)| (c, Duration::from_nanos(b)));
        t.record_all(pairs.len(), pairs, now);
    }

    /// The stuck workers at `now` for a threshold of `t_ms`.
    fn stuck(t: &Workers, now: u64, t_ms: u64) -> Vec<usize> {
        (0..t.len())
            .filter(|&w| t.active_since(w).is_some_and(|s| now - s > t_ms * MS))
            .collect()
    }

    #[test]
    fn a_frozen_active_worker_is_stuck_and_a_parked_one_is_not() {
        let mut t = Workers::default();
        // Worker 0 active (even count), worker 1 parked (odd count).
        table(&[(4, 100), (5, 100)], 0, &mut t);
        table(&[(4, 100), (5, 100)], 50 * MS, &mut t);
        assert_eq!(stuck(&t, 50 * MS, 100), Vec::<usize>::new());
        table(&[(4, 100), (5, 100)], 150 * MS, &mut t);
        assert_eq!(stuck(&t, 150 * MS, 100), vec![0]);
        // It was last seen making progress at the first sample, and its busy time is frozen.
        assert_eq!(t.progress(0), Some(0));
        assert_eq!(t.busy(0), Some(Duration::from_nanos(100)));
        // It comes back: the pair changes, the stall is over.
        table(&[(6, 900), (5, 100)], 160 * MS, &mut t);
        assert_eq!(
            t.progress(0),
            Some(150 * MS),
            "the sample before the change"
        );
        assert_eq!(stuck(&t, 200 * MS, 100), Vec::<usize>::new());
    }

    #[test]
    fn a_watched_stall_keeps_how_it_ended_until_taken() {
        let mut t = Workers::default();
        table(&[(4, 100), (5, 100)], 0, &mut t);
        table(&[(4, 100), (5, 100)], 150 * MS, &mut t);
        t.watch_stuck(0);
        assert_eq!(t.take_left(0), None, "still stuck");
        table(&[(4, 100), (5, 100)], 170 * MS, &mut t);
        // The worker moves on, and on again, before the watchdog looks: the first change is
        // the end (last seen stuck at 170 ms, first seen moving at 180 ms).
        table(&[(6, 900), (5, 100)], 180 * MS, &mut t);
        table(&[(8, 950), (5, 100)], 190 * MS, &mut t);
        let left = Left {
            between: 170 * MS..=180 * MS,
            busy: Duration::from_nanos(900),
        };
        assert_eq!(t.take_left(0), Some(left));
        assert_eq!(t.take_left(0), None, "taken once");
        assert_eq!(t.take_left(1), None, "never watched");
        // A new stall of the same worker is watched afresh.
        table(&[(8, 950), (5, 100)], 400 * MS, &mut t);
        t.watch_stuck(0);
        table(&[(10, 990), (5, 100)], 410 * MS, &mut t);
        assert_eq!(t.take_left(0).map(|l| l.between), Some(400 * MS..=410 * MS));
    }

    #[test]
    fn a_worker_in_one_poll_for_half_the_threshold_looks_stuck() {
        let mut t = Workers::default();
        table(&[(4, 100), (5, 100)], 10 * MS, &mut t);
        table(&[(4, 100), (5, 100)], 40 * MS, &mut t);
        assert!(t.any_active_since(10 * MS), "active, unchanged since 10 ms");
        assert!(
            !t.any_active_since(9 * MS),
            "not since before it was first seen"
        );
        // The active worker parks: nothing looks stuck, however long the parked one waits.
        table(&[(5, 200), (5, 100)], 60 * MS, &mut t);
        assert!(!t.any_active_since(60 * MS));
    }

    #[test]
    fn a_saturated_worker_is_never_stuck() {
        // Busy all the time without parking: the count stays even, but maintenance publishes
        // new busy time every few milliseconds.
        let mut t = Workers::default();
        for step in 0..1000u64 {
            let now = step * 3 * MS;
            table(&[(2, step * 3 * MS), (2, step * 3 * MS + 1)], now, &mut t);
            assert!(stuck(&t, now, 100).is_empty(), "flagged at step {step}");
        }
    }
}
