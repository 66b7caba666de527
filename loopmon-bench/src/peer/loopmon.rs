//! loopmon's `SleepMonitor`, with the callback a scenario asks for.

use super::Cb;
use crate::recorder::Recorder;
use chrono::{DateTime, Utc};
use loopmon::{MonitorHandle, Sample, SleepMonitor};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub(super) fn start(
    interval: Duration,
    cb: Cb,
    rec: Arc<Recorder>,
    tasks_seen: Arc<AtomicU64>,
) -> MonitorHandle {
    let builder = SleepMonitor::builder().interval(interval);
    let builder = match cb {
        Cb::None => builder,
        Cb::Noop => builder.callback(|_: &Sample| {}),
        Cb::Record => builder.callback(move |s: &Sample| {
            rec.push(s.lag);
            tasks_seen.store(s.tasks as u64, Ordering::Relaxed);
        }),
        Cb::AsyncNoop => {
            builder.callback(|_lag: Duration, _tasks: usize, _at: DateTime<Utc>| async {})
        }
    };
    builder.build().expect("a valid interval").start()
}
