//! `#[loopmon::test(max_lag = …)]` failing a test, read as the user reads it: the failure, the
//! summary below it and the statistics tell one story, the panic points at the test, and a
//! worker stuck past `max_lag` fails the test even while the other workers keep the probe on
//! time.
//!
//! The failing tests are `#[ignore]`d (they fail on purpose); the checks run each one as a child
//! process (`--ignored --exact`) and read what it printed.

use std::process::Command;
use std::time::Duration;

#[loopmon::test(max_lag = "100ms", interval = "20ms")]
#[ignore = "fails on purpose: run as a child by `the_failure_and_the_summary_tell_one_story`"]
async fn blocks_its_runtime() {
    tokio::time::sleep(Duration::from_millis(50)).await;
    std::thread::sleep(Duration::from_millis(300));
    tokio::time::sleep(Duration::from_millis(50)).await;
}

#[loopmon::test(max_lag = "100ms", flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fails on purpose: run as a child by `a_stuck_worker_of_two_fails_the_test`"]
async fn blocks_one_worker_of_two() {
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Long enough for the stall's first report, which parses the binary's tables for its
    // stack: up to a second in a debug build on a loaded machine.
    tokio::spawn(async { std::thread::sleep(Duration::from_millis(1500)) })
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
}

/// Runs the ignored test `name` in a child; returns what it printed on stderr and stdout.
fn run_failing(name: &str) -> String {
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            name,
            "--nocapture",
            "--test-threads=1",
        ])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(!output.status.success(), "{name} passed:\n{text}");
    text
}

/// The number after `before` and before `after` in `text`.
fn number(text: &str, before: &str, after: &str) -> f64 {
    let start = text
        .find(before)
        .unwrap_or_else(|| panic!("no {before:?} in:\n{text}"))
        + before.len();
    let rest = &text[start..];
    rest[..rest.find(after).unwrap()].parse().unwrap()
}

#[test]
fn the_failure_and_the_summary_tell_one_story() {
    let text = run_failing("blocks_its_runtime");
    let failure = &text[text.find("panicked at").unwrap()..];
    let failed = number(failure, "the runtime lagged ", "ms at ");
    let max = number(failure, " ms, max ", " ms at ");
    assert!(failed > 100.0, "{text}");
    assert!(
        (failed - max).abs() < 0.1,
        "the failure says {failed} ms, the summary's max {max} ms:\n{text}"
    );
    assert!(text.contains("panicked at tests/guard_story.rs:"), "{text}");
    // What held the thread comes with the lag: the watchdog's longest report.
    let stall = &failure[..failure.find("loopmon summary").unwrap_or(failure.len())];
    assert!(stall.contains("\nloopmon: stall: "), "{text}");
}

#[test]
fn a_stuck_worker_of_two_fails_the_test() {
    let text = run_failing("blocks_one_worker_of_two");
    assert!(
        text.contains("a runtime thread was stuck for longer than `max_lag` of 100ms"),
        "{text}"
    );
    assert!(text.contains("stall: worker "), "{text}");
    assert!(text.contains("panicked at tests/guard_story.rs:"), "{text}");
    // The summary counts the stall (on a loaded machine the OS may add one of its own).
    assert!(number(&text, "stalls: ", ";") >= 1.0, "{text}");
}
