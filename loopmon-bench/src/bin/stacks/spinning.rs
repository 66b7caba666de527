//! The `cpu-stacks` pattern: a thread spinning on the CPU three user frames deep, sampled by
//! loopmon's signal, against gdb's stack of the same thread; the latency from the signal sent
//! to the slot filled and to the frames ready, the capturing thread's CPU per capture, and
//! whether anything was installed before the first capture.

use super::*;

/// Whether a handler is installed on any signal loopmon may take (`SIGRTMIN` to `+7`).
#[allow(unsafe_code)]
pub(crate) fn handler_installed() -> bool {
    (libc::SIGRTMIN()..libc::SIGRTMIN() + 8).any(|sig| {
        // SAFETY: an all-zero `sigaction` is a valid value; a null new action only reads the
        // current one into it.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            libc::sigaction(sig, std::ptr::null(), &mut old) == 0
                && old.sa_sigaction != libc::SIG_DFL
        }
    })
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// The median and the maximum, in µs.
fn spread(mut times: Vec<Duration>) -> String {
    times.sort();
    match (times.get(times.len() / 2), times.last()) {
        (Some(median), Some(max)) => format!("{:.0} / {:.0}", us(*median), us(*max)),
        _ => "-".into(),
    }
}

/// Compares the spinning thread's stacks; `installed_at_start`: whether a handler was on
/// loopmon's signals when the benchmark started.
pub(crate) fn compare(captures: usize, installed_at_start: bool) {
    let tid = spawn("spin", || black_box(user::spin_outer()));
    std::thread::sleep(Duration::from_millis(200));
    let (gdb_threads, _) = gdb();
    let theirs = gdb_threads
        .iter()
        .find(|t| t.0 == tid)
        .map(|t| t.1.clone())
        .unwrap_or_default();

    // Cold: the first capture of the process installs the signal handler; a new sampler
    // parses the binaries' tables.
    let mut cold = loopmon_core::__bench::cpu_sampler();
    let t = Instant::now();
    let _ = cold(tid);
    let cold_ms = ms(t.elapsed());
    drop(cold);

    let mut sample = loopmon_core::__bench::cpu_sampler();
    let _ = sample(tid);
    let (mut answered, mut ready) = (Vec::new(), Vec::new());
    let mut missing = std::collections::BTreeMap::<String, usize>::new();
    let mut shown = Vec::new();
    let mut equal_runs = 0;
    let mut cpu = 0;
    for _ in 0..captures {
        let before = thread_cpu_ns();
        let result = sample(tid);
        cpu += thread_cpu_ns() - before;
        match result {
            Ok((a, r, frames)) => {
                answered.push(a);
                ready.push(r);
                let ours = user_frames(&frames);
                if same_functions(&ours, &theirs) {
                    equal_runs += 1;
                }
                shown = frames;
            }
            Err(why) => *missing.entry(why.to_string()).or_insert(0) += 1,
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let cpu_us = cpu as f64 / captures.max(1) as f64 / 1e3;

    // The watchdog's whole look: `/proc`, the CPU time check (2 ms), then the sample.
    let mut inspect = loopmon_core::__bench::inspector();
    let mut looks = Vec::new();
    let mut snapshot = None;
    for _ in 0..captures.min(20) {
        let t = Instant::now();
        snapshot = inspect(tid);
        looks.push(t.elapsed());
    }
    looks.sort();
    let look = looks.get(looks.len() / 2).copied().unwrap_or_default();

    let ours = user_frames(&shown);
    let equal = if same_functions(&ours, &theirs) {
        "yes (the innermost line moves)"
    } else {
        "NO"
    };
    let why: Vec<String> = missing.iter().map(|(w, n)| format!("{n}: {w}")).collect();
    println!("\nA thread spinning on the CPU, sampled by the `cpu-stacks` signal, {captures} warm captures\n");
    println!("| pattern | loopmon's snapshot | loopmon user frames | gdb user frames | equal | cold ms | signal → slot filled µs (median / max) | signal → frames ready µs (median / max) | CPU µs / capture | whole look ms (median) | captures with frames (same functions as gdb) |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| spinning | {} | {} | {} | {equal} | {cold_ms:.1} | {} | {} | {cpu_us:.0} | {:.2} | {}/{captures} ({equal_runs}){} |",
        snapshot.map_or("none".into(), |s| s.to_string()),
        fmt(&ours),
        fmt(&theirs),
        spread(answered),
        spread(ready),
        ms(look),
        captures - missing.values().sum::<usize>(),
        if why.is_empty() {
            String::new()
        } else {
            format!(" ({})", why.join(", "))
        },
    );
    println!(
        "\nsignal handler installed when the process started: {}; after the captures: {} \
         (installed at the first capture of a running thread)",
        if installed_at_start { "yes" } else { "no" },
        if handler_installed() { "yes" } else { "no" },
    );
}

/// The same functions, and the same lines but for the innermost frame's (the loop moves).
fn same_functions(ours: &[UserFrame], theirs: &[UserFrame]) -> bool {
    !ours.is_empty()
        && ours.len() == theirs.len()
        && ours.iter().zip(theirs).all(|(a, b)| a.0 == b.0)
        && ours[1..] == theirs[1..]
}
