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
    // is marked finished and the alarm's ticker thread, if any, is told to exit.
    let finished = Finished(monitor);
    async move {
        let monitor = &finished.0;
        loop {
            let deadline = schedule.next();
            alarm.wait_until(deadline, &schedule).await;
            if monitor.counters.is_stopped() {
                return;
            }
            let now = Instant::now();
            monitor.tick(now.saturating_duration_since(deadline));
            schedule.advance(now);
            if let Some(watch) = monitor.watch.get() {
                watch.on_probe(now, schedule.next());
            }
        }
    }
}

struct Finished(Arc<Monitor>);

impl Drop for Finished {
    fn drop(&mut self) {
        self.0.counters.finish();
        self.0.wake_callbacks();
        self.0.report.ended(&self.0);
        if let Some(watch) = self.0.watch.get() {
            watch.retire();
        }
    }
}
