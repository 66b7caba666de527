//! [`PerRuntime`]: one shared value per tokio runtime (by `Handle::id`), held weakly, so that
//! every monitor of a runtime finds the same one and it goes with the last of them.

use std::sync::{Arc, Mutex, Weak};
use tokio::runtime::{Handle, Id};

/// A process-wide registry of one `T` per runtime. Every method takes its lock: call them when
/// a monitor is made or a stall is reported, never per tick.
#[derive(Debug)]
pub(crate) struct PerRuntime<T>(Mutex<Vec<(Id, Weak<T>)>>);

impl<T> PerRuntime<T> {
    pub(crate) const fn new() -> PerRuntime<T> {
        PerRuntime(Mutex::new(Vec::new()))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(Id, Weak<T>)>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The value of `runtime` registered first, if one lives.
    pub(crate) fn find(&self, runtime: &Handle) -> Option<Arc<T>> {
        let id = runtime.id();
        let all = self.lock();
        all.iter()
            .filter(|(other, _)| *other == id)
            .find_map(|(_, t)| t.upgrade())
    }

    /// The value of `runtime`, made by `make` if none lives.
    pub(crate) fn of(&self, runtime: &Handle, make: impl FnOnce() -> T) -> Arc<T> {
        let id = runtime.id();
        let mut all = self.lock();
        all.retain(|(_, t)| t.strong_count() > 0);
        if let Some(found) = all
            .iter()
            .filter(|(other, _)| *other == id)
            .find_map(|(_, t)| t.upgrade())
        {
            return found;
        }
        let value = Arc::new(make());
        all.push((id, Arc::downgrade(&value)));
        value
    }

    /// Registers `value` for runtime `id`, ahead of any other value of it.
    pub(crate) fn put_first(&self, id: Id, value: &Arc<T>) {
        let mut all = self.lock();
        all.retain(|(_, t)| t.strong_count() > 0);
        all.insert(0, (id, Arc::downgrade(value)));
    }
}
