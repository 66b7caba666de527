//! Benchmark of loopmon's thread inspection: the stacks of blocked threads, read by loopmon from
//! inside the process, against gdb's (`thread apply all bt`) on the same threads.
//!
//! ```text
//! cargo run --release -p loopmon-bench --bin stacks [-- captures]
//! ```
//!
//! Six threads block (std sleep, a mutex held by another thread, a socket read without data, an
//! fsync loop, a std channel's recv, a sleep three user frames deep). For each, loopmon's user
//! frames (function and line) and gdb's are printed and compared; then the capture time with a
//! new inspector (cold: the binaries' tables parsed) and with a warm one (median of `captures`,
//! 50 by default), the capturing thread's CPU per warm capture, and the memory the parsed
//! tables hold (the process's RSS before and after the first capture).
//!
//! With `--features cpu-stacks`, then a thread spinning on the CPU three user frames deep,
//! sampled by loopmon's signal (see `stacks/spinning.rs`).
use std::hint::black_box;
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

#[cfg(feature = "cpu-stacks")]
#[path = "stacks/spinning.rs"]
mod spinning;
#[path = "stacks/user.rs"]
mod user;

type Inspect = Box<dyn FnMut(u32) -> Option<loopmon_core::ThreadSnapshot>>;

/// A user frame: the function's last name and its line.
type UserFrame = (String, Option<u32>);

/// Spawns `body` on a thread named `name`; returns its tid.
fn spawn<T>(name: &str, body: impl FnOnce() -> T + Send + 'static) -> u32 {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            tx.send(loopmon_core::__bench::current_tid().expect("Linux"))
                .unwrap();
            black_box(body());
        })
        .unwrap();
    rx.recv().unwrap()
}

/// The user frames among loopmon's frames.
fn ours(snap: &loopmon_core::ThreadSnapshot) -> Vec<UserFrame> {
    user_frames(&snap.frames)
}

/// The user frames among `frames`.
fn user_frames(frames: &[loopmon_core::Frame]) -> Vec<UserFrame> {
    let user = |f: &&loopmon_core::Frame| {
        f.function
            .as_deref()
            .is_some_and(|n| n.contains("::user::"))
    };
    frames
        .iter()
        .filter(user)
        .map(|f| (last(f.function.as_deref().unwrap()), f.line))
        .collect()
}

fn last(name: &str) -> String {
    name.rsplit("::").next().unwrap_or(name).to_owned()
}

/// gdb's user frames, by tid: `#3  0x… in stacks::user::sleep_inner () at …/user.rs:23`.
fn gdb() -> (Vec<(u32, Vec<UserFrame>)>, Duration) {
    let start = Instant::now();
    let out = Command::new("gdb")
        .args(["-batch", "-nx", "-p", &std::process::id().to_string()])
        .args(["-ex", "thread apply all bt"])
        .output();
    let took = start.elapsed();
    let Ok(out) = out else {
        eprintln!("gdb did not run: install it (apt-get install gdb) for the comparison");
        return (Vec::new(), took);
    };
    let mut threads: Vec<(u32, Vec<UserFrame>)> = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some(lwp) = line
            .strip_prefix("Thread ")
            .and_then(|l| l.split("(LWP ").nth(1))
        {
            let tid = lwp
                .split(')')
                .next()
                .and_then(|t| t.parse().ok())
                .unwrap_or(0);
            threads.push((tid, Vec::new()));
        } else if line.starts_with('#') && line.contains("::user::") {
            let body = line.split_once(" in ").map_or(line, |(_, b)| b);
            let body = body.split_once("  ").map_or(body, |(_, b)| b.trim_start());
            let name = body.split(" (").next().unwrap_or("");
            let line_no = line.rsplit(':').next().and_then(|l| l.trim().parse().ok());
            if let Some(t) = threads.last_mut() {
                t.1.push((last(name), line_no));
            }
        }
    }
    (threads, took)
}

/// The calling thread's CPU time (`schedstat` lags by up to a scheduler tick: too coarse).
#[allow(unsafe_code)]
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a valid constant.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime failed");
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn fmt(frames: &[UserFrame]) -> String {
    let f: Vec<String> = frames
        .iter()
        .map(|(n, l)| format!("{n}:{}", l.map_or("?".into(), |l| l.to_string())))
        .collect();
    f.join(" ← ")
}

fn main() {
    // Before anything is inspected: no signal handler of loopmon's.
    #[cfg(feature = "cpu-stacks")]
    let installed_at_start = spinning::handler_installed();
    let captures: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    let held = Arc::new(Mutex::new(0));
    let held2 = held.clone();
    let guard = held.lock().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (_tx, rx) = mpsc::channel();
    let path = std::env::temp_dir().join(format!("loopmon-bench-fsync-{}", std::process::id()));
    let file = std::fs::File::create(&path).unwrap();
    let threads = [
        ("sleep", spawn("sleep", || black_box(user::sleep_outer()))),
        (
            "mutex",
            spawn("mutex", move || black_box(user::lock_outer(&held2))),
        ),
        (
            "socket read",
            spawn("socket", move || {
                black_box(user::read_outer(TcpStream::connect(addr).unwrap()))
            }),
        ),
        (
            "fsync loop",
            spawn("fsync", move || black_box(user::fsync_outer(file))),
        ),
        (
            "channel recv",
            spawn("recv", move || black_box(user::recv_outer(&rx))),
        ),
        (
            "3 frames deep",
            spawn("deep", || black_box(user::deep_one())),
        ),
    ];
    let _server = listener.accept().unwrap();
    std::thread::sleep(Duration::from_millis(300));

    let rss_before = rss_kib();
    let mut warm: Inspect = Box::new(loopmon_core::__bench::inspector());
    let t = Instant::now();
    let first = warm(threads[0].1);
    let first_capture = t.elapsed();
    let rss_after = rss_kib();
    drop(first);

    let (gdb_threads, gdb_took) = gdb();
    println!("loopmon's thread inspection against gdb (`thread apply all bt`), {captures} warm captures each\n");
    println!("| pattern | loopmon's snapshot | loopmon user frames | gdb user frames | equal | cold ms | warm ms (median) | CPU µs / warm capture | captures with frames |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for (name, tid) in threads {
        let mut fresh: Inspect = Box::new(loopmon_core::__bench::inspector());
        let t = Instant::now();
        let cold_snap = fresh(tid);
        let cold = t.elapsed();
        drop(fresh);
        let mut times = Vec::with_capacity(captures);
        // The snapshot shown: the last with frames (the fsync loop is not always blocked).
        let mut snap = cold_snap;
        let mut with_frames = 0;
        let mut missing = std::collections::BTreeMap::<String, usize>::new();
        let cpu = thread_cpu_ns();
        for _ in 0..captures {
            let t = Instant::now();
            let s = warm(tid);
            times.push(t.elapsed());
            // Spaced out, as a watchdog's captures are: a tight loop would starve the threads.
            std::thread::sleep(Duration::from_millis(2));
            if let Some(why) = s.as_ref().and_then(|s| s.stack_missing) {
                *missing.entry(why.to_string()).or_insert(0) += 1;
            }
            if s.as_ref().is_some_and(|s| !s.frames.is_empty()) {
                with_frames += 1;
                snap = s;
            }
        }
        let cpu_us = (thread_cpu_ns() - cpu) as f64 / captures.max(1) as f64 / 1e3;
        times.sort();
        let median = times.get(times.len() / 2).copied().unwrap_or_default();
        let (shown, ours) = snap
            .as_ref()
            .map_or(("none".into(), Vec::new()), |s| (s.to_string(), ours(s)));
        let theirs = gdb_threads
            .iter()
            .find(|t| t.0 == tid)
            .map(|t| t.1.clone())
            .unwrap_or_default();
        // The fsync thread loops (write, fsync, write, …): gdb and loopmon look at it at
        // different moments, so its innermost line may differ; its functions may not.
        let moving = name == "fsync loop";
        let same_functions = !ours.is_empty()
            && ours.len() == theirs.len()
            && ours.iter().zip(&theirs).all(|(a, b)| a.0 == b.0);
        let equal = if ours == theirs {
            "yes"
        } else if moving && same_functions && ours[1..] == theirs[1..] {
            "yes (the loop's innermost line moves)"
        } else {
            "NO"
        };
        let why: Vec<String> = missing.iter().map(|(w, n)| format!("{n}: {w}")).collect();
        let why = if why.is_empty() {
            String::new()
        } else {
            format!(" ({})", why.join(", "))
        };
        println!(
            "| {name} | {shown} | {} | {} | {equal} | {:.1} | {:.2} | {cpu_us:.0} | {with_frames}/{captures}{why} |",
            fmt(&ours),
            fmt(&theirs),
            ms(cold),
            ms(median),
        );
    }
    println!(
        "\nfirst capture {:.1} ms; RSS {} KiB before it, {} KiB after (+{} KiB: the parsed tables); gdb took {:.0} ms",
        ms(first_capture),
        rss_before,
        rss_after,
        rss_after.saturating_sub(rss_before),
        ms(gdb_took),
    );
    #[cfg(feature = "cpu-stacks")]
    spinning::compare(captures, installed_at_start);
    #[cfg(not(feature = "cpu-stacks"))]
    println!("\n(a thread spinning on the CPU too: --features cpu-stacks)");
    let features = if cfg!(feature = "cpu-stacks") {
        " --features cpu-stacks"
    } else {
        ""
    };
    println!(
        "reproduce: cargo run --release -p loopmon-bench --bin stacks{features} -- {captures}"
    );
    drop(guard);
    let _ = std::fs::remove_file(&path);
    std::process::exit(0);
}
