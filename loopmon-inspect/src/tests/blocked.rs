//! Threads blocked in known ways, a few user frames deep, inspected from the test's thread.
//!
//! Each user function is `#[inline(never)]` and does something after its call (so the call is
//! no tail call, in release builds too): gdb would show each of them.

use super::*;
use std::io::Read;
use std::net::{TcpListener, TcpStream};

/// The syscall std's `TcpStream::read` makes on this architecture.
const IO: &str = "recvfrom";

/// Whether `snap` is the thread in `activity`, in `function` when stacks are read.
///
/// The activity too with stacks: with `cpu-stacks` a thread still on its way into the call,
/// on the CPU, shows the function as well.
fn caught(snap: &ThreadSnapshot, function: &str, activity: ThreadActivity) -> bool {
    snap.activity == activity && (!STACKS || find(snap, function).is_some())
}

/// Whether frames are expected; if not, checks that the snapshot says why there are none.
fn has_stacks(snap: &ThreadSnapshot) -> bool {
    if !STACKS {
        assert_eq!(
            snap.stack_missing,
            Some(StackMissing::Unsupported),
            "{snap}"
        );
        assert!(snap.frames.is_empty());
    }
    STACKS
}

fn api(snap: &ThreadSnapshot) -> &str {
    snap.frames
        .first()
        .and_then(|f| f.function.as_deref())
        .unwrap_or_default()
}

#[inline(never)]
fn sleep_outer(ctx: &Ctx) -> u32 {
    let mut n = 0;
    while !ctx.stopped() {
        n += sleep_inner(ctx);
    }
    n
}

#[inline(never)]
fn sleep_inner(ctx: &Ctx) -> u32 {
    std::thread::sleep(ctx.at(line!(), Duration::from_millis(300)));
    std::hint::black_box(1)
}

#[test]
fn sleep() {
    let t = Blocked::spawn(|ctx| {
        let _ = sleep_outer(ctx);
    });
    let snap = t.inspect_until(|s| caught(s, "sleep_inner", ThreadActivity::Sleeping));
    assert_eq!(snap.activity, ThreadActivity::Sleeping, "{snap}");
    if !has_stacks(&snap) {
        return;
    }
    assert!(api(&snap).starts_with("std::thread::"), "{snap}");
    assert!(api(&snap).ends_with("::sleep"), "{snap}");
    assert_user_frames(&snap, &["sleep_inner", "sleep_outer"], t.line());
    assert!(
        snap.to_string().starts_with("sleeping in std::thread::"),
        "{snap}"
    );
    assert_eq!(snap.stack_missing, None);
}

#[inline(never)]
fn lock_outer(ctx: &Ctx, m: &Mutex<u32>) -> u32 {
    lock_inner(ctx, m) + std::hint::black_box(1)
}

#[inline(never)]
fn lock_inner(ctx: &Ctx, m: &Mutex<u32>) -> u32 {
    let guard = ctx.at(line!(), m).lock();
    guard.map_or(0, |g| *g)
}

#[test]
fn mutex_held_by_another_thread() {
    let m = Arc::new(Mutex::new(0));
    let held = m.lock().unwrap();
    let m2 = m.clone();
    let t = Blocked::spawn(move |ctx| {
        let _ = lock_outer(ctx, &m2);
    });
    let snap = t.inspect_until(|s| caught(s, "lock_inner", ThreadActivity::WaitingOnLock));
    drop(held);
    assert_eq!(snap.activity, ThreadActivity::WaitingOnLock, "{snap}");
    if !has_stacks(&snap) {
        return;
    }
    assert!(api(&snap).contains("Mutex"), "{snap}");
    assert!(api(&snap).ends_with("::lock"), "{snap}");
    assert_user_frames(&snap, &["lock_inner", "lock_outer"], t.line());
}

#[inline(never)]
fn read_outer(ctx: &Ctx, s: TcpStream) -> usize {
    read_inner(ctx, s) + std::hint::black_box(1)
}

#[inline(never)]
fn read_inner(ctx: &Ctx, mut s: TcpStream) -> usize {
    let mut buf = [0; 16];
    ctx.at(line!(), &mut s).read(&mut buf).unwrap_or(0)
}

#[test]
fn socket_read_without_data() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let t = Blocked::spawn(move |ctx| {
        let _ = read_outer(ctx, TcpStream::connect(addr).unwrap());
    });
    let (server, _) = listener.accept().unwrap();
    let snap =
        t.inspect_until(|s| caught(s, "read_inner", ThreadActivity::BlockingIo { syscall: IO }));
    drop(server);
    assert!(
        matches!(snap.activity, ThreadActivity::BlockingIo { syscall } if syscall.starts_with("recv") || syscall == "read"),
        "{snap}"
    );
    if !has_stacks(&snap) {
        return;
    }
    // std's socket reads are one machine code: the linker may have folded `TcpStream::read`
    // into `UdpSocket::recv`, and the line tables then name the latter (gdb too).
    assert!(api(&snap).contains("std::net::"), "{snap}");
    assert_user_frames(&snap, &["read_inner", "read_outer"], t.line());
}

#[cfg(all(feature = "stacks", target_arch = "x86_64"))]
#[inline(never)]
fn fsync_outer(ctx: &Ctx, file: &mut std::fs::File) -> u32 {
    let mut n = 0;
    while !ctx.stopped() {
        n += fsync_inner(ctx, file);
    }
    n
}

#[cfg(all(feature = "stacks", target_arch = "x86_64"))]
#[inline(never)]
fn fsync_inner(ctx: &Ctx, file: &mut std::fs::File) -> u32 {
    std::io::Write::write_all(file, &[7; 4096]).unwrap();
    ctx.at(line!(), &*file).sync_all().unwrap();
    std::hint::black_box(1)
}

/// fsync may be too quick to catch: whatever the thread is caught in, the user's frames show.
#[test]
#[cfg(all(feature = "stacks", target_arch = "x86_64"))]
fn fsync_loop() {
    let path = std::env::temp_dir().join(format!("loopmon-fsync-{}", std::process::id()));
    let mut file = std::fs::File::create(&path).unwrap();
    let t = Blocked::spawn(move |ctx| {
        let _ = fsync_outer(ctx, &mut file);
    });
    let snap = t.inspect_until(|s| find(s, "fsync_outer").is_some());
    drop(t);
    let _ = std::fs::remove_file(&path);
    assert!(find(&snap, "fsync_outer").is_some(), "{snap}");
    // In `sync_all`, blocked in `fsync`; or, sampled by `cpu-stacks`, running the kernel's
    // part of it on the thread's CPU.
    if find(&snap, "fsync_inner") == Some(1)
        && api(&snap).contains("sync_all")
        && snap.activity != ThreadActivity::RunningOnCpu
    {
        assert_eq!(
            snap.activity,
            ThreadActivity::BlockingIo { syscall: "fsync" },
            "{snap}"
        );
    }
}

#[inline(never)]
fn recv_outer(ctx: &Ctx, rx: &mpsc::Receiver<u32>) -> u32 {
    recv_inner(ctx, rx) + std::hint::black_box(1)
}

#[inline(never)]
fn recv_inner(ctx: &Ctx, rx: &mpsc::Receiver<u32>) -> u32 {
    ctx.at(line!(), rx).recv().unwrap_or(0)
}

#[test]
fn channel_recv() {
    let (tx, rx) = mpsc::channel();
    let t = Blocked::spawn(move |ctx| {
        let _ = recv_outer(ctx, &rx);
    });
    let snap = t.inspect_until(|s| caught(s, "recv_inner", ThreadActivity::WaitingOnLock));
    drop(tx);
    assert_eq!(snap.activity, ThreadActivity::WaitingOnLock, "{snap}");
    if !has_stacks(&snap) {
        return;
    }
    assert!(api(&snap).contains("Receiver"), "{snap}");
    assert!(api(&snap).ends_with("::recv"), "{snap}");
    assert_user_frames(&snap, &["recv_inner", "recv_outer"], t.line());
}

#[inline(never)]
fn deep_one(ctx: &Ctx) -> u32 {
    let mut n = 0;
    while !ctx.stopped() {
        n += deep_two(ctx);
    }
    n
}

#[inline(never)]
fn deep_two(ctx: &Ctx) -> u32 {
    deep_three(ctx) + std::hint::black_box(1)
}

#[inline(never)]
fn deep_three(ctx: &Ctx) -> u32 {
    std::thread::sleep(ctx.at(line!(), Duration::from_millis(300)));
    std::hint::black_box(1)
}

#[test]
fn three_user_frames_deep() {
    let t = Blocked::spawn(|ctx| {
        let _ = deep_one(ctx);
    });
    let snap = t.inspect_until(|s| caught(s, "deep_three", ThreadActivity::Sleeping));
    assert_eq!(snap.activity, ThreadActivity::Sleeping, "{snap}");
    if !has_stacks(&snap) {
        return;
    }
    assert_user_frames(&snap, &["deep_three", "deep_two", "deep_one"], t.line());
    assert_eq!(find(&snap, "deep_three"), Some(1), "{snap}");
}

#[inline(never)]
fn spin(ctx: &Ctx) -> u64 {
    let mut n = 0u64;
    while !ctx.stopped() {
        n = std::hint::black_box(n.wrapping_mul(31).wrapping_add(7));
    }
    n
}

#[test]
fn spinning_thread_runs_on_the_cpu() {
    let t = Blocked::spawn(|ctx| {
        let _ = spin(ctx);
    });
    let snap = t.inspect_until(|s| s.activity == ThreadActivity::RunningOnCpu);
    assert_eq!(snap.activity, ThreadActivity::RunningOnCpu, "{snap}");
    if cfg!(all(feature = "cpu-stacks", target_arch = "x86_64")) {
        // Sampled by a signal: what the frames say is tested in `spinning.rs`.
        assert_eq!(snap.stack_missing, None, "{snap}");
        assert!(!snap.frames.is_empty());
        return;
    }
    assert_eq!(snap.stack_missing, Some(StackMissing::NotBlocked));
    assert!(snap.frames.is_empty());
    assert_eq!(snap.to_string(), "running on the CPU");
}

#[test]
fn missing_proc_gives_nothing() {
    let t = Blocked::spawn(|ctx| {
        let _ = sleep_outer(ctx);
    });
    assert_eq!(
        Inspector::with_proc_root("/nonexistent/proc").inspect(t.tid),
        None
    );
    // A task folder with a state but no readable syscall file: the state, no frames.
    let root = std::env::temp_dir().join(format!("loopmon-proc-{}", std::process::id()));
    let task = root.join("task").join(t.tid.to_string());
    std::fs::create_dir_all(&task).unwrap();
    std::fs::write(task.join("stat"), "42 (a) b) S 1 2 3").unwrap();
    let snap = Inspector::with_proc_root(&root).inspect(t.tid);
    let _ = std::fs::remove_dir_all(&root);
    let snap = snap.expect("a state");
    assert_eq!(snap.activity, ThreadActivity::Other { state: 'S' });
    assert_eq!(snap.stack_missing, Some(StackMissing::Unreadable));
    assert!(snap.frames.is_empty());
}

#[inline(never)]
fn load_user(ctx: &Ctx) -> u32 {
    std::thread::sleep(ctx.at(line!(), Duration::from_millis(200)));
    std::hint::black_box(2)
}

async fn handle_request(ctx: Arc<Ctx>) -> u32 {
    let mut n = 0;
    while !ctx.stopped() {
        n += load_user(&ctx);
        tokio::task::yield_now().await;
    }
    n
}

/// A task blocking a runtime thread: the frames end at the task's code, above tokio's.
#[test]
fn blocking_task_on_a_runtime() {
    let t = Blocked::spawn_arc(|ctx| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async move { tokio::spawn(handle_request(ctx)).await.unwrap() });
    });
    let snap = t.inspect_until(|s| caught(s, "load_user", ThreadActivity::Sleeping));
    assert_eq!(snap.activity, ThreadActivity::Sleeping, "{snap}");
    if !has_stacks(&snap) {
        return;
    }
    assert_user_frames(&snap, &["load_user"], t.line());
    let last = snap
        .frames
        .last()
        .and_then(|f| f.function.as_deref())
        .unwrap_or("");
    assert!(last.contains("handle_request"), "{snap}");
    assert!(
        snap.frames
            .iter()
            .all(|f| !format!("{f}").contains("tokio::")),
        "{snap}"
    );
}

/// A thread that leaves its stall while it is looked at gets no snapshot, wherever the
/// inspector notices: once its state is read, or once its stack is copied (before the slow
/// unwinding and symbolizing).
#[test]
fn a_thread_that_left_the_stall_gets_no_snapshot() {
    let t = Blocked::spawn(|ctx| {
        let _ = sleep_outer(ctx);
    });
    let _ = t.inspect_until(|s| s.activity == ThreadActivity::Sleeping);
    let mut inspector = Inspector::new();
    assert!(inspector.inspect_while(t.tid, &|| false).is_none());
    assert!(inspector.inspect_while(t.tid, &|| true).is_some());
    // Still stuck when its state is read, gone when its stack is copied. (Retried if the
    // thread happened to be between two sleeps, where there is no stack to copy.)
    for _ in 0..5 {
        let asked = AtomicU32::new(0);
        let snap = inspector.inspect_while(t.tid, &|| asked.fetch_add(1, Ordering::Relaxed) == 0);
        match asked.load(Ordering::Relaxed) {
            2 if STACKS => {
                assert!(snap.is_none(), "left before its stack was copied: {snap:?}");
                return;
            }
            1 if !STACKS => {
                assert!(snap.is_some(), "still stuck when it was read");
                return;
            }
            1 => std::thread::sleep(Duration::from_millis(20)),
            n => panic!("asked {n} times"),
        }
    }
    panic!("the sleeping thread's stack was never copied");
}
