//! Where `/proc` is not mounted (containers, gVisor, other systems), stall reports are today's:
//! no thread id, no snapshot, never an error or a panic.
//!
//! The check runs this binary again in a mount namespace where an empty tmpfs hides `/proc`
//! (`unshare`, which needs root or user namespaces; CI runs as root). `harness = false`.

use loopmon::{Stall, StallKind};
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

static STALLS: Mutex<Vec<Stall>> = Mutex::new(Vec::new());

fn record(stall: &Stall) {
    STALLS.lock().unwrap().push(stall.clone());
}

/// The child: a body that blocks one worker of two, then prints what was reported.
#[loopmon::main(worker_threads = 2, stall_threshold = "100ms", on_stall = record)]
async fn child() {
    assert!(
        std::fs::read_dir("/proc/self").is_err(),
        "/proc is visible in the child"
    );
    tokio::spawn(async { std::thread::sleep(Duration::from_millis(300)) })
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let stalls = STALLS.lock().unwrap();
    let kinds: Vec<StallKind> = stalls.iter().map(|s| s.kind).collect();
    assert_eq!(kinds, [StallKind::Started, StallKind::Ended], "{stalls:?}");
    for stall in stalls.iter() {
        assert_eq!(
            (stall.thread_id, &stall.snapshot),
            (None, &None),
            "{stall:?}"
        );
    }
    println!("child: {}", stalls[0]);
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("child") {
        return child();
    }
    let exe = std::env::current_exe().unwrap();
    let hide = Command::new("unshare")
        .args(["--mount", "--fork", "sh", "-c"])
        .arg("mount -t tmpfs none /proc && exec \"$0\" child")
        .arg(&exe)
        .output();
    // `unshare` or `mount` refused (not root, no user namespaces): nothing to test here.
    let refused = |stderr: &str| stderr.starts_with("unshare:") || stderr.starts_with("mount:");
    let output = match hide {
        Ok(output) if !refused(&String::from_utf8_lossy(&output.stderr)) => output,
        other => {
            println!("no_proc: skipped: cannot hide /proc here ({other:?})");
            return;
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("child: stall: worker "),
        "{stdout}\n{stderr}"
    );
    println!("no_proc: 1 passed, 0 failed");
}
