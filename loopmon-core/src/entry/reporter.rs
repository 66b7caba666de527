//! The default reporter: what a bare `#[loopmon::main]` or `#[loopmon::test]` does with each
//! sample when no `callback` is given.
//!
//! It prints a line for a sample over [`DEFAULT_REPORT_THRESHOLD`]: below that, a lag is usually
//! scheduling noise on a busy machine; over it, something held the runtime (a blocking call, a
//! CPU-heavy poll) long enough to delay every task behind it. With the `tracing` feature, the
//! monitor's own `WARN` event is the report whenever a subscriber records it; the line goes to
//! stderr only when none would.

use crate::export::warnings_are_traced;
use crate::report::DEFAULT_REPORT_THRESHOLD;
use crate::sample::{LagSource, Sample};

/// Prints one line to stderr for a sample whose lag is over [`DEFAULT_REPORT_THRESHOLD`].
pub(crate) fn report(sample: &Sample) {
    if let Some(line) = line(sample) {
        if !warnings_are_traced() {
            eprintln!("{line}");
        }
    }
}

/// The line for `sample`, if its lag passes the threshold.
fn line(sample: &Sample) -> Option<String> {
    if sample.lag <= DEFAULT_REPORT_THRESHOLD {
        return None;
    }
    let place = match sample.source {
        LagSource::BlockOn => " in the body driven by `block_on`",
        LagSource::Runtime => "",
    };
    Some(format!(
        "loopmon: the runtime lagged {:.1?}{place} at {} ({} tasks): \
         a blocking call or a CPU-heavy poll held it",
        sample.lag,
        sample
            .at
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        sample.tasks,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::time::Duration;

    #[test]
    fn one_line_only_past_the_threshold() {
        let at = chrono::Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let quiet = Sample::new(DEFAULT_REPORT_THRESHOLD, 3, at);
        assert_eq!(line(&quiet), None);
        let loud = Sample::new(Duration::from_millis(1003), 3, at);
        assert_eq!(
            line(&loud).unwrap(),
            "loopmon: the runtime lagged 1.0s at 2026-01-02T03:04:05.000Z (3 tasks): \
             a blocking call or a CPU-heavy poll held it"
        );
    }
}
