//! A task spinning on the CPU, as a user of `#[loopmon::test]` reads it in a stall report with
//! the `cpu-stacks` feature: `running on the CPU in` the user's function, with its file, and
//! its caller.

mod common;

use common::started;
use loopmon::{Stall, ThreadActivity};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long the task spins: long enough for the watchdog to look while it lasts, even when its
/// first look (parsing the binary's tables) competes with other tests for the CPU.
const SPIN: Duration = Duration::from_millis(2000);

static LOG: Mutex<Vec<Stall>> = Mutex::new(Vec::new());
fn log(s: &Stall) {
    LOG.lock().unwrap().push(s.clone());
}

/// Spins until `until`: a loop of arithmetic, the clock read now and then.
#[inline(never)]
fn crunch(until: Instant) -> u64 {
    let mut n = 0u64;
    while Instant::now() < until {
        for _ in 0..100_000 {
            n = std::hint::black_box(n.wrapping_mul(31).wrapping_add(7));
        }
    }
    n
}

#[inline(never)]
fn handle() -> u64 {
    crunch(Instant::now() + SPIN).wrapping_add(std::hint::black_box(1))
}

/// The index of the first frame whose function ends with `::name`, in this file.
fn frame(stall: &Stall, name: &str) -> usize {
    let snapshot = stall.snapshot.as_ref().expect("a snapshot");
    let i = snapshot
        .frames
        .iter()
        .position(|f| {
            f.function
                .as_deref()
                .is_some_and(|n| n.ends_with(&format!("::{name}")))
        })
        .unwrap_or_else(|| panic!("no {name} in: {stall}"));
    let file = snapshot.frames[i].file.as_deref();
    assert_eq!(file, Some("tests/cpu_stacks.rs"), "{stall}");
    i
}

/// A task spinning for 2 s on one worker of two.
#[loopmon::test(
    flavor = "multi_thread",
    worker_threads = 2,
    stall_threshold = "100ms",
    on_stall = log
)]
async fn a_spinning_task_is_named_with_its_file_and_caller() {
    tokio::spawn(async { handle() }).await.unwrap();
    let stall = started(&LOG).await;
    if !cfg!(target_os = "linux") {
        assert!(stall.snapshot.is_none());
        return;
    }
    let snapshot = stall
        .snapshot
        .as_ref()
        .unwrap_or_else(|| panic!("no snapshot: {stall}"));
    assert_eq!(snapshot.activity, ThreadActivity::RunningOnCpu, "{stall}");
    if !cfg!(target_arch = "x86_64") {
        return;
    }
    assert_eq!(snapshot.stack_missing, None, "{stall}");
    assert!(frame(&stall, "crunch") < frame(&stall, "handle"), "{stall}");
    let text = stall.to_string();
    assert!(text.contains("running on the CPU in "), "{text}");
    assert!(
        text.contains("cpu_stacks::crunch (tests/cpu_stacks.rs:"),
        "{text}"
    );
}
