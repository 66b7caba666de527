//! Soundness under stress: 10,000 captures of threads interrupted anywhere in allocation,
//! locking, thread creation and std I/O. Nothing may deadlock, crash, or come back corrupted:
//! every program counter lies in executable code, every stack pointer in the thread's own stack
//! mapping, and the copies unwind to frames that have names.

use super::*;
use crate::current_tid;
use std::io::{Read, Seek, Write};
use std::sync::atomic::AtomicBool;
use std::sync::{mpsc, Arc, RwLock};

const CAPTURES: usize = 10_000;
/// The test fails (the process aborts) rather than hang past this.
const DEADLINE: Duration = Duration::from_secs(120);

/// A stressed thread: its tid, its stack mapping, the function its work runs in.
struct Target {
    tid: u32,
    stack: (u64, u64),
    body: &'static str,
}

fn read_maps() -> Vec<Mapping> {
    crate::proc::maps(std::path::Path::new("/proc/self")).expect("Linux")
}

/// Spawns `work` in a loop until `stop`; returns the thread's tid and stack mapping.
fn stressed(
    stop: &Arc<AtomicBool>,
    body: &'static str,
    work: fn(&AtomicBool),
) -> (Target, std::thread::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel();
    let stop = stop.clone();
    let thread = std::thread::spawn(move || {
        let local = 0u8;
        let here = std::hint::black_box(&local) as *const u8 as u64;
        tx.send((current_tid().expect("tid"), here)).unwrap();
        work(&stop);
    });
    let (tid, here) = rx.recv().unwrap();
    let stack = read_maps()
        .into_iter()
        .find(|m| m.contains(here))
        .map(|m| (m.start, m.end))
        .expect("the stack is mapped");
    (Target { tid, stack, body }, thread)
}

/// The stressed threads' loop: each round allocates and frees, takes and releases locks the
/// other thread takes too, writes and reads a file, and every few rounds spawns and joins a
/// thread. Two such threads keep the 2 CPUs of a CI runner busy without starving the capture.
#[inline(never)]
fn churning(stop: &AtomicBool) {
    let path = std::env::temp_dir().join(format!(
        "loopmon-stress-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let mut file = std::fs::File::options()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let mut n = 0usize;
    while !stop.load(Ordering::Relaxed) {
        n = n.wrapping_add(1);
        allocating(n);
        locking();
        writing(&mut file, &mut buf);
        if n % 128 == 0 {
            spawning();
        }
    }
    let _ = std::fs::remove_file(path);
}

#[inline(never)]
fn allocating(n: usize) {
    for i in 0..32 {
        // Small and medium blocks, and now and then one big enough for its own `mmap`.
        let size = if (n + i) % 64 == 0 {
            300_000
        } else {
            16 + (n * 8 + i) % 4096
        };
        let v: Vec<u8> = std::hint::black_box(vec![n as u8; size]);
        let s = std::hint::black_box(format!("{n}{}", v.len()));
        drop((v, s));
    }
}

static SHARED: Mutex<u64> = Mutex::new(0);
static TABLE: RwLock<u64> = RwLock::new(0);

#[inline(never)]
fn locking() {
    for _ in 0..8 {
        *SHARED.lock().unwrap() += 1;
        let _ = std::hint::black_box(*TABLE.read().unwrap());
        *TABLE.write().unwrap() += 1;
    }
}

#[inline(never)]
fn spawning() {
    let child = std::thread::spawn(|| {
        *SHARED.lock().unwrap() += 1;
        std::hint::black_box(vec![1u8; 1000]).len()
    });
    let _ = child.join();
}

#[inline(never)]
fn writing(file: &mut std::fs::File, buf: &mut [u8]) {
    file.rewind().unwrap();
    file.write_all(buf).unwrap();
    file.rewind().unwrap();
    file.read_exact(buf).unwrap();
    let _ = std::io::sink().write(buf);
}

#[test]
fn ten_thousand_captures_of_threads_interrupted_anywhere() {
    let finished = Arc::new(AtomicBool::new(false));
    let f = finished.clone();
    std::thread::spawn(move || {
        std::thread::sleep(DEADLINE);
        if !f.load(Ordering::Relaxed) {
            eprintln!("the stress test did not finish in {DEADLINE:?}: deadlock?");
            std::process::abort();
        }
    });
    let stop = Arc::new(AtomicBool::new(false));
    let (targets, threads): (Vec<Target>, Vec<_>) = (0..2)
        .map(|_| stressed(&stop, "churning", churning))
        .unzip();
    #[cfg(target_arch = "x86_64")]
    let mut stacks = super::super::stacks::Stacks::default();
    // Frames are unwound on x86_64 only.
    #[cfg_attr(not(target_arch = "x86_64"), allow(unused_mut))]
    let (mut answered, mut named, mut unwound) = (0, 0, 0);
    let start = Instant::now();
    let mut maps = read_maps();
    for i in 0..CAPTURES {
        if i % 100 == 0 {
            maps = read_maps();
        }
        let target = &targets[i % targets.len()];
        let Ok(c) = capture(target.tid, &maps) else {
            continue;
        };
        answered += 1;
        assert!(
            maps.iter().any(|m| m.executable && m.contains(c.pc)),
            "pc {:#x} outside code",
            c.pc
        );
        let (lo, hi) = target.stack;
        assert!(
            lo <= c.sp && c.sp < hi,
            "sp {:#x} outside {lo:#x}..{hi:#x}",
            c.sp
        );
        assert!(!c.stack.is_empty() && c.stack.len() as u64 <= hi - c.sp);
        #[cfg(target_arch = "x86_64")]
        if i % 20 == 0 {
            let root = std::path::Path::new("/proc/self");
            let stack = super::super::unwind::Stack {
                base: c.sp,
                bytes: c.stack,
            };
            if let Ok(frames) = stacks.unwound(root, &maps, &stack, c.pc, Some(c.fp)) {
                unwound += 1;
                let has = |name: &str| {
                    frames
                        .iter()
                        .any(|f| f.function.as_deref().is_some_and(|n| n.ends_with(name)))
                };
                if has(&format!("::{}", target.body)) {
                    named += 1;
                }
            }
        }
    }
    let took = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    finished.store(true, Ordering::Relaxed);
    eprintln!(
        "{answered} of {CAPTURES} captures answered in {took:?}; \
         {named} of {unwound} unwound samples reach the thread's function"
    );
    // A thread that does not get a CPU within 50 ms (a loaded machine) goes unanswered, rarely.
    assert!(answered >= CAPTURES * 99 / 100, "{answered} answered");
    if cfg!(target_arch = "x86_64") {
        let sampled = CAPTURES / 20;
        assert!(
            unwound >= sampled * 9 / 10,
            "{unwound} of {sampled} unwound"
        );
        assert!(named >= unwound * 9 / 10, "{named} of {unwound} named");
    }
}
