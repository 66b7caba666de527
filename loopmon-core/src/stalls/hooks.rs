//! Task poll hooks: which task each worker is polling, so that a stall report can name the
//! culprit while it still blocks.
//!
//! tokio's poll hooks (`on_before_task_poll` / `on_after_task_poll`) exist only under
//! `--cfg tokio_unstable` and are set on the runtime's `Builder`. [`install_poll_hooks`] sets
//! them when they exist and does nothing otherwise, so the same code builds either way.

use crate::stalls::stall::StallTask;
use tokio::runtime::{Builder, Handle};

/// Installs loopmon's task poll hooks on a runtime builder, so that stall reports on the runtime
/// it builds name the task that blocks ([`Stall::task`](crate::Stall::task)) and where it was
/// spawned.
///
/// Only under `--cfg tokio_unstable` (in `RUSTFLAGS`), where tokio has poll hooks; otherwise this
/// does nothing and stall reports carry no task. The hooks replace any `on_before_task_poll` /
/// `on_after_task_poll` set earlier on the builder (tokio keeps one of each). Each costs a few
/// tens of nanoseconds per poll.
///
/// ```
/// let mut builder = tokio::runtime::Builder::new_multi_thread();
/// loopmon::install_poll_hooks(&mut builder).enable_all();
/// let runtime = builder.build().unwrap();
/// # drop(runtime);
/// ```
pub fn install_poll_hooks(builder: &mut Builder) -> &mut Builder {
    imp::install(builder)
}

/// Installs all of loopmon's hooks on a runtime builder: `on_thread_start`, `on_thread_park` and
/// `on_thread_unpark` hooks that learn each worker's Linux thread id, so that a stall report can
/// look at the stuck worker even if it blocked before the probe ever ran on it (see
/// [`Stall::snapshot`](crate::Stall::snapshot)), and, under `--cfg tokio_unstable`, the task
/// poll hooks of [`install_poll_hooks`]. `#[loopmon::main]` and `#[loopmon::test]` install them
/// on the runtime they build; call this for a runtime you build yourself and hand to
/// [`SleepMonitor::install`](crate::SleepMonitor::install).
///
/// tokio keeps one hook of each kind: these replace any set earlier on the builder, and one set
/// later replaces loopmon's (the monitor then still works, and learns each worker's thread from
/// the probe instead). Each costs a thread-local read per park, unpark and poll.
///
/// ```
/// let mut builder = tokio::runtime::Builder::new_multi_thread();
/// loopmon::install_hooks(&mut builder).enable_all();
/// let runtime = builder.build().unwrap();
/// let monitor = loopmon::SleepMonitor::builder().build().unwrap().install(runtime.handle());
/// # monitor.stop();
/// ```
pub fn install_hooks(builder: &mut Builder) -> &mut Builder {
    let threads = std::sync::Arc::new(super::threads::RuntimeThreads::default());
    threads.built();
    let (parked, unparked) = (threads.clone(), threads.clone());
    install_poll_hooks(builder)
        .on_thread_start(move || threads.thread_started())
        .on_thread_park(move || parked.thread_parked_or_unparked())
        .on_thread_unpark(move || unparked.thread_parked_or_unparked())
}

/// The task being polled on worker `worker` of `runtime`, if the runtime has loopmon's hooks.
pub(crate) fn culprit(runtime: &Handle, worker: usize) -> Option<StallTask> {
    imp::culprit(runtime, worker)
}

/// The name of worker `worker`'s thread, if the hooks have seen it.
pub(crate) fn worker_name(runtime: &Handle, worker: usize) -> Option<String> {
    imp::worker_name(runtime, worker)
}

#[cfg(not(tokio_unstable))]
mod imp {
    use super::*;

    pub(super) fn install(builder: &mut Builder) -> &mut Builder {
        builder
    }

    pub(super) fn culprit(_: &Handle, _: usize) -> Option<StallTask> {
        None
    }

    pub(super) fn worker_name(_: &Handle, _: usize) -> Option<String> {
        None
    }
}

#[cfg(tokio_unstable)]
mod imp {
    use super::*;
    use std::panic::Location;
    use std::sync::{Arc, Mutex, OnceLock, Weak};
    use tokio::runtime::{Id, TaskMeta};

    /// One runtime's record of what each worker is polling.
    #[derive(Default)]
    struct Polls {
        /// Set by the first hook call, which runs inside the runtime.
        runtime: OnceLock<Id>,
        slots: OnceLock<Box<[Slot]>>,
    }

    #[derive(Default)]
    struct Slot {
        /// The task being polled, or `None` between polls. Locked only by this worker and,
        /// rarely, by the watchdog: uncontended.
        polling: Mutex<Option<(tokio::task::Id, &'static Location<'static>)>>,
        thread_name: OnceLock<Option<String>>,
    }

    /// Every runtime built with the hooks, while it lives.
    static ALL: Mutex<Vec<Weak<Polls>>> = Mutex::new(Vec::new());

    pub(super) fn install(builder: &mut Builder) -> &mut Builder {
        let polls = Arc::new(Polls::default());
        {
            let mut all = ALL.lock().unwrap_or_else(|e| e.into_inner());
            all.retain(|p| p.strong_count() > 0);
            all.push(Arc::downgrade(&polls));
        }
        let after = polls.clone();
        builder
            .on_before_task_poll(move |meta: &TaskMeta<'_>| polls.before(meta))
            .on_after_task_poll(move |_: &TaskMeta<'_>| after.after())
    }

    impl Polls {
        fn slot(&self) -> Option<&Slot> {
            let worker = tokio::runtime::worker_index()?;
            let slots = self.slots.get_or_init(|| {
                let runtime = Handle::current();
                let _ = self.runtime.set(runtime.id());
                (0..runtime.metrics().num_workers())
                    .map(|_| Slot::default())
                    .collect()
            });
            slots.get(worker)
        }

        fn before(&self, meta: &TaskMeta<'_>) {
            if let Some(slot) = self.slot() {
                slot.thread_name
                    .get_or_init(|| std::thread::current().name().map(String::from));
                *slot.polling.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some((meta.id(), meta.spawned_at()));
            }
        }

        fn after(&self) {
            if let Some(slot) = self.slot() {
                *slot.polling.lock().unwrap_or_else(|e| e.into_inner()) = None;
            }
        }
    }

    fn find<T>(runtime: &Handle, worker: usize, f: impl FnOnce(&Slot) -> Option<T>) -> Option<T> {
        let id = runtime.id();
        let all = ALL.lock().unwrap_or_else(|e| e.into_inner());
        let polls = all
            .iter()
            .filter_map(Weak::upgrade)
            .find(|p| p.runtime.get() == Some(&id))?;
        drop(all);
        f(polls.slots.get()?.get(worker)?)
    }

    pub(super) fn culprit(runtime: &Handle, worker: usize) -> Option<StallTask> {
        find(runtime, worker, |slot| {
            let (id, spawned_at) = (*slot.polling.lock().unwrap_or_else(|e| e.into_inner()))?;
            Some(StallTask { id, spawned_at })
        })
    }

    pub(super) fn worker_name(runtime: &Handle, worker: usize) -> Option<String> {
        find(runtime, worker, |slot| slot.thread_name.get()?.clone())
    }
}
