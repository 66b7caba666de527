//! [`Schedule`]: the probe's deadlines, on a fixed grid so that N ticks take N × interval.

use std::time::{Duration, Instant};

/// Deadlines `start + k × interval`. A tick that ran late does not shift the grid; deadlines
/// that passed while the runtime was stalled are skipped, not replayed.
#[derive(Debug, Clone)]
pub(crate) struct Schedule {
    next: Instant,
    interval: Duration,
}

impl Schedule {
    /// The first deadline is one interval after `start`.
    pub(crate) fn new(start: Instant, interval: Duration) -> Schedule {
        Schedule {
            next: start + interval,
            interval,
        }
    }

    /// The deadline the probe is waiting for.
    pub(crate) fn next(&self) -> Instant {
        self.next
    }

    /// Moves to the first deadline after the one just served that is still ahead of `now`.
    pub(crate) fn advance(&mut self, now: Instant) {
        self.next += self.interval;
        if self.next <= now {
            let behind = (now - self.next).as_nanos() / self.interval.as_nanos();
            let skip = u32::try_from(behind + 1).unwrap_or(u32::MAX);
            self.next += self.interval * skip;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_stay_on_the_grid() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut s = Schedule::new(t0, ms(10));
        assert_eq!(s.next(), t0 + ms(10));
        // Served a little late: the next deadline is not shifted.
        s.advance(t0 + ms(13));
        assert_eq!(s.next(), t0 + ms(20));
        // Served early (the probe is woken ahead of the deadline).
        s.advance(t0 + ms(19));
        assert_eq!(s.next(), t0 + ms(30));
    }

    #[test]
    fn a_stall_skips_missed_deadlines() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut s = Schedule::new(t0, ms(10));
        s.advance(t0 + ms(55));
        assert_eq!(s.next(), t0 + ms(60));
        s.advance(t0 + ms(60));
        assert_eq!(s.next(), t0 + ms(70));
        s.advance(t0 + ms(80)); // exactly on a deadline: that one is past too
        assert_eq!(s.next(), t0 + ms(90));
    }
}
