//! What `#[loopmon::main]` and `#[loopmon::test]` call at run time: the attribute's
//! configuration, the environment overrides, the default reporter and the test guard.
//!
//! The macros expand to (roughly):
//!
//! ```
//! # use std::time::Duration;
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let monitor = loopmon_core::entry::Entry::new(Duration::from_millis(500))
//!     .callback(|s: &loopmon_core::Sample| println!("lag {:?}", s.lag))
//!     .start();
//! let answer = monitor.run(async { 6 * 7 }).await;
//! monitor.finish(); // stops the monitor; with `max_lag`, fails the test here
//! assert_eq!(answer, 42);
//! # }
//! ```
//!
//! This module is how the macros' generated code reaches loopmon; it is public so the facade
//! can re-export it, but it is not meant to be called by hand: use
//! [`SleepMonitor`](crate::SleepMonitor) for that.

mod env;
mod guard;
mod reporter;

pub use env::{Settings, LOOPMON, LOOPMON_INTERVAL};

use crate::builder::{Builder, SleepMonitor};
use crate::callback::{Callback, IntoCallback};
use crate::handle::{MonitorGuard, MonitorHandle};
use crate::stalls::stall::Stall;
use guard::{LagGuard, Timed};
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// The configuration written in the attribute, before the environment is read.
pub struct Entry {
    interval: Duration,
    callbacks: Vec<Callback>,
    max_lag: Option<Duration>,
    /// Every other setting (stalls, metrics), applied as written.
    builder: Builder,
}

impl Entry {
    /// The attribute's interval ([`DEFAULT_INTERVAL`](crate::DEFAULT_INTERVAL) when it gives
    /// none), no callback, no `max_lag`.
    pub fn new(interval: Duration) -> Entry {
        Entry {
            interval,
            callbacks: Vec::new(),
            max_lag: None,
            builder: SleepMonitor::builder(),
        }
    }

    /// `stall_threshold = "100ms"`: see [`Builder::stall_threshold`].
    pub fn stall_threshold(mut self, threshold: Duration) -> Entry {
        self.builder = self.builder.stall_threshold(threshold);
        self
    }

    /// `on_stall = path`: see [`Builder::on_stall`].
    pub fn on_stall<F>(mut self, callback: F) -> Entry
    where
        F: Fn(&Stall) + Send + Sync + 'static,
    {
        self.builder = self.builder.on_stall(callback);
        self
    }

    /// `metrics = true`: see `Builder::metrics`. A compile error without the `metrics` feature.
    pub fn metrics<B: MetricsFeature>(mut self, enabled: B) -> Entry {
        self.builder = enabled.apply(self.builder);
        self
    }

    /// Adds a callback (`callback = path`), in any form [`IntoCallback`] accepts. With none, the
    /// default reporter is used.
    pub fn callback<F, Form>(mut self, callback: F) -> Entry
    where
        F: IntoCallback<Form>,
    {
        self.callbacks.push(callback.into_callback());
        self
    }

    /// Sets the test guard (`max_lag = "50ms"`): [`Running::run`] panics if the runtime lagged
    /// more than `limit` while the body ran.
    pub fn max_lag(mut self, limit: Duration) -> Entry {
        self.max_lag = Some(limit);
        self
    }

    /// Reads [`LOOPMON`] and [`LOOPMON_INTERVAL`], then starts the monitor on the current
    /// runtime (unless `LOOPMON=off`). Never panics on a bad environment value: it prints one
    /// warning per process and keeps the attribute's value.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, as [`SleepMonitor::start`] does.
    #[track_caller]
    pub fn start(self) -> Running {
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            crate::stalls::threads::adopt_built(&runtime);
        }
        let settings = Settings::from_env(self.interval);
        if !settings.enabled {
            return Running {
                monitor: None,
                guard: None,
            };
        }
        let guard = self.max_lag.map(|limit| Arc::new(LagGuard::new(limit)));
        let mut builder = self.builder.interval(settings.interval);
        if let Some(guard) = &guard {
            builder = builder.observe_stalls(guard.limit(), guard.stall_observer());
        }
        // The default report: stderr, unless the `tracing` feature is on and a subscriber takes
        // the monitor's own `WARN` events (see `reporter`).
        if self.callbacks.is_empty() {
            builder = builder.callback(reporter::report);
        }
        for callback in self.callbacks {
            builder = builder.callback(callback);
        }
        if let Some(guard) = &guard {
            builder = builder.callback(guard.callback());
        }
        // The interval was checked at compile time and in `Settings::from_env`.
        let monitor = match builder.build() {
            Ok(monitor) => monitor,
            Err(e) => panic!("loopmon: {e}"),
        };
        Running {
            monitor: Some(monitor.start().guard()),
            guard,
        }
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("interval", &self.interval)
            .field("callbacks", &self.callbacks)
            .field("max_lag", &self.max_lag)
            .field("builder", &self.builder)
            .finish()
    }
}

/// A started entry point: runs the function's body under the monitor.
pub struct Running {
    monitor: Option<MonitorGuard>,
    guard: Option<Arc<LagGuard>>,
}

impl Running {
    /// Runs `body` with a second probe inside it (on `multi_thread`, where `block_on` polls it on
    /// the calling thread, see [`MonitorHandle::watch_block_on`](crate::MonitorHandle::watch_block_on)),
    /// then takes a last sample if the probe is overdue. Call [`finish`](Self::finish) next.
    pub async fn run<F: Future>(&self, body: F) -> F::Output {
        let Some(monitor) = &self.monitor else {
            return body.await;
        };
        let timing = self
            .guard
            .as_ref()
            .map(|guard| (guard.limit(), monitor.monitor().clone()));
        let output = monitor.watch_block_on(Timed::new(body, timing)).await;
        monitor.monitor().flush();
        output
    }

    /// Stops the monitor, and with a `max_lag`, checks it.
    ///
    /// # Panics
    ///
    /// With a `max_lag` set, when the runtime lagged more than it while the body ran, or one of
    /// its threads was stuck for longer; the message gives the worst lag, when it happened (UTC)
    /// and the limit, and the longest stall report if the watchdog made one, then the
    /// monitor's summary. The panic points at the caller: the test.
    #[track_caller]
    pub fn finish(self) {
        let Some(monitor) = &self.monitor else {
            return;
        };
        monitor.stop();
        if let Some(guard) = &self.guard {
            guard.check(monitor.summary());
        }
    }

    /// The monitor's handle; `None` under `LOOPMON=off`.
    pub fn handle(&self) -> Option<&MonitorHandle> {
        self.monitor.as_deref()
    }
}

impl fmt::Debug for Running {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Running")
            .field("monitor", &self.monitor)
            .field("max_lag", &self.guard.as_ref().map(|g| g.limit()))
            .finish()
    }
}

/// `metrics = true` in an attribute: met only with loopmon's `metrics` feature, so that without
/// it the attribute is a compile error that says what to enable.
#[diagnostic::on_unimplemented(
    message = "`metrics = true` needs loopmon's `metrics` feature",
    label = "the `metrics` feature is off",
    note = "enable it in Cargo.toml: `loopmon = {{ version = \"...\", features = [\"metrics\"] }}`"
)]
pub trait MetricsFeature {
    /// Applies the setting.
    fn apply(self, builder: Builder) -> Builder;
}

#[cfg(feature = "metrics")]
impl MetricsFeature for bool {
    fn apply(self, builder: Builder) -> Builder {
        builder.metrics(self)
    }
}

pub use crate::stalls::hooks::install_hooks;
