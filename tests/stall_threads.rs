//! Stall reports name the stuck thread by its Linux thread id, through `#[loopmon::test]`: a
//! worker that blocks before the probe ever ran on it, and `main`'s body.

use loopmon::{Stall, StallKind};
use std::sync::Mutex;
use std::time::Duration;

static STALLS: Mutex<Vec<Stall>> = Mutex::new(Vec::new());

fn record(stall: &Stall) {
    STALLS.lock().unwrap().push(stall.clone());
}

/// The calling thread's id, read as a user would.
fn my_tid() -> Option<u32> {
    let link = std::fs::read_link("/proc/thread-self").ok()?;
    link.file_name()?.to_str()?.parse().ok()
}

/// Under `--cfg tokio_unstable` the macro's runtime has loopmon's poll hooks with no code of
/// the user's: a worker's stall names the task and where it was spawned.
fn worker_stalls_name_their_task() -> bool {
    let stalls = STALLS.lock().unwrap();
    stalls.iter().filter(|s| s.worker.is_some()).all(|s| {
        s.task
            .is_some_and(|t| t.spawned_at.file().ends_with("stall_threads.rs"))
    })
}

fn ended_stall_ids() -> Vec<(Option<usize>, Option<u32>)> {
    let stalls = STALLS.lock().unwrap();
    stalls
        .iter()
        .filter(|s| s.kind == StallKind::Ended)
        .map(|s| (s.worker, s.thread_id))
        .collect()
}

#[loopmon::test(
    flavor = "multi_thread",
    worker_threads = 2,
    interval = "50ms",
    stall_threshold = "100ms",
    on_stall = record
)]
async fn the_stuck_worker_and_the_body_are_named_by_thread_id() {
    let (worker, tid) = tokio::spawn(async {
        let tid = my_tid();
        std::thread::sleep(Duration::from_millis(300));
        (tokio::runtime::worker_index(), tid)
    })
    .await
    .unwrap();
    let body = my_tid();
    std::thread::sleep(Duration::from_millis(300)); // main's body, on the block_on thread
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Ended reports of long stalls may come a little after the end (the watchdog backs off).
    for _ in 0..300 {
        if ended_stall_ids().len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let ids = ended_stall_ids();
    assert_eq!(
        worker_stalls_name_their_task(),
        cfg!(tokio_unstable),
        "{:?}",
        STALLS.lock().unwrap()
    );
    if cfg!(target_os = "linux") {
        assert!(tid.is_some() && body.is_some());
        assert!(
            ids.contains(&(worker, tid)),
            "worker {worker:?} {tid:?}: {ids:?}"
        );
        assert!(ids.contains(&(None, body)), "body {body:?}: {ids:?}");
    }
}
