//! The `tracing` export: a `WARN` event for a sample over the report threshold and at a
//! stall's start and end, a `DEBUG` event per sample when asked, the summary as one `INFO`
//! event. Target `loopmon`; lags in milliseconds (`lag_ms`, as `f64`), a stall's length so
//! far or in total too (`blocked_ms`).

use super::Stall;
use crate::sample::Sample;
use crate::summary::Summary;
use std::sync::Arc;
use std::time::Duration;

/// `d` in milliseconds, to the microsecond: `300.4`, not `300.40007299999996`.
fn millis(d: Duration) -> f64 {
    d.as_micros() as f64 / 1e3
}

/// One monitor's `tracing` settings.
#[derive(Debug)]
pub(crate) struct Tracing {
    name: Option<Arc<str>>,
    samples: bool,
}

impl Tracing {
    pub(crate) fn new(name: Option<Arc<str>>, samples: bool) -> Tracing {
        Tracing { name, samples }
    }

    pub(crate) fn sample(&self, sample: &Sample, over: bool, threshold: Duration) {
        /// One event with the sample's fields, then `$rest` (more fields and the message).
        macro_rules! sample_event {
            ($level:ident, $($rest:tt)*) => {
                ::tracing::$level!(
                    target: "loopmon",
                    monitor = self.name.as_deref(),
                    lag_ms = millis(sample.lag),
                    tasks = sample.tasks,
                    tick = sample.tick,
                    source = ?sample.source,
                    $($rest)*
                )
            };
        }
        if over {
            sample_event!(
                warn,
                threshold_ms = millis(threshold),
                "runtime lag over the report threshold"
            );
        } else if self.samples {
            sample_event!(debug, "sample");
        }
    }

    /// A `WARN` event at a stall's start (`ended == false`) or end.
    pub(crate) fn stall(&self, stall: &Stall<'_>, ended: bool) {
        let message = if ended {
            "runtime stall ended"
        } else {
            "runtime stalled"
        };
        ::tracing::warn!(
            target: "loopmon",
            monitor = self.name.as_deref(),
            blocked_ms = millis(stall.elapsed),
            tasks = stall.tasks,
            thread = stall.thread,
            worker = stall.worker,
            task.spawned_at = stall.spawned_at.map(::tracing::field::display),
            thread.id = stall.snapshot.map(|s| s.tid),
            doing = stall.snapshot.map(::tracing::field::display),
            "{message}",
        );
    }

    pub(crate) fn summary(&self, summary: &Summary) {
        ::tracing::info!(target: "loopmon", monitor = self.name.as_deref(), "{summary}");
    }
}

#[cfg(test)]
mod tests;
