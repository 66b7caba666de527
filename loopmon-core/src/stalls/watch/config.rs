//! [`StallConfig`]: the stall part of a monitor's configuration, and [`OnStall`], a stall
//! callback with its panics contained.

use super::Watch;
use crate::callback::{panic_message, quiet};
use crate::counters::Counters;
use crate::error::Error;
use crate::monitor::Monitor;
use crate::stalls::heartbeat::Heartbeat;
use crate::stalls::stall::{report_to_stderr, Stall, DEFAULT_STALL_THRESHOLD};
use crate::stalls::threads::RuntimeThreads;
use crate::stalls::watchdog;
use crate::stalls::workers::Workers;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::runtime::{Handle, RuntimeFlavor};

/// A stall callback, with what is needed to contain its panics.
pub(crate) struct OnStall {
    name: &'static str,
    f: Box<dyn Fn(&Stall) + Send + Sync + 'static>,
    panic_reported: AtomicBool,
}

impl OnStall {
    pub(crate) fn new<F: Fn(&Stall) + Send + Sync + 'static>(f: F) -> OnStall {
        OnStall {
            name: std::any::type_name::<F>(),
            f: Box::new(f),
            panic_reported: AtomicBool::new(false),
        }
    }

    pub(super) fn call(&self, stall: &Stall, counters: &Counters) {
        // Once it has panicked, its later panics are kept off stderr (see `callback::quiet`).
        let quiet = self.panic_reported.load(Ordering::Acquire);
        let outcome = quiet::during(quiet, || catch_unwind(AssertUnwindSafe(|| (self.f)(stall))));
        if let Err(payload) = outcome {
            counters.add_panic();
            if !self.panic_reported.swap(true, Ordering::AcqRel) {
                eprintln!(
                    "loopmon: stall callback `{}` panicked: {}; the watchdog keeps running \
                     (later panics of this callback are counted, not printed)",
                    self.name,
                    panic_message(payload.as_ref())
                );
            }
        }
    }
}

impl fmt::Debug for OnStall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OnStall").field(&self.name).finish()
    }
}

/// The default stall reporter: stderr, unless the `tracing` export's `WARN` event is recorded.
fn default_report(stall: &Stall) {
    if !crate::export::warnings_are_traced() {
        report_to_stderr(stall);
    }
}

/// The stall part of a monitor's configuration (see the `Builder`'s `stall_*` and `on_stall`).
#[derive(Debug)]
pub(crate) struct StallConfig {
    pub(crate) enabled: bool,
    pub(crate) threshold: Duration,
    /// Whether `threshold` was set by the user.
    pub(crate) threshold_set: bool,
    pub(crate) on_stall: Vec<OnStall>,
    /// loopmon's own stall callbacks (the test guard): they leave the default reporter on.
    pub(crate) observers: Vec<OnStall>,
}

impl Default for StallConfig {
    fn default() -> Self {
        StallConfig {
            enabled: true,
            threshold: DEFAULT_STALL_THRESHOLD,
            threshold_set: false,
            on_stall: Vec::new(),
            observers: Vec::new(),
        }
    }
}

impl StallConfig {
    pub(crate) fn check(&self) -> Result<(), Error> {
        if self.enabled {
            Error::check_stall_threshold(self.threshold)?;
        }
        Ok(())
    }

    /// Starts watching a monitor whose probe was first due at `due`; `None` if disabled.
    pub(crate) fn start(
        self,
        interval: Duration,
        runtime: &Handle,
        monitor: &Arc<Monitor>,
        due: Instant,
    ) -> Option<Arc<Watch>> {
        if !self.enabled {
            return None;
        }
        let mut reporters = self.on_stall;
        // The default reporter; with the `tracing` feature, the export's events report instead
        // while a subscriber records them.
        if reporters.is_empty() {
            reporters.push(OnStall::new(default_report));
        }
        reporters.extend(self.observers);
        let fine = (self.threshold / 10).clamp(Duration::from_millis(1), Duration::from_millis(10));
        let watch = Arc::new(Watch {
            threshold: self.threshold,
            interval,
            fine,
            reporters: reporters.into(),
            runtime: runtime.clone(),
            multi_thread: runtime.runtime_flavor() == RuntimeFlavor::MultiThread,
            counters: monitor.counters.clone(),
            monitor: Arc::downgrade(monitor),
            probe: Heartbeat::unarmed(due),
            block_ons: Mutex::new(Vec::new()),
            workers: Mutex::new(Workers::new(runtime.metrics().num_workers())),
            threads: RuntimeThreads::of(runtime),
            ongoing: Mutex::new(Vec::new()),
            delivery: Mutex::new(()),
            stalls: AtomicU64::new(0),
            done: AtomicBool::new(false),
        });
        // Started from the thread that drives a current_thread runtime (inside `block_on`): the
        // runtime is running, so watch it from now on. Otherwise from the probe's first run.
        let driving = Handle::try_current().is_ok_and(|current| current.id() == runtime.id())
            && tokio::runtime::worker_index().is_some();
        if driving {
            watch.probe.beat_here(Instant::now(), due);
        }
        watchdog::register(watch.clone());
        Some(watch)
    }
}
