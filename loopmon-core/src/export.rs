//! [`Export`]: where samples go besides callbacks and statistics — the `metrics` facade and
//! `tracing` events, each behind its cargo feature. Without either feature every method here
//! is empty and compiles away.
//!
//! The stall flow (the watchdog) reports through [`Export::stall_started`] and
//! [`Export::stall_ended`], so that stalls reach the same metrics and events as samples.

#[cfg(feature = "metrics")]
mod metrics;
#[cfg(feature = "tracing")]
mod tracing;

use crate::sample::Sample;
use crate::summary::Summary;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

/// Whether a `WARN` event of loopmon's would be recorded here and now: with the `tracing`
/// feature and a subscriber that takes it. When not, loopmon's default reports go to stderr,
/// so that turning the feature on (a dependency may do it) never silences them.
pub(crate) fn warnings_are_traced() -> bool {
    #[cfg(feature = "tracing")]
    return ::tracing::enabled!(target: "loopmon", ::tracing::Level::WARN);
    #[cfg(not(feature = "tracing"))]
    false
}

/// Like [`warnings_are_traced`], for the `INFO` event that carries the summary.
fn info_is_traced() -> bool {
    #[cfg(feature = "tracing")]
    return ::tracing::enabled!(target: "loopmon", ::tracing::Level::INFO);
    #[cfg(not(feature = "tracing"))]
    false
}

/// Which exports a monitor was built with.
#[derive(Debug, Clone, Default)]
pub(crate) struct Settings {
    #[cfg(feature = "metrics")]
    pub(crate) metrics: bool,
    #[cfg(feature = "tracing")]
    pub(crate) trace_samples: bool,
}

/// A stall seen by the watchdog, as the exports report it: at its start `elapsed` is how long
/// it had lasted when noticed, at its end its full length.
#[derive(Debug, Clone, Copy, Default)]
#[allow(dead_code)] // which fields are read depends on the features
pub(crate) struct Stall<'a> {
    pub(crate) elapsed: Duration,
    /// Alive tasks, when known.
    pub(crate) tasks: Option<usize>,
    /// The name of the stalled thread, when known.
    pub(crate) thread: Option<&'a str>,
    /// The index of the stalled worker, when known.
    pub(crate) worker: Option<usize>,
    /// Where the task being polled was spawned, when known (`tokio_unstable`).
    pub(crate) spawned_at: Option<&'static Location<'static>>,
    /// What the thread was doing and where, when known.
    pub(crate) snapshot: Option<&'a crate::ThreadSnapshot>,
}

/// One monitor's exports.
#[derive(Debug)]
pub(crate) struct Export {
    #[cfg(feature = "metrics")]
    metrics: Option<metrics::Metrics>,
    #[cfg(feature = "tracing")]
    tracing: tracing::Tracing,
}

impl Export {
    /// Registers the metrics if asked, the stall series too when `watched` (the stall
    /// watchdog is on). A recorder installed later gets them too, at its first use.
    #[cfg_attr(
        not(any(feature = "metrics", feature = "tracing")),
        allow(unused_variables)
    )]
    pub(crate) fn new(settings: &Settings, name: Option<&Arc<str>>, watched: bool) -> Export {
        Export {
            #[cfg(feature = "metrics")]
            metrics: settings
                .metrics
                .then(|| metrics::Metrics::new(name, watched)),
            #[cfg(feature = "tracing")]
            tracing: tracing::Tracing::new(name.cloned(), settings.trace_samples),
        }
    }

    /// Exports one sample; `over` says whether its lag is over the report `threshold`.
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn sample(&self, sample: &Sample, over: bool, threshold: Duration) {
        #[cfg(feature = "metrics")]
        if let Some(metrics) = &self.metrics {
            metrics.sample(sample, over);
        }
        #[cfg(feature = "tracing")]
        self.tracing.sample(sample, over, threshold);
    }

    /// A stall has begun (the watchdog noticed it).
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn stall_started(&self, stall: &Stall<'_>) {
        #[cfg(feature = "metrics")]
        if let Some(metrics) = &self.metrics {
            metrics.stall_started();
        }
        #[cfg(feature = "tracing")]
        self.tracing.stall(stall, false);
    }

    /// A stall has ended; `stall.elapsed` is its full length.
    #[cfg_attr(
        not(any(feature = "metrics", feature = "tracing")),
        allow(unused_variables)
    )]
    pub(crate) fn stall_ended(&self, stall: &Stall<'_>) {
        #[cfg(feature = "metrics")]
        if let Some(metrics) = &self.metrics {
            metrics.stall_ended(stall.elapsed);
        }
        #[cfg(feature = "tracing")]
        self.tracing.stall(stall, true);
    }

    /// Prints the summary: through `tracing` with that feature and a subscriber that records
    /// it, on stderr otherwise.
    pub(crate) fn summary(&self, summary: &Summary) {
        if info_is_traced() {
            #[cfg(feature = "tracing")]
            self.tracing.summary(summary);
        } else {
            eprintln!("{summary}");
        }
    }
}
