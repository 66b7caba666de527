//! What a user sees on stderr when callbacks panic on every sample: the first panic of each
//! callback, and every panic raised elsewhere in the program, nothing more.
//!
//! The test runs itself again as a child process (this same test, with `CHILD` set) and reads
//! the child's stderr, where the panic hook writes.

use loopmon_core::{Sample, SleepMonitor, Stall};
use std::process::Command;
use std::time::Duration;

const CHILD: &str = "LOOPMON_TEST_PANIC_OUTPUT_CHILD";

/// The child: two callbacks that panic on every sample for 300 ms at a 2 ms interval, a stall
/// callback that panics on each of the 2 reports of a stall, and two panics of the program's
/// own, one before the monitor and one while it runs.
fn child() {
    let _ = std::thread::spawn(|| panic!("program panic before the monitor")).join();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let handle = rt.block_on(async {
        let handle = SleepMonitor::builder()
            .interval(Duration::from_millis(2))
            .callback(|_s: &Sample| panic!("sync callback panic"))
            .callback(|_s: Sample| async { panic!("async callback panic") })
            .stall_threshold(Duration::from_millis(30))
            .on_stall(|_s: &Stall| panic!("stall callback panic"))
            .build()
            .unwrap()
            .start();
        tokio::time::sleep(Duration::from_millis(150)).await;
        // A panic of the program's own, on the runtime's thread, while the monitor runs.
        let joined = tokio::spawn(async { panic!("program panic in a task") }).await;
        assert!(joined.is_err());
        // A stall: reported once it passes the threshold, and once more when it ends.
        std::thread::sleep(Duration::from_millis(150));
        tokio::time::sleep(Duration::from_millis(150)).await;
        handle.stop();
        handle
    });
    println!("\npanics={} stalls={}", handle.panics(), handle.stalls());
}

#[test]
fn each_callback_s_first_panic_is_printed_and_every_other_panic_of_the_program() {
    if std::env::var_os(CHILD).is_some() {
        return child();
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "each_callback_s_first_panic_is_printed_and_every_other_panic_of_the_program",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
    let count = |key: &str| -> u64 {
        stdout
            .split_whitespace()
            .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no {key} in the child's output:\n{stdout}"))
    };
    let (panics, stalls) = (count("panics"), count("stalls"));
    // What the panic hook printed: a line `thread '…' panicked at …`, then the message.
    let printed = |message: &str| {
        let lines: Vec<&str> = stderr.lines().collect();
        lines
            .windows(2)
            .filter(|w| w[0].contains("panicked at") && w[1] == message)
            .count()
    };
    assert!(panics >= 40, "only {panics} callback panics\n{stderr}");
    assert!(stalls >= 1, "no stall reported\n{stderr}");
    assert_eq!(printed("sync callback panic"), 1, "{stderr}");
    assert_eq!(printed("async callback panic"), 1, "{stderr}");
    assert_eq!(printed("stall callback panic"), 1, "{stderr}");
    assert_eq!(printed("program panic before the monitor"), 1, "{stderr}");
    assert_eq!(printed("program panic in a task"), 1, "{stderr}");
    let hook_messages = stderr.matches("panicked at").count();
    assert_eq!(hook_messages, 5, "{stderr}");
}
