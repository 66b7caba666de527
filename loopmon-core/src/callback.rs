//! The callback registry: the three callback forms, and how one sample reaches each callback.
//!
//! Every form is registered the same way ([`Builder::callback`](crate::Builder::callback)):
//!
//! | form | signature | runs |
//! |---|---|---|
//! | the Python original's | `async fn(lag: Duration, tasks: usize, at: DateTime<Utc>)` | as its own task |
//! | one sample | `async fn(sample: Sample)` | as its own task |
//! | synchronous | `Fn(&Sample)` | inline on the probe: keep it quick |
//!
//! An async callback runs in a task of its own, spawned once when the monitor starts and woken
//! with each sample: a delivery allocates nothing, and the probe never waits for it. It has at
//! most one delivery in flight: a sample that arrives while the previous delivery is still
//! running is skipped and counted ([`MonitorHandle::skipped`](crate::MonitorHandle::skipped)).
//! These tasks are loopmon's own: [`Sample::tasks`] does not count them.
//!
//! A callback that panics is contained: the monitor keeps going, and every panic is counted
//! ([`MonitorHandle::panics`](crate::MonitorHandle::panics)). The first panic of each callback
//! is printed to stderr as any panic is (by the panic hook, with its location and backtrace
//! when `RUST_BACKTRACE` asks for one), then once more by loopmon with the callback's name (an
//! `ERROR` event with the `tracing` feature). Its later panics are counted, not printed: to keep
//! them off stderr, loopmon installs, once per process and only once a callback has panicked, a
//! panic hook that chains to the previous one and stays silent only for a panic raised while that
//! callback runs (its call or one poll of its future). Panics anywhere else in the program reach the previous hook as before; a hook
//! set after loopmon's replaces it, and then every callback panic is printed again.

pub(crate) mod quiet;
mod worker;

use crate::counters::Counters;
use crate::sample::Sample;
use chrono::{DateTime, Utc};
use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::runtime::Handle;
use worker::{Deliver, Worker};

/// A registered callback, whatever its form.
///
/// Built from a function or closure by [`IntoCallback`]; you rarely name this type, except to
/// keep a callback in a variable before registering it:
///
/// ```
/// use loopmon::{Callback, IntoCallback, Sample};
///
/// let cb: Callback = (|s: &Sample| println!("lag {:?}", s.lag)).into_callback();
/// assert!(cb.name().contains("closure"));
/// ```
pub struct Callback {
    name: &'static str,
    kind: Kind,
    /// This callback's first panic has been printed.
    panic_reported: AtomicBool,
}

enum Kind {
    Sync(Box<dyn Fn(&Sample) + Send + Sync + 'static>),
    /// Runs in a task of its own, spawned when the monitor starts.
    Async(Arc<dyn Deliver>),
}

impl Callback {
    /// A synchronous callback, run inline on the probe each interval.
    pub fn sync<F>(f: F) -> Callback
    where
        F: Fn(&Sample) + Send + Sync + 'static,
    {
        Callback::new(std::any::type_name::<F>(), Kind::Sync(Box::new(f)))
    }

    /// An async callback taking one [`Sample`], run as its own task each interval.
    pub fn from_sample<F, Fut>(f: F) -> Callback
    where
        F: Fn(Sample) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let worker = Arc::new(Worker::new(f));
        Callback::new(std::any::type_name::<F>(), Kind::Async(worker))
    }

    /// An async callback of the Python original's form `(lag, tasks, at)`, run as its own task.
    pub fn lag_tasks_at<F, Fut>(f: F) -> Callback
    where
        F: Fn(Duration, usize, DateTime<Utc>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let worker = Arc::new(Worker::new(move |s: Sample| f(s.lag, s.tasks, s.at)));
        Callback::new(std::any::type_name::<F>(), Kind::Async(worker))
    }

    fn new(name: &'static str, kind: Kind) -> Callback {
        Callback {
            name,
            kind,
            panic_reported: AtomicBool::new(false),
        }
    }

    /// The callback's type name, as used in panic reports.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Whether the callback runs inline on the probe (`true`) or as its own task.
    pub fn is_sync(&self) -> bool {
        matches!(self.kind, Kind::Sync(_))
    }

    /// Spawns the task of an async callback onto `runtime`; nothing for a synchronous one.
    /// Called once, when the monitor starts.
    pub(crate) fn start(self: &Arc<Self>, runtime: &Handle, counters: &Arc<Counters>) {
        if let Kind::Async(worker) = &self.kind {
            worker
                .clone()
                .spawn(self.clone(), counters.clone(), runtime);
        }
    }

    /// Wakes the task of an async callback so that it sees the monitor stopped and ends.
    pub(crate) fn wake(&self) {
        if let Kind::Async(worker) = &self.kind {
            worker.wake();
        }
    }

    /// Returns once no delivery of an async callback is starting (its call and first poll),
    /// unless it is starting on this thread (a `stop()` from inside it).
    pub(crate) fn wait_for_start(&self) {
        if let Kind::Async(worker) = &self.kind {
            worker.wait_for_start();
        }
    }

    /// Delivers one sample. Never panics, never blocks on the callback's own work (except a
    /// synchronous callback's, which runs here), allocates nothing.
    pub(crate) fn deliver(&self, sample: &Sample, counters: &Counters) {
        match &self.kind {
            Kind::Sync(f) => {
                if let Err(payload) = self.contain(|| f(sample)) {
                    self.report_panic(payload.as_ref(), counters);
                }
            }
            Kind::Async(worker) => {
                if !worker.offer(sample) {
                    counters.add_skipped();
                }
            }
        }
    }

    /// Runs a piece of the callback (a call, a poll), catching a panic. Once the callback has
    /// panicked, its later panics are kept off stderr (see `quiet`).
    fn contain<R>(&self, f: impl FnOnce() -> R) -> Result<R, Box<dyn Any + Send>> {
        let quiet = self.panic_reported.load(Ordering::Acquire);
        quiet::during(quiet, || catch_unwind(AssertUnwindSafe(f)))
    }

    fn report_panic(&self, payload: &(dyn Any + Send), counters: &Counters) {
        counters.add_panic();
        if !self.panic_reported.swap(true, Ordering::AcqRel) {
            #[cfg(not(feature = "tracing"))]
            eprintln!(
                "loopmon: callback `{}` panicked: {}; the monitor keeps running \
                 (later panics of this callback are counted, not printed)",
                self.name,
                panic_message(payload)
            );
            #[cfg(feature = "tracing")]
            tracing::error!(
                target: "loopmon",
                callback = self.name,
                panic = panic_message(payload),
                "callback panicked; the monitor keeps running \
                 (later panics of this callback are counted, not reported)",
            );
        }
    }
}

impl fmt::Debug for Callback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Callback")
            .field("name", &self.name)
            .field("sync", &self.is_sync())
            .finish_non_exhaustive()
    }
}

/// The text of a panic payload, as the default panic hook would print it.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "Box<dyn Any>"
    }
}

/// Anything that can be registered as a callback: see the [module docs](self) for the forms.
///
/// `Form` is a marker that tells the forms apart; it is inferred, you never write it. A closure
/// needs its argument types written out (`|s: &Sample| ...`,
/// `|lag: Duration, tasks: usize, at: DateTime<Utc>| async move { ... }`), an `async fn` does not.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a loopmon callback",
    label = "not a callback",
    note = "a callback is an `async fn(Duration, usize, DateTime<Utc>)`, an `async fn(Sample)`, \
            or a `fn(&Sample)` that is `Send + Sync + 'static`"
)]
pub trait IntoCallback<Form>: Send + Sync + 'static {
    /// Wraps `self` into a [`Callback`].
    fn into_callback(self) -> Callback;
}

/// The markers that tell the callback forms apart in [`IntoCallback`].
pub mod form {
    /// `async fn(Duration, usize, DateTime<Utc>)`: the Python original's form.
    #[derive(Debug)]
    pub enum LagTasksAt {}
    /// `async fn(Sample)`.
    #[derive(Debug)]
    pub enum SampleValue {}
    /// `Fn(&Sample)`: synchronous.
    #[derive(Debug)]
    pub enum SampleRef {}
    /// An already built [`Callback`](super::Callback).
    #[derive(Debug)]
    pub enum Built {}
}

impl<F, Fut> IntoCallback<form::LagTasksAt> for F
where
    F: Fn(Duration, usize, DateTime<Utc>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn into_callback(self) -> Callback {
        Callback::lag_tasks_at(self)
    }
}

impl<F, Fut> IntoCallback<form::SampleValue> for F
where
    F: Fn(Sample) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn into_callback(self) -> Callback {
        Callback::from_sample(self)
    }
}

impl<F> IntoCallback<form::SampleRef> for F
where
    F: Fn(&Sample) + Send + Sync + 'static,
{
    fn into_callback(self) -> Callback {
        Callback::sync(self)
    }
}

impl IntoCallback<form::Built> for Callback {
    fn into_callback(self) -> Callback {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn original(_lag: Duration, _tasks: usize, _at: DateTime<Utc>) {}
    async fn by_value(_s: Sample) {}
    fn by_ref(_s: &Sample) {}

    #[test]
    fn every_form_converts_and_keeps_its_name() {
        let a = original.into_callback();
        let b = by_value.into_callback();
        let c = by_ref.into_callback();
        assert!(a.name().ends_with("original") && !a.is_sync());
        assert!(b.name().ends_with("by_value") && !b.is_sync());
        assert!(c.name().ends_with("by_ref") && c.is_sync());
    }

    #[test]
    fn panic_messages_are_extracted() {
        let p = catch_unwind(|| panic!("boom {}", 1)).unwrap_err();
        assert_eq!(panic_message(p.as_ref()), "boom 1");
        let p = catch_unwind(|| panic!("static")).unwrap_err();
        assert_eq!(panic_message(p.as_ref()), "static");
    }
}
