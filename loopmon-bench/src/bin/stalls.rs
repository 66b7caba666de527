//! Benchmark of the stall watchdog.
//!
//! ```text
//! cargo run --release -p loopmon-bench --bin stalls -- all
//! RUSTFLAGS="--cfg tokio_unstable" CARGO_TARGET_DIR=target/unstable \
//!     cargo run --release -p loopmon-bench --bin stalls -- hooks
//! ```
//!
//! - `latency [runs]`: a 2 s stall with a 100 ms threshold (10 ms and 100 ms intervals): when it
//!   is first reported after it began, and the error of the end report's duration; on
//!   current_thread (a spawned task), in `main`'s body on multi_thread, and for one stuck worker
//!   of two.
//! - `lengths [runs]`: the error of the end report's length (`Stall::elapsed` of `Ended`) for
//!   300 ms blocks starting at spread phases of the interval, at 10, 100 (the default) and
//!   250 ms intervals with a 100 ms threshold: a spawned task and a blocking synchronous
//!   callback on current_thread, `main`'s body, one and two stuck workers of two.
//! - `idle [secs]`: the watchdog thread's CPU time and wake-ups on an idle runtime, at default
//!   settings and at 10 ms / 100 ms.
//! - `tick [secs]`: whole-process CPU per probe tick at a 1 ms interval, watchdog off and on.
//! - `hooks`: the cost of loopmon's poll hooks per poll (needs `--cfg tokio_unstable`).
//! - `saturate [secs]`: false stalls on a saturated healthy runtime (4 × workers tasks doing
//!   50 µs polls), threshold 100 ms.
use loopmon::{SleepMonitor, Stall, StallKind};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const MS: Duration = Duration::from_millis(1);

type Log = Arc<Mutex<Vec<(Instant, Stall)>>>;

fn monitor(log: &Log, interval: Duration, threshold: Duration) -> SleepMonitor {
    builder(log, interval, threshold).build().unwrap()
}

/// A monitor's builder whose stall reports go into `log`, with when they came.
fn builder(log: &Log, interval: Duration, threshold: Duration) -> loopmon::Builder {
    let log = log.clone();
    SleepMonitor::builder()
        .interval(interval)
        .stall_threshold(threshold)
        .on_stall(move |s: &Stall| log.lock().unwrap().push((Instant::now(), s.clone())))
}

/// A runtime with loopmon's hooks, as the macros build it: stall reports know every worker.
fn multi_thread(workers: usize) -> tokio::runtime::Runtime {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    loopmon::install_hooks(&mut builder)
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap()
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Blocks the calling thread for `d`; returns when it began and how long it really lasted.
fn block(d: Duration) -> (Instant, Duration) {
    let start = Instant::now();
    std::thread::sleep(d);
    (start, start.elapsed())
}

#[derive(Clone, Copy)]
enum Where {
    CurrentThread,
    /// A synchronous callback that blocks, on current_thread.
    SyncCallback,
    MainBody,
    OneWorkerOfTwo,
    BothWorkers,
}

/// One 2 s stall: (first report latency, end report error), both in ms, and whether the first
/// report carried the stuck thread's frames. The stall begins at `phase` (0..1) of an interval
/// after a probe run.
fn one_stall(place: Where, interval: Duration, phase: f64) -> (f64, f64, bool) {
    let (log, start, real) = stall_in(place, interval, phase, 2000 * MS);
    let log = log.lock().unwrap();
    let first = log
        .iter()
        .find(|(_, s)| s.kind == StallKind::Started)
        .expect("stall reported");
    let end = log
        .iter()
        .find(|(_, s)| s.kind == StallKind::Ended)
        .expect("end reported");
    let ms = |d: f64| d * 1e3;
    let frames = first
        .1
        .snapshot
        .as_ref()
        .is_some_and(|s| !s.frames.is_empty());
    (
        ms(first.0.duration_since(start).as_secs_f64()),
        ms(end.1.elapsed.as_secs_f64() - real.as_secs_f64()),
        frames,
    )
}

/// Runs one stall of `stall` in `place` (threshold 100 ms), beginning at `phase` (0..1) of an
/// interval after a probe run; returns the reports, when the stall began and how long it lasted.
fn stall_in(
    place: Where,
    interval: Duration,
    phase: f64,
    stall: Duration,
) -> (Log, Instant, Duration) {
    let log = Log::default();
    let threshold = 100 * MS;
    let phase = interval.mul_f64(phase);
    let (start, real) = match place {
        Where::CurrentThread => {
            let rt = current_thread();
            rt.block_on(async {
                let h = monitor(&log, interval, threshold).start();
                tokio::time::sleep(3 * interval + phase).await;
                let r = tokio::spawn(async move { block(stall) }).await.unwrap();
                tokio::time::sleep(interval + 50 * MS).await;
                h.stop();
                r
            })
        }
        Where::SyncCallback => {
            // The callback runs right after the probe: the stall always begins at a tick, so
            // `phase` only delays the end of the run.
            let rt = current_thread();
            let real = Arc::new(Mutex::new(None));
            let seen = real.clone();
            let h = builder(&log, interval, threshold)
                .callback(move |s: &loopmon::Sample| {
                    let mut r = seen.lock().unwrap();
                    if s.tick >= 3 && r.is_none() {
                        *r = Some(block(stall));
                    }
                })
                .build()
                .unwrap();
            rt.block_on(async {
                let h = h.start();
                tokio::time::sleep(5 * interval + phase + stall + 50 * MS).await;
                h.stop();
            });
            let r = real.lock().unwrap().expect("the callback blocked");
            r
        }
        Where::MainBody => {
            let rt = multi_thread(2);
            let h = monitor(&log, interval, threshold).install(rt.handle());
            let r = rt.block_on(h.watch_block_on(async move {
                tokio::time::sleep(3 * interval + phase).await;
                let r = block(stall);
                tokio::time::sleep(interval + 50 * MS).await;
                r
            }));
            h.stop();
            r
        }
        Where::OneWorkerOfTwo | Where::BothWorkers => {
            let rt = multi_thread(2);
            let h = monitor(&log, interval, threshold).install(rt.handle());
            std::thread::sleep(3 * interval + phase);
            let other =
                matches!(place, Where::BothWorkers).then(|| rt.spawn(async move { block(stall) }));
            let r = rt.block_on(rt.spawn(async move { block(stall) })).unwrap();
            if let Some(other) = other {
                rt.block_on(other).unwrap();
            }
            std::thread::sleep(interval + 50 * MS);
            h.stop();
            r
        }
    };
    (log, start, real)
}

/// The end report's error for 300 ms stalls: `Stall::elapsed` of `Ended` minus the stall's
/// real length, at several intervals.
fn lengths(runs: usize) {
    println!("# end report's length minus the stall's real length, ms (300 ms stalls, threshold 100 ms, stall starting at evenly spread phases of the interval)");
    let stall = 300 * MS;
    for interval in [10 * MS, 100 * MS, 250 * MS] {
        for (name, place) in [
            ("current_thread task", Where::CurrentThread),
            ("current_thread sync callback", Where::SyncCallback),
            ("main body, multi_thread", Where::MainBody),
            ("1 stuck worker of 2", Where::OneWorkerOfTwo),
            ("2 stuck workers of 2", Where::BothWorkers),
        ] {
            let mut err = Vec::new();
            let mut missing = 0;
            for run in 0..runs {
                let (log, _, real) = stall_in(place, interval, run as f64 / runs as f64, stall);
                let log = log.lock().unwrap();
                let ends: Vec<f64> = log
                    .iter()
                    .filter(|(_, s)| s.kind == StallKind::Ended)
                    .map(|(_, s)| (s.elapsed.as_secs_f64() - real.as_secs_f64()) * 1e3)
                    .collect();
                if ends.is_empty() {
                    missing += 1;
                }
                err.extend(ends);
            }
            err.sort_by(f64::total_cmp);
            let n = err.len();
            let at = |i: usize| err.get(i).copied().unwrap_or(f64::NAN);
            println!(
                "interval {:>5?} {name:<29} end error ms: min {:+.1} median {:+.1} max {:+.1} | {n} end reports, {missing}/{runs} stalls without one",
                interval,
                at(0),
                at(n / 2),
                at(n.saturating_sub(1)),
            );
        }
    }
}

fn latency(runs: usize) {
    println!("# first report after the stall began / end report error (2 s stall, threshold 100 ms, stall starting at evenly spread phases of the interval)");
    // The process's first stall pays for parsing the binary's tables (the stack's symbols),
    // unless the watchdog parsed them ahead: each run in a fresh process.
    let places = [
        ("current_thread task", Where::CurrentThread),
        ("main body, multi_thread", Where::MainBody),
        ("1 stuck worker of 2", Where::OneWorkerOfTwo),
    ];
    for (i, (name, _)) in places.iter().enumerate() {
        let mut first = Vec::new();
        let mut stacks = 0;
        for run in 0..runs {
            let phase = run as f64 / runs as f64;
            let out = std::process::Command::new(std::env::current_exe().unwrap())
                .args(["cold", &i.to_string(), &phase.to_string()])
                .output()
                .expect("the benchmark runs itself in a child process");
            let out = String::from_utf8_lossy(&out.stdout);
            let mut words = out.split_whitespace();
            if let (Some(ms), Some(frames)) = (words.next(), words.next()) {
                first.push(ms.parse::<f64>().unwrap_or(f64::NAN));
                stacks += usize::from(frames == "true");
            }
        }
        first.sort_by(f64::total_cmp);
        let n = first.len().max(1);
        println!(
            "first stall of the process, interval 10ms, {name:<24} first report ms: min {:.1} median {:.1} max {:.1} | with stack {stacks}/{runs}",
            first.first().unwrap_or(&f64::NAN),
            first.get(n / 2).unwrap_or(&f64::NAN),
            first.last().unwrap_or(&f64::NAN),
        );
    }
    for interval in [10 * MS, 100 * MS] {
        for (name, place) in [
            ("current_thread task", Where::CurrentThread),
            ("main body, multi_thread", Where::MainBody),
            ("1 stuck worker of 2", Where::OneWorkerOfTwo),
            ("2 stuck workers of 2", Where::BothWorkers),
        ] {
            let results: Vec<(f64, f64, bool)> = (0..runs)
                .map(|run| one_stall(place, interval, run as f64 / runs as f64))
                .collect();
            let stacks = results.iter().filter(|r| r.2).count();
            let (mut first, mut err): (Vec<f64>, Vec<f64>) =
                results.iter().map(|r| (r.0, r.1)).unzip();
            first.sort_by(f64::total_cmp);
            err.sort_by(f64::total_cmp);
            println!(
                "interval {:>5?} {name:<24} first report ms: min {:.1} median {:.1} max {:.1} | end error ms: min {:+.1} max {:+.1} | with stack {stacks}/{runs}",
                interval,
                first[0],
                first[runs / 2],
                first[runs - 1],
                err[0],
                err[runs - 1],
            );
        }
    }
}

/// (CPU ns, wake-ups) of the watchdog thread, from `/proc/self/task/*/schedstat`.
fn watchdog_cpu() -> Option<(u64, u64)> {
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let path = task.ok()?.path();
        let comm = std::fs::read_to_string(path.join("comm")).ok()?;
        if comm.starts_with("loopmon-watchdo") {
            let stat = std::fs::read_to_string(path.join("schedstat")).ok()?;
            let f: Vec<u64> = stat
                .split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect();
            return Some((f[0], f[2]));
        }
    }
    None
}

/// CPU ns used by every thread of this process so far.
fn process_cpu() -> u64 {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// The probe's extra cost per tick with the watchdog on: whole-process CPU per tick at a 1 ms
/// interval, watchdog on and off, alternating runs, fastest of each.
fn tick(secs: u64) {
    println!(
        "# whole-process CPU per tick at a 1 ms interval, watchdog off / on (threshold 100 ms)"
    );
    for flavor in ["current_thread", "multi_thread(2)"] {
        let (mut off, mut on) = (f64::MAX, f64::MAX);
        for _ in 0..3 {
            for watchdog in [false, true] {
                let rt = if flavor == "current_thread" {
                    current_thread()
                } else {
                    multi_thread(2)
                };
                let h = SleepMonitor::builder()
                    .interval(MS)
                    .stall_threshold(100 * MS)
                    .stall_watchdog(watchdog)
                    .build()
                    .unwrap()
                    .install(rt.handle());
                let per_tick = rt.block_on(async {
                    tokio::time::sleep(100 * MS).await;
                    let (cpu, ticks) = (process_cpu(), h.ticks());
                    tokio::time::sleep(Duration::from_secs(secs)).await;
                    (process_cpu() - cpu) as f64 / (h.ticks() - ticks) as f64 / 1e3
                });
                h.stop();
                let best = if watchdog { &mut on } else { &mut off };
                *best = best.min(per_tick);
            }
        }
        println!("{flavor:<15} off {off:.2} µs per tick, on {on:.2} µs per tick");
    }
}

fn idle(secs: u64) {
    println!("# watchdog thread on an idle runtime, {secs} s each");
    let cases = [
        (
            "defaults (100 ms / 500 ms)",
            loopmon::DEFAULT_INTERVAL,
            loopmon::DEFAULT_STALL_THRESHOLD,
        ),
        ("interval 10 ms, threshold 100 ms", 10 * MS, 100 * MS),
    ];
    for (name, interval, threshold) in cases {
        for flavor in ["current_thread", "multi_thread(2)"] {
            let log = Log::default();
            let rt = if flavor == "current_thread" {
                current_thread()
            } else {
                multi_thread(2)
            };
            let h = monitor(&log, interval, threshold).install(rt.handle());
            let run = Duration::from_secs(secs);
            let (cpu, wakes) = rt.block_on(async {
                tokio::time::sleep(200 * MS).await;
                let before = watchdog_cpu().unwrap();
                tokio::time::sleep(run).await;
                let after = watchdog_cpu().unwrap();
                (after.0 - before.0, after.1 - before.1)
            });
            h.stop();
            assert!(log.lock().unwrap().is_empty(), "false stalls when idle");
            println!(
                "{name:<34} {flavor:<15} CPU {:.4} % of a core, {:.1} wake-ups/s, {:.1} µs per wake-up",
                cpu as f64 / run.as_nanos() as f64 * 100.0,
                wakes as f64 / secs as f64,
                cpu as f64 / wakes.max(1) as f64 / 1e3,
            );
        }
    }
}

/// ns per poll of a task that yields `n` times, on a current_thread runtime.
fn ns_per_poll(rt: &tokio::runtime::Runtime, n: u32) -> f64 {
    rt.block_on(async move {
        tokio::spawn(async move {
            let start = Instant::now();
            for _ in 0..n {
                tokio::task::yield_now().await;
            }
            start.elapsed().as_nanos() as f64 / f64::from(n)
        })
        .await
        .unwrap()
    })
}

fn hooks() {
    if !cfg!(tokio_unstable) {
        println!("# poll hooks: inactive; build with RUSTFLAGS=\"--cfg tokio_unstable\"");
        return;
    }
    let plain = current_thread();
    let mut builder = tokio::runtime::Builder::new_current_thread();
    loopmon::install_poll_hooks(&mut builder).enable_all();
    let hooked = builder.build().unwrap();
    // Alternating short runs; the fastest run of each is the least disturbed by the machine.
    let (n, runs) = (200_000, 40);
    let (mut a, mut b) = (f64::MAX, f64::MAX);
    for _ in 0..runs {
        a = a.min(ns_per_poll(&plain, n));
        b = b.min(ns_per_poll(&hooked, n));
    }
    println!(
        "# poll hooks: {a:.1} ns per poll without, {b:.1} ns with: {:.1} ns per poll (fastest of {runs} × {n} polls each)",
        b - a
    );
}

fn saturate(secs: u64) {
    let workers = 2;
    let log = Log::default();
    let rt = multi_thread(workers);
    let h = monitor(&log, 10 * MS, 100 * MS).install(rt.handle());
    let end = Instant::now() + Duration::from_secs(secs);
    let polls = rt.block_on(async move {
        let tasks: Vec<_> = (0..4 * workers)
            .map(|_| {
                tokio::spawn(async move {
                    let (mut polls, mut longest) = (0u64, Duration::ZERO);
                    while Instant::now() < end {
                        let poll = Instant::now();
                        while poll.elapsed() < Duration::from_micros(50) {
                            std::hint::spin_loop();
                        }
                        // Longer than 50 µs only if the OS took the CPU away mid-poll.
                        longest = longest.max(poll.elapsed());
                        polls += 1;
                        tokio::task::yield_now().await;
                    }
                    (polls, longest)
                })
            })
            .collect();
        let (mut sum, mut longest) = (0, Duration::ZERO);
        for t in tasks {
            let (polls, long) = t.await.unwrap();
            sum += polls;
            longest = longest.max(long);
        }
        (sum, longest)
    });
    let (polls, longest) = polls;
    h.stop();
    println!(
        "# saturated healthy runtime, {secs} s, {} tasks × 50 µs polls on {workers} workers ({polls} polls, longest poll in wall time {longest:?}, {} samples): {} false stalls",
        4 * workers,
        h.ticks(),
        log.lock().unwrap().len()
    );
    for (_, stall) in log.lock().unwrap().iter() {
        println!("  {stall}");
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize, default: u64| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(default);
    match args.get(1).map(String::as_str).unwrap_or("all") {
        "latency" => latency(arg(2, 5) as usize),
        "lengths" => lengths(arg(2, 10) as usize),
        "cold" => {
            // One stall, the process's first: `cold PLACE PHASE` (for `latency`).
            let place =
                [Where::CurrentThread, Where::MainBody, Where::OneWorkerOfTwo][arg(2, 0) as usize];
            let phase = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(0.0);
            let (first, _, frames) = one_stall(place, 10 * MS, phase);
            println!("{first:.1} {frames}");
        }
        "idle" => idle(arg(2, 10)),
        "hooks" => hooks(),
        "tick" => tick(arg(2, 3)),
        "saturate" => saturate(arg(2, 30)),
        "all" => {
            latency(5);
            lengths(10);
            idle(10);
            hooks();
            tick(3);
            saturate(30);
        }
        other => {
            eprintln!("unknown benchmark `{other}`: use latency, lengths, idle, tick, hooks, saturate or all")
        }
    }
}
