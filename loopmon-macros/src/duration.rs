//! Durations in attribute arguments (`interval = "500ms"`, `max_lag = "50ms"`): humantime syntax,
//! parsed at expansion time into a constant `Duration`.
//!
//! The syntax is the `humantime` crate's, the same one `LOOPMON_INTERVAL` is read with at run
//! time: `500ms`, `1s`, `1.5s`, `1m 30s`, `1m30s` (units `ns`, `us`, `ms`, `s`, `m`, `h`, `d`
//! and their long forms).

use std::time::Duration;

/// The range a value must lie in; the limits of `interval` are loopmon-core's `MIN_INTERVAL`
/// and `MAX_INTERVAL`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Range {
    pub(crate) min: Duration,
    pub(crate) max: Duration,
}

/// `interval`: between tokio's 1 ms timer resolution and one day.
pub(crate) const INTERVAL: Range = Range {
    min: Duration::from_millis(1),
    max: Duration::from_secs(24 * 60 * 60),
};

/// `max_lag`: any positive duration.
pub(crate) const MAX_LAG: Range = Range {
    min: Duration::from_nanos(1),
    max: Duration::MAX,
};

/// Parses the string value of `key`; the error says what to write instead.
pub(crate) fn parse(key: &str, text: &str, range: Range) -> Result<Duration, String> {
    use humantime::DurationError as E;
    let shown = text.trim();
    let duration = match humantime::parse_duration(text) {
        Ok(d) => d,
        Err(E::Empty) => {
            return Err(format!(
                "`{key}` is empty: write a duration such as `\"500ms\"`"
            ))
        }
        Err(E::UnknownUnit { unit, value, .. }) if unit.is_empty() => {
            return Err(format!(
                "`{key}`: `\"{shown}\"` has no unit: write `\"{value}ms\"` or `\"{value}s\"`"
            ))
        }
        Err(E::UnknownUnit { unit, value, .. }) => {
            return Err(format!(
                "`{key}`: unknown unit `{unit}` in `\"{shown}\"`: use `ms`, `s`, `m` or `h`, \
                 for example `\"{value}ms\"`"
            ))
        }
        Err(E::NumberOverflow) => {
            return Err(format!(
                "`{key}`: `\"{shown}\"` is too large or too precise: write at most nanosecond precision, \
                 such as `\"1.5s\"`"
            ))
        }
        Err(_) => {
            return Err(format!(
                "`{key}`: `\"{shown}\"` is not a duration: write one such as `\"500ms\"`, `\"1.5s\"` \
                 or `\"1m 30s\"`"
            ))
        }
    };
    if duration.is_zero() {
        Err(format!(
            "`{key}` must not be zero: write a positive duration such as `\"100ms\"`"
        ))
    } else if duration < range.min {
        Err(format!(
            "`{key}` of `\"{shown}\"` is shorter than tokio's 1ms timer resolution: \
             write at least `\"1ms\"`"
        ))
    } else if duration > range.max {
        Err(format!(
            "`{key}` of `\"{shown}\"` is too long to schedule: write at most `\"24h\"`"
        ))
    } else {
        Ok(duration)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn interval(text: &str) -> Result<Duration, String> {
        parse("interval", text, INTERVAL)
    }

    #[test]
    fn every_documented_form_parses() {
        let ms = Duration::from_millis;
        for (text, want) in [
            ("500ms", ms(500)),
            ("1s", ms(1000)),
            ("1.5s", ms(1500)),
            ("1m 30s", ms(90_000)),
            ("1m30s", ms(90_000)),
            ("2min", ms(120_000)),
            ("0.25s", ms(250)),
            ("1ms", ms(1)),
            ("24h", ms(86_400_000)),
        ] {
            assert_eq!(interval(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn errors_say_what_to_write() {
        for (text, message) in [
            ("500", "`interval`: `\"500\"` has no unit: write `\"500ms\"` or `\"500s\"`"),
            ("0ms", "`interval` must not be zero: write a positive duration such as `\"100ms\"`"),
            ("0", "`interval` must not be zero: write a positive duration such as `\"100ms\"`"),
            ("soon", "`interval`: `\"soon\"` is not a duration: write one such as `\"500ms\"`, `\"1.5s\"` or `\"1m 30s\"`"),
            ("", "`interval` is empty: write a duration such as `\"500ms\"`"),
            ("5x", "`interval`: unknown unit `x` in `\"5x\"`: use `ms`, `s`, `m` or `h`, for example `\"5ms\"`"),
            ("500us", "`interval` of `\"500us\"` is shorter than tokio's 1ms timer resolution: write at least `\"1ms\"`"),
            ("2d", "`interval` of `\"2d\"` is too long to schedule: write at most `\"24h\"`"),
        ] {
            assert_eq!(interval(text), Err(message.to_string()), "{text:?}");
        }
    }

    #[test]
    fn every_message_names_its_key() {
        for key in ["interval", "max_lag", "stall_threshold"] {
            for text in ["500", "soon", "5x", "", "0", "99999999999999999999s"] {
                let message = parse(key, text, INTERVAL).unwrap_err();
                assert!(message.starts_with(&format!("`{key}`")), "{message}");
            }
        }
        assert_eq!(
            parse("max_lag", "500", MAX_LAG),
            Err("`max_lag`: `\"500\"` has no unit: write `\"500ms\"` or `\"500s\"`".to_string())
        );
    }

    #[test]
    fn max_lag_has_no_upper_bound() {
        assert_eq!(
            parse("max_lag", "2d", MAX_LAG),
            Ok(Duration::from_secs(172_800))
        );
        assert_eq!(
            parse("max_lag", "10us", MAX_LAG),
            Ok(Duration::from_micros(10))
        );
        assert!(parse("max_lag", "0s", MAX_LAG)
            .unwrap_err()
            .starts_with("`max_lag` must not be zero"));
    }

    proptest! {
        #[test]
        fn never_panics(text in any::<String>()) {
            let _ = interval(&text);
            let _ = parse("max_lag", &text, MAX_LAG);
        }

        #[test]
        fn never_panics_on_duration_like_text(text in "[0-9 .]{0,12}[a-zµ]{0,5}[0-9 .]{0,6}[a-z]{0,3}") {
            let _ = interval(&text);
        }

        #[test]
        fn formatted_durations_round_trip(nanos in 1u64..=86_400_000_000_000) {
            let d = Duration::from_nanos(nanos);
            let text = humantime::format_duration(d).to_string();
            prop_assert_eq!(parse("max_lag", &text, MAX_LAG), Ok(d));
        }

        #[test]
        fn millis_round_trip(ms in 1u64..=86_400_000) {
            prop_assert_eq!(interval(&format!("{ms}ms")), Ok(Duration::from_millis(ms)));
        }

        #[test]
        fn minutes_and_seconds_round_trip(m in 0u64..600, s in 1u64..60, space in any::<bool>()) {
            let text = if space { format!("{m}m {s}s") } else { format!("{m}m{s}s") };
            prop_assert_eq!(interval(&text), Ok(Duration::from_secs(m * 60 + s)));
        }

        #[test]
        fn decimal_seconds_round_trip(whole in 0u64..1000, frac in 1u64..1000) {
            let text = format!("{whole}.{frac:03}s");
            let want = Duration::from_millis(whole * 1000 + frac);
            prop_assert_eq!(interval(&text), Ok(want));
        }

        #[test]
        fn bare_numbers_get_a_unit_suggested(n in 1u64..1_000_000) {
            let err = interval(&n.to_string()).unwrap_err();
            prop_assert!(err.contains(&format!("write `\"{n}ms\"`")), "{}", err);
        }
    }
}
