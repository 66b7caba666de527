//! [`Summary`]: a monitor's figures in one block people can read at a glance.

use crate::monitor::Monitor;
use crate::stats::LagStats;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// The rows of the text histogram: lags below each bound, then the rest.
const ROWS: [(Duration, &str); 4] = [
    (Duration::from_millis(1), "< 1 ms"),
    (Duration::from_millis(10), "1 - 10 ms"),
    (Duration::from_millis(100), "10 - 100 ms"),
    (Duration::from_secs(1), "100 ms - 1 s"),
];
const LAST_ROW: &str = ">= 1 s";
/// The longest bar of the text histogram, in characters.
const BAR: u64 = 30;

/// A monitor's figures since it started, ready to print: ticks, p50/p99/max lag with the time
/// of the max, samples over the report threshold, stalls, skipped deliveries, contained panics, and a
/// small text histogram of the lag. From [`MonitorHandle::summary`](crate::MonitorHandle::summary).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::time::Duration;
///
/// let monitor = loopmon::SleepMonitor::builder()
///     .interval(Duration::from_millis(10))
///     .name("api")
///     .build()
///     .unwrap()
///     .start();
/// tokio::time::sleep(Duration::from_millis(50)).await;
/// let summary = monitor.summary();
/// println!("{summary}");
/// // loopmon summary for `api`: 5 ticks at 10ms
/// //   lag: p50 0.052 ms, p99 0.081 ms, max 0.081 ms at 2026-11-26 11:30:01.123 UTC
/// //   over 100ms: 0; stalls: 0; skipped deliveries: 0; contained panics: 0
/// //          < 1 ms  5 ##############################
/// //       1 - 10 ms  0
/// //     10 - 100 ms  0
/// //    100 ms - 1 s  0
/// //          >= 1 s  0
/// assert!(summary.to_string().starts_with("loopmon summary for `api`: "));
/// assert!(summary.ticks() >= 3);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Summary {
    name: Option<Arc<str>>,
    interval: Duration,
    ticks: u64,
    skipped: u64,
    panics: u64,
    stalls: u64,
    stats: LagStats,
}

impl Summary {
    pub(crate) fn new(monitor: &Monitor) -> Summary {
        Summary {
            name: monitor.report.name.clone(),
            interval: monitor.interval,
            ticks: monitor.counters.ticks(),
            skipped: monitor.counters.skipped(),
            panics: monitor.counters.panics(),
            stalls: monitor.watch.get().map_or(0, |w| w.stalls()),
            stats: monitor.report.stats.since_start(),
        }
    }

    /// The monitor's [name](crate::Builder::name), if it has one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Samples taken.
    pub fn ticks(&self) -> u64 {
        self.ticks
    }

    /// Async callback deliveries skipped because the callback was still busy.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Callback panics contained.
    pub fn panics(&self) -> u64 {
        self.panics
    }

    /// Stalls the watchdog reported (see [`Stall`](crate::Stall)).
    pub fn stalls(&self) -> u64 {
        self.stalls
    }

    /// The lag statistics since the monitor started.
    pub fn stats(&self) -> &LagStats {
        &self.stats
    }
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stats = &self.stats;
        match &self.name {
            Some(name) => write!(f, "loopmon summary for `{name}`: ")?,
            None => write!(f, "loopmon summary: ")?,
        }
        let ticks = if self.ticks == 1 { "tick" } else { "ticks" };
        writeln!(f, "{} {ticks} at {:?}", self.ticks, self.interval)?;
        match stats.max_at() {
            None => writeln!(f, "  lag: no sample yet")?,
            Some(at) => writeln!(
                f,
                "  lag: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms at {}",
                millis(stats.percentile(50.0)),
                millis(stats.percentile(99.0)),
                millis(stats.max()),
                at.format("%Y-%m-%d %H:%M:%S%.3f UTC"),
            )?,
        }
        write!(
            f,
            "  over {:?}: {}; stalls: {}; skipped deliveries: {}; contained panics: {}",
            stats.threshold(),
            stats.over_threshold(),
            self.stalls,
            self.skipped,
            self.panics,
        )?;
        let mut rows = [(LAST_ROW, 0); ROWS.len() + 1];
        let mut below = 0;
        for (row, (bound, label)) in rows.iter_mut().zip(ROWS) {
            let up_to = stats.count_below(bound);
            *row = (label, up_to - below);
            below = up_to;
        }
        rows[ROWS.len()].1 = stats.count() - below;
        let label_width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
        let count_width = stats.count().to_string().len();
        let most = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
        for (label, count) in rows {
            // A bar for every non-empty row, however small its share.
            let bar = if count == 0 {
                0
            } else {
                count.saturating_mul(BAR).div_ceil(most)
            };
            write!(f, "\n  {label:>label_width$}  {count:>count_width$}")?;
            if bar > 0 {
                write!(f, " {}", "#".repeat(bar as usize))?;
            }
        }
        Ok(())
    }
}
