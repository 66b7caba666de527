//! The probe: a task on the monitored runtime that asks to run at each deadline of its
//! [`Schedule`] and measures how late it ran.

use crate::alarm::Alarm;
use crate::monitor::Monitor;
use crate::schedule::Schedule;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

/// The probe task. Ends when the monitor is stopped (or aborted), or with the runtime.
pub(crate) fn run(
    monitor: Arc<Monitor>,
    mut alarm: Alarm,
    mut schedule: Schedule,
) -> impl Future<Output = ()> + Send + 'static {
    // However the task ends (stop, abort, runtime shutdown, even dropped unpolled), the monitor
    // is marked finished and the alarm's slot on the clock thread, if any, is freed.
    monitor.counters.task_spawned();
    let finished = Finished(monitor);
    async move {
        let monitor = &finished.0;
        monitor.set_next_due(schedule.next());
        loop {
            let deadline = schedule.next();
            alarm.wait_until(deadline).await;
            if monitor.counters.is_stopped() {
                return;
            }
            let now = Instant::now();
            schedule.advance(now);
            monitor.set_next_due(schedule.next());
            let watch = monitor.watch.get();
            if let Some(watch) = watch {
                watch.on_probe(now, schedule.next());
            }
            monitor.tick(now.saturating_duration_since(deadline));
            if let Some(watch) = watch {
                // Responsive again after the callbacks: a synchronous one that blocked is a
                // stall that ends here, not when the probe ran.
                watch.after_dispatch(Instant::now(), schedule.next());
            }
        }
    }
}

struct Finished(Arc<Monitor>);

impl Drop for Finished {
    fn drop(&mut self) {
        self.0.counters.task_ended();
        self.0.counters.finish();
        self.0.wake_callbacks();
        self.0.report.ended(&self.0);
        if let Some(watch) = self.0.watch.get() {
            watch.retire();
        }
    }
}
