//! [`Error`]: what building a monitor can refuse.

use std::fmt;
use std::time::Duration;

/// The shortest interval loopmon accepts: tokio's timer works in whole milliseconds.
pub const MIN_INTERVAL: Duration = Duration::from_millis(1);

/// The longest interval loopmon accepts (one day); a longer one cannot be scheduled reliably.
pub const MAX_INTERVAL: Duration = Duration::from_secs(24 * 60 * 60);

/// A monitor configuration that cannot run.
///
/// ```
/// use loopmon::{Error, SleepMonitor};
/// use std::time::Duration;
///
/// let err = SleepMonitor::builder().interval(Duration::ZERO).build().unwrap_err();
/// assert_eq!(err, Error::ZeroInterval);
/// assert!(err.to_string().contains("must not be zero"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The interval was zero.
    ZeroInterval,
    /// The interval was shorter than [`MIN_INTERVAL`].
    IntervalTooShort(Duration),
    /// The interval was longer than [`MAX_INTERVAL`].
    IntervalTooLong(Duration),
    /// The stall threshold was shorter than [`MIN_INTERVAL`] (or zero).
    StallThresholdTooShort(Duration),
    /// The stall threshold was longer than [`MAX_INTERVAL`].
    StallThresholdTooLong(Duration),
}

impl Error {
    /// Checks an interval: `Ok` if a monitor can run with it.
    pub fn check_interval(interval: Duration) -> Result<Duration, Error> {
        if interval.is_zero() {
            Err(Error::ZeroInterval)
        } else if interval < MIN_INTERVAL {
            Err(Error::IntervalTooShort(interval))
        } else if interval > MAX_INTERVAL {
            Err(Error::IntervalTooLong(interval))
        } else {
            Ok(interval)
        }
    }
}

impl Error {
    /// Checks a stall threshold: `Ok` if the watchdog can run with it.
    pub fn check_stall_threshold(threshold: Duration) -> Result<Duration, Error> {
        if threshold < MIN_INTERVAL {
            Err(Error::StallThresholdTooShort(threshold))
        } else if threshold > MAX_INTERVAL {
            Err(Error::StallThresholdTooLong(threshold))
        } else {
            Ok(threshold)
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::ZeroInterval => f.write_str(
                "interval must not be zero: pass a positive duration such as `Duration::from_millis(500)`",
            ),
            Error::IntervalTooShort(d) => write!(
                f,
                "interval of {d:?} is shorter than tokio's 1ms timer resolution: pass at least `Duration::from_millis(1)`"
            ),
            Error::IntervalTooLong(d) => write!(
                f,
                "interval of {d:?} is too large to schedule: pass at most one day (`Duration::from_secs(86400)`)"
            ),
            Error::StallThresholdTooShort(d) => write!(
                f,
                "stall threshold of {d:?} is shorter than 1ms: pass at least `Duration::from_millis(1)`, or turn the watchdog off with `.stall_watchdog(false)`"
            ),
            Error::StallThresholdTooLong(d) => write!(
                f,
                "stall threshold of {d:?} is too large: pass at most one day (`Duration::from_secs(86400)`)"
            ),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_checked() {
        assert_eq!(
            Error::check_interval(Duration::ZERO),
            Err(Error::ZeroInterval)
        );
        assert_eq!(
            Error::check_interval(Duration::from_micros(999)),
            Err(Error::IntervalTooShort(Duration::from_micros(999)))
        );
        assert_eq!(
            Error::check_interval(MAX_INTERVAL + Duration::from_nanos(1)),
            Err(Error::IntervalTooLong(
                MAX_INTERVAL + Duration::from_nanos(1)
            ))
        );
        assert_eq!(Error::check_interval(MIN_INTERVAL), Ok(MIN_INTERVAL));
        assert_eq!(Error::check_interval(MAX_INTERVAL), Ok(MAX_INTERVAL));
        assert_eq!(
            Error::check_stall_threshold(Duration::ZERO),
            Err(Error::StallThresholdTooShort(Duration::ZERO))
        );
        assert_eq!(
            Error::check_stall_threshold(Duration::from_millis(100)),
            Ok(Duration::from_millis(100))
        );
        assert!(matches!(
            Error::check_stall_threshold(MAX_INTERVAL * 2),
            Err(Error::StallThresholdTooLong(_))
        ));
    }

    #[test]
    fn messages_say_what_to_pass() {
        assert_eq!(
            Error::IntervalTooShort(Duration::from_micros(500)).to_string(),
            "interval of 500µs is shorter than tokio's 1ms timer resolution: pass at least `Duration::from_millis(1)`"
        );
        assert!(Error::IntervalTooLong(Duration::from_secs(90_000))
            .to_string()
            .starts_with("interval of 90000s is too large"));
    }
}
