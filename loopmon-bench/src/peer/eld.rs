//! `tokio-eld` 0.3, started as its README shows: a histogram at a whole-millisecond resolution.

use std::time::Duration;
use tokio_eld::EldHistogram;

pub(super) fn start(interval: Duration) -> EldHistogram<u64> {
    let ms = usize::try_from(interval.as_millis())
        .unwrap_or(usize::MAX)
        .max(1);
    let h = EldHistogram::<u64>::new(ms).expect("tokio-eld histogram");
    h.start();
    h
}
