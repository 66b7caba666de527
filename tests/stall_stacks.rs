//! What blocked, as a user of `#[loopmon::test]` reads it in a stall report: the stuck thread's
//! activity and, with the `stacks` feature (x86_64 Linux), the user's function and line.

mod common;

use common::started;
use loopmon::{Stall, ThreadActivity};
use std::io::Read;
use std::sync::Mutex;
use std::time::Duration;

/// How long each test blocks: long enough for the watchdog to look while it lasts, even when
/// its first look (parsing the binary's tables) competes with other tests for the CPU.
const BLOCK: Duration = Duration::from_millis(1500);

/// Asserts what the report says: the activity, and with stacks the user's function, this file
/// and `line`.
fn assert_names(stall: &Stall, activity: ThreadActivity, function: &str, line: u32) {
    if !cfg!(target_os = "linux") {
        assert!(stall.snapshot.is_none());
        return;
    }
    let snapshot = stall
        .snapshot
        .as_ref()
        .unwrap_or_else(|| panic!("no snapshot: {stall}"));
    assert_eq!(snapshot.activity, activity, "{stall}");
    if cfg!(all(feature = "stacks", target_arch = "x86_64")) {
        let frame = snapshot
            .frames
            .iter()
            .find(|f| f.function.as_deref().is_some_and(|n| n.contains(function)))
            .unwrap_or_else(|| panic!("no {function} in: {stall}"));
        assert_eq!(
            frame.file.as_deref(),
            Some("tests/stall_stacks.rs"),
            "{stall}"
        );
        assert_eq!(frame.line, Some(line), "{stall}");
        let text = stall.to_string();
        assert!(
            text.contains(&format!("(tests/stall_stacks.rs:{line})")),
            "{text}"
        );
    }
}

static SLEEP: Mutex<Vec<Stall>> = Mutex::new(Vec::new());
fn sleep_log(s: &Stall) {
    SLEEP.lock().unwrap().push(s.clone());
}
static SLEEP_LINE: Mutex<u32> = Mutex::new(0);

#[inline(never)]
fn load_user() -> u64 {
    *SLEEP_LINE.lock().unwrap() = line!() + 1;
    std::thread::sleep(BLOCK);
    std::hint::black_box(7)
}

/// A task sleeping on one worker of two: `sleeping`, in `load_user`.
#[loopmon::test(
    flavor = "multi_thread",
    worker_threads = 2,
    stall_threshold = "100ms",
    on_stall = sleep_log
)]
async fn a_sleeping_worker_is_named_with_its_line() {
    tokio::spawn(async { load_user() }).await.unwrap();
    let stall = started(&SLEEP).await;
    let line = *SLEEP_LINE.lock().unwrap();
    assert_names(&stall, ThreadActivity::Sleeping, "load_user", line);
}

static LOCK: Mutex<Vec<Stall>> = Mutex::new(Vec::new());
fn lock_log(s: &Stall) {
    LOCK.lock().unwrap().push(s.clone());
}
static SHARED: Mutex<u64> = Mutex::new(0);
static LOCK_LINE: Mutex<u32> = Mutex::new(0);

#[inline(never)]
fn bump_counter() -> u64 {
    *LOCK_LINE.lock().unwrap() = line!() + 1;
    let value = *SHARED.lock().unwrap();
    std::hint::black_box(value + 1)
}

/// `main`'s body (the `block_on` thread) waiting on a lock another thread holds.
#[loopmon::test(
    flavor = "multi_thread",
    interval = "10ms",
    stall_threshold = "100ms",
    on_stall = lock_log
)]
async fn a_body_waiting_on_a_lock_is_named_with_its_line() {
    let (locked, is_locked) = std::sync::mpsc::channel();
    let release = std::thread::spawn(move || {
        let held = SHARED.lock().unwrap();
        locked.send(()).unwrap();
        std::thread::sleep(BLOCK);
        drop(held);
    });
    is_locked.recv().unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    bump_counter();
    release.join().unwrap();
    let stall = started(&LOCK).await;
    let line = *LOCK_LINE.lock().unwrap();
    assert_eq!(stall.worker, None, "the block_on thread: {stall}");
    assert_names(&stall, ThreadActivity::WaitingOnLock, "bump_counter", line);
}

static READ: Mutex<Vec<Stall>> = Mutex::new(Vec::new());
fn read_log(s: &Stall) {
    READ.lock().unwrap().push(s.clone());
}
static READ_LINE: Mutex<u32> = Mutex::new(0);

#[inline(never)]
fn read_reply(stream: &mut std::net::TcpStream) -> usize {
    let mut buf = [0u8; 16];
    *READ_LINE.lock().unwrap() = line!() + 1;
    stream.read(&mut buf).unwrap_or(0)
}

/// A task on a `current_thread` runtime in a blocking socket read: `blocking I/O in` a read
/// call.
#[loopmon::test(interval = "10ms", stall_threshold = "100ms", on_stall = read_log)]
async fn a_blocking_read_is_named_with_its_line() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let writer = std::thread::spawn(move || {
        let (mut peer, _) = listener.accept().unwrap();
        std::thread::sleep(BLOCK);
        std::io::Write::write_all(&mut peer, b"pong").unwrap();
    });
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    tokio::spawn(async move { read_reply(&mut stream) })
        .await
        .unwrap();
    writer.join().unwrap();
    let stall = started(&READ).await;
    let line = *READ_LINE.lock().unwrap();
    let ThreadActivity::BlockingIo { syscall } = stall
        .snapshot
        .as_ref()
        .map_or(ThreadActivity::BlockingIo { syscall: "?" }, |s| {
            s.activity.clone()
        })
    else {
        panic!("not blocking I/O: {stall}");
    };
    assert!(syscall.starts_with("rec") || syscall == "read", "{stall}");
    assert_names(
        &stall,
        ThreadActivity::BlockingIo { syscall },
        "read_reply",
        line,
    );
}
