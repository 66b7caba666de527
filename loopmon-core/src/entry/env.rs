//! [`Settings`]: the environment overrides of the macros' configuration, read at start-up.
//!
//! - `LOOPMON_INTERVAL=100ms` replaces the attribute's interval (humantime syntax, as in the
//!   attribute: `500ms`, `1s`, `1.5s`, `1m 30s`).
//! - `LOOPMON=off` disables the monitor (`on` is the default).
//!
//! A bad value never stops the program: one warning is printed to stderr (once per process)
//! and the attribute's value is kept. A value that is not UTF-8 is a bad value like any other (it
//! is shown with `�` for the bytes that are not).

use crate::error::Error;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The environment variable that overrides the interval: `LOOPMON_INTERVAL=100ms`.
pub const LOOPMON_INTERVAL: &str = "LOOPMON_INTERVAL";

/// The environment variable that turns the monitor off: `LOOPMON=off` (or `on`, the default).
pub const LOOPMON: &str = "LOOPMON";

/// Whether a warning about the environment was printed already.
static WARNED: AtomicBool = AtomicBool::new(false);

/// The configuration in force once the environment is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Settings {
    /// `false` under `LOOPMON=off`.
    pub enabled: bool,
    /// `LOOPMON_INTERVAL` if set and valid, else the attribute's interval.
    pub interval: Duration,
}

impl Settings {
    /// Reads [`LOOPMON`] and [`LOOPMON_INTERVAL`]; prints one warning per process on a bad
    /// value.
    pub fn from_env(interval: Duration) -> Settings {
        let switch = read(LOOPMON);
        let chosen = read(LOOPMON_INTERVAL);
        let (settings, warning) = Settings::resolve(interval, switch.as_deref(), chosen.as_deref());
        if let Some(warning) = warning {
            if !WARNED.swap(true, Ordering::Relaxed) {
                eprintln!("loopmon: warning: {warning}");
            }
        }
        settings
    }

    /// The settings for the given variable values, and the warning to print, if any.
    pub fn resolve(
        interval: Duration,
        switch: Option<&str>,
        chosen: Option<&str>,
    ) -> (Settings, Option<String>) {
        let mut settings = Settings {
            enabled: true,
            interval,
        };
        let mut warnings = Vec::new();
        match switch.map(str::trim) {
            None | Some("") => {}
            Some(v)
                if ["off", "0", "false"]
                    .iter()
                    .any(|o| v.eq_ignore_ascii_case(o)) =>
            {
                settings.enabled = false;
            }
            Some(v)
                if ["on", "1", "true"]
                    .iter()
                    .any(|o| v.eq_ignore_ascii_case(o)) => {}
            Some(v) => warnings.push(format!(
                "ignoring `{LOOPMON}={v}`: expected `off` or `on`; the monitor stays on"
            )),
        }
        if let Some(text) = chosen.map(str::trim).filter(|t| !t.is_empty()) {
            match parse_interval(text) {
                Ok(d) => settings.interval = d,
                Err(why) => warnings.push(format!(
                    "ignoring `{LOOPMON_INTERVAL}={text}`: {why}; keeping the interval of {interval:?}"
                )),
            }
        }
        let warning = (!warnings.is_empty()).then(|| warnings.join("; "));
        (settings, warning)
    }
}

/// The value of the variable `name`, if set. A value that is not UTF-8 comes back lossily
/// converted: its `U+FFFD` marks make it invalid for either variable, so it gets their warning.
fn read(name: &str) -> Option<String> {
    std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
}

/// Parses an interval in humantime syntax and checks that a monitor can run with it.
fn parse_interval(text: &str) -> Result<Duration, String> {
    match humantime::parse_duration(text) {
        Ok(d) => Error::check_interval(d).map_err(|e| e.to_string()),
        Err(humantime::DurationError::UnknownUnit { unit, value, .. }) if unit.is_empty() => Err(
            format!("`{text}` has no unit: write `{value}ms` or `{value}s`"),
        ),
        Err(e) => Err(format!(
            "`{text}` is not a duration ({e}): write one such as `500ms`, `1.5s` or `1m 30s`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ATTR: Duration = Duration::from_millis(500);

    #[test]
    fn nothing_set_keeps_the_attribute() {
        let (s, w) = Settings::resolve(ATTR, None, None);
        assert_eq!((s.enabled, s.interval, w), (true, ATTR, None));
    }

    #[test]
    fn interval_override_uses_humantime_syntax() {
        for (text, want) in [
            ("100ms", Duration::from_millis(100)),
            ("1.5s", Duration::from_millis(1500)),
            ("1m 30s", Duration::from_secs(90)),
            (" 2s ", Duration::from_secs(2)),
        ] {
            let (s, w) = Settings::resolve(ATTR, None, Some(text));
            assert_eq!((s.interval, w), (want, None), "{text}");
        }
    }

    #[test]
    fn bad_intervals_warn_and_keep_the_attribute() {
        for (text, says) in [
            ("100", "`100` has no unit: write `100ms` or `100s`"),
            ("soon", "`soon` is not a duration"),
            ("0s", "must not be zero"),
            ("2d", "too large to schedule"),
            ("10us", "shorter than tokio's 1ms timer resolution"),
        ] {
            let (s, w) = Settings::resolve(ATTR, None, Some(text));
            let w = w.unwrap();
            assert_eq!(s.interval, ATTR);
            assert!(w.contains(says), "{w}");
            assert!(
                w.starts_with(&format!("ignoring `LOOPMON_INTERVAL={text}`")),
                "{w}"
            );
            assert!(w.ends_with("keeping the interval of 500ms"), "{w}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn values_that_are_not_utf8_warn_like_other_bad_values() {
        use std::os::unix::ffi::OsStrExt;
        let name = "LOOPMON_TEST_NOT_UTF8";
        for bytes in [&b"off\xff"[..], b"\xff", b"100\xffms"] {
            std::env::set_var(name, std::ffi::OsStr::from_bytes(bytes));
            let value = read(name);
            let (s, w) = Settings::resolve(ATTR, value.as_deref(), None);
            assert!(s.enabled, "{bytes:?}");
            let w = w.unwrap_or_else(|| panic!("no warning for LOOPMON={bytes:?}"));
            assert!(w.starts_with("ignoring `LOOPMON="), "{w}");
            assert!(w.contains('\u{FFFD}'), "{w}");
            let (s, w) = Settings::resolve(ATTR, None, value.as_deref());
            assert_eq!(s.interval, ATTR, "{bytes:?}");
            let w = w.unwrap_or_else(|| panic!("no warning for LOOPMON_INTERVAL={bytes:?}"));
            assert!(w.starts_with("ignoring `LOOPMON_INTERVAL="), "{w}");
            assert!(w.ends_with("keeping the interval of 500ms"), "{w}");
        }
        std::env::remove_var(name);
    }

    #[test]
    fn the_switch_turns_the_monitor_off() {
        for off in ["off", "OFF", "0", "false"] {
            assert!(!Settings::resolve(ATTR, Some(off), None).0.enabled);
        }
        for on in ["on", "1", "true", ""] {
            let (s, w) = Settings::resolve(ATTR, Some(on), None);
            assert!(s.enabled && w.is_none());
        }
        let (s, w) = Settings::resolve(ATTR, Some("of"), Some("x"));
        assert!(s.enabled);
        let w = w.unwrap();
        assert!(
            w.contains("ignoring `LOOPMON=of`: expected `off` or `on`"),
            "{w}"
        );
        assert!(w.contains("ignoring `LOOPMON_INTERVAL=x`"), "{w}");
    }
}
