//! `#[loopmon::main]` at run time, seen from outside: the default reporter's line on stderr,
//! `LOOPMON_INTERVAL` and `LOOPMON=off`, and the warning on a bad value.
//!
//! Environment variables are per process, so this test runs itself again as a child for each
//! case (`harness = false`: `main` is ours).

use loopmon::Sample;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Set in a child: which program to run.
const ROLE: &str = "LOOPMON_MACRO_ENV_ROLE";

static TICKS: AtomicU64 = AtomicU64::new(0);

fn count(_: &Sample) {
    TICKS.fetch_add(1, Ordering::Relaxed);
}

/// No argument: the default interval (100 ms) and the default reporter.
#[loopmon::main]
async fn bare() {
    tokio::time::sleep(Duration::from_millis(150)).await;
    std::thread::sleep(Duration::from_millis(400));
    tokio::time::sleep(Duration::from_millis(300)).await;
}

/// A stall of `main`'s body past a 100 ms threshold.
#[loopmon::main(stall_threshold = "100ms")]
async fn stalled() {
    tokio::time::sleep(Duration::from_millis(50)).await;
    std::thread::sleep(Duration::from_millis(400));
    tokio::time::sleep(Duration::from_millis(50)).await;
}

/// Prints how many samples a 200 ms interval gave in 450 ms, twice.
#[loopmon::main(interval = "200ms", callback = count)]
async fn counted() {
    tokio::time::sleep(Duration::from_millis(450)).await;
    println!("samples: {}", TICKS.swap(0, Ordering::Relaxed));
}

fn main() {
    match std::env::var(ROLE).as_deref() {
        Ok("bare") => return bare(),
        Ok("stalled") => return stalled(),
        Ok("counted") => {
            counted();
            counted();
            return;
        }
        _ => {}
    }
    the_default_reporter_prints_one_line_per_stall();
    the_interval_is_overridden_without_rebuilding();
    loopmon_off_disables_the_monitor();
    a_bad_value_warns_once_and_keeps_the_attribute();
    println!("macro_env: 4 checks passed");
}

fn run(role: &str, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .env(ROLE, role)
        .env_remove("LOOPMON")
        .env_remove("LOOPMON_INTERVAL");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().unwrap();
    assert!(output.status.success(), "{output:?}");
    output
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// The sample counts the `counted` child printed.
fn samples(output: &Output) -> Vec<u64> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("samples: "))
        .map(|n| n.parse().unwrap())
        .collect()
}

fn the_default_reporter_prints_one_line_per_stall() {
    let err = stderr(&run("bare", &[]));
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("loopmon: the runtime lagged"))
        .collect();
    // With the `tracing` feature too: no subscriber would record loopmon's `WARN` events, so
    // the report goes to stderr rather than nowhere.
    // The 400 ms block in `main`'s body (multi_thread: seen by the probe inside `block_on`).
    assert!(
        lines
            .iter()
            .any(|l| l.contains("in the body driven by `block_on`")),
        "{err}"
    );
    assert!(lines.len() <= 3, "{err}");
    // The stall watchdog's reports, while the body blocks and when it ends.
    let stalled = stderr(&run("stalled", &[]));
    let stalls: Vec<&str> = stalled
        .lines()
        .filter(|l| l.starts_with("loopmon: stall: thread `main` (block_on)"))
        .collect();
    assert_eq!(stalls.len(), 2, "{stalled}");
    assert!(stalls[0].contains("and still is"), "{stalled}");
    let quiet = stderr(&run("bare", &[("LOOPMON", "off")]));
    assert!(!quiet.contains("loopmon"), "{quiet}");
}

fn the_interval_is_overridden_without_rebuilding() {
    let attribute = samples(&run("counted", &[]));
    assert!(
        attribute.iter().all(|n| (1..=3).contains(n)),
        "{attribute:?}"
    );
    let overridden = samples(&run("counted", &[("LOOPMON_INTERVAL", "20ms")]));
    assert!(
        overridden.iter().all(|n| (10..=23).contains(n)),
        "{overridden:?}"
    );
}

fn loopmon_off_disables_the_monitor() {
    let off = samples(&run("counted", &[("LOOPMON", "off")]));
    assert_eq!(off, [0, 0]);
}

fn a_bad_value_warns_once_and_keeps_the_attribute() {
    let output = run("counted", &[("LOOPMON_INTERVAL", "20")]);
    let err = stderr(&output);
    assert_eq!(
        err.trim_end(),
        "loopmon: warning: ignoring `LOOPMON_INTERVAL=20`: `20` has no unit: write `20ms` or \
         `20s`; keeping the interval of 200ms",
        "one warning, although the monitor started twice"
    );
    let kept = samples(&output);
    assert!(kept.iter().all(|n| (1..=3).contains(n)), "{kept:?}");
    let err = stderr(&run("counted", &[("LOOPMON", "no")]));
    assert!(
        err.contains("ignoring `LOOPMON=no`: expected `off` or `on`"),
        "{err}"
    );
}
