//! Thread inspection for [loopmon](https://docs.rs/loopmon): what a stuck thread of this
//! process is doing, and where, read from the outside while it is stuck, without stopping it
//! and, but for `cpu-stacks`, without `unsafe`. loopmon's stall watchdog uses it; use it
//! through the `loopmon` crate, which re-exports its types.
//!
//! ```
//! # #[cfg(target_os = "linux")] {
//! let tid = loopmon_inspect::current_tid().expect("Linux with /proc");
//! let snapshot = loopmon_inspect::Inspector::new().inspect(tid).expect("a thread of ours");
//! assert_eq!(snapshot.tid, tid);
//! # }
//! ```
//!
//! On Linux, from `/proc/self/task/<tid>/`: the state (`stat`), the CPU time (`schedstat`) and
//! the system call with the user-space stack pointer and program counter (`syscall`) give the
//! [`ThreadActivity`]. With the `stacks` feature, on x86_64, the thread's stack is then copied
//! through `/proc/self/mem` (at most 256 KiB, or up to the end of its mapping), unwound with the
//! binaries' unwind tables, symbolized and trimmed (see `trim.rs` for the rule). The copy is
//! kept only if `syscall` reads the same after it (else it is retried twice, then reported
//! torn). A thread running on a CPU gives no registers there: with the `cpu-stacks` feature its
//! registers and stack are copied by a signal handler instead (`signal.rs`, the one module with
//! `unsafe`), then unwound, symbolized and trimmed the same way. Elsewhere, or when `/proc` is
//! missing or hidden, there is nothing to read: `None`.
//!
//! Nothing here runs or allocates until a stall is likely. The first stack costs the parsing
//! of the binaries' tables, cached by the [`Inspector`] (measured by `loopmon-bench`'s `stacks`:
//! about 30 ms and 15 MB for an 11 MB release binary with line tables; about 0.2 s and 25 MB
//! for its 21 MB debug build, whose readers are unoptimized); later ones take 0.1–0.3 ms (1–2
//! ms in the debug build). So that the first report is not late by that parsing, loopmon's
//! watchdog calls [`warm`] as soon as a thread has been unresponsive for half the stall
//! threshold.
//!
//! This crate has no tokio in it (it names tokio's functions only to trim its frames), so that
//! a user's build compiles it while it compiles tokio.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod activity;
#[cfg(all(feature = "stacks", target_os = "linux", target_arch = "x86_64"))]
mod bytes;
mod snapshot;
#[cfg_attr(
    not(all(feature = "stacks", target_os = "linux", target_arch = "x86_64")),
    allow(dead_code)
)]
mod trim;

#[cfg(target_os = "linux")]
mod proc;
#[cfg(target_os = "linux")]
mod syscalls;

#[cfg(all(feature = "stacks", target_os = "linux", target_arch = "x86_64"))]
mod cfi;
#[cfg(all(feature = "stacks", target_os = "linux", target_arch = "x86_64"))]
mod dwarf;
#[cfg(all(feature = "stacks", target_os = "linux", target_arch = "x86_64"))]
mod elf;
#[cfg(all(feature = "stacks", target_os = "linux", target_arch = "x86_64"))]
mod modules;
#[cfg(all(feature = "stacks", target_os = "linux", target_arch = "x86_64"))]
mod stacks;
#[cfg(all(feature = "stacks", target_os = "linux", target_arch = "x86_64"))]
mod symbols;
#[cfg(all(feature = "stacks", target_os = "linux", target_arch = "x86_64"))]
mod unwind;

// The only module allowed `unsafe` (the workspace denies it): a signal handler that copies a
// running thread's registers and stack. See its docs.
#[cfg(all(
    feature = "cpu-stacks",
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
#[allow(unsafe_code)]
mod signal;

#[cfg(all(test, target_os = "linux"))]
mod tests;

pub use activity::ThreadActivity;
pub use snapshot::{Frame, StackMissing, ThreadSnapshot};

use std::path::PathBuf;

mod tid;
pub use tid::current_tid;

/// The name of system call `nr`, which thread `task` is blocked in (its number if unknown).
///
/// A sleep or a wait interrupted by a stop (a debugger, `SIGSTOP`) goes on in
/// `restart_syscall`: the kernel's wait function (`wchan`) tells which.
#[cfg(target_os = "linux")]
fn name(nr: u64, task: &std::path::Path) -> Result<&'static str, u64> {
    let name = syscalls::name(nr).ok_or(nr)?;
    if name != "restart_syscall" {
        return Ok(name);
    }
    Ok(waiting_in(task).unwrap_or(name))
}

/// The system call that thread `task` waits in, told by the kernel's wait function (`wchan`):
/// only the sleeps and the futex waits.
#[cfg(target_os = "linux")]
fn waiting_in(task: &std::path::Path) -> Option<&'static str> {
    match proc::wchan(task)? {
        w if w.contains("nanosleep") => Some("clock_nanosleep"),
        w if w.contains("futex") => Some("futex"),
        _ => None,
    }
}

/// Inspects threads of this process. Holds the parsed binaries between calls: keep one, on
/// the thread that inspects (the watchdog).
#[derive(Debug)]
pub struct Inspector {
    /// `/proc/self`, or another folder laid out the same way (tests).
    root: PathBuf,
    /// Shortens the file paths of frames below it.
    #[cfg_attr(not(all(feature = "stacks", target_arch = "x86_64")), allow(dead_code))]
    cwd: Option<PathBuf>,
    #[cfg(all(feature = "stacks", target_os = "linux", target_arch = "x86_64"))]
    stacks: stacks::Stacks,
}

/// The inspector the stall watchdog uses, made at the first stall: its caches (the binaries'
/// parsed tables) then live as long as the process.
static SHARED: std::sync::Mutex<Option<Inspector>> = std::sync::Mutex::new(None);

/// What thread `tid` of this process is doing, and where, with the shared inspector. Allocates
/// and takes a lock: for the watchdog, at a stall, never per tick.
pub fn look_at(tid: u32) -> Option<ThreadSnapshot> {
    let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    shared.get_or_insert_with(Inspector::new).inspect(tid)
}

/// Parses the binaries' tables ahead of a stall that looks likely (on a thread the watchdog
/// starts for it), so that the first report's stack is not late by their parsing (30–60 ms for
/// a 10 MB binary with line tables). Done at most once per process; a no-op where stacks are
/// not read.
pub fn warm() {
    let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    shared.get_or_insert_with(Inspector::new).warm();
}

impl Default for Inspector {
    fn default() -> Inspector {
        Inspector::new()
    }
}

impl Inspector {
    /// Loads the tables of every binary mapped in the process.
    fn warm(&mut self) {
        #[cfg(all(feature = "stacks", target_os = "linux", target_arch = "x86_64"))]
        self.stacks.warm(&self.root);
    }

    /// An inspector of this process's threads.
    pub fn new() -> Inspector {
        Inspector::with_proc_root("/proc/self")
    }

    /// An inspector reading `root` as it would `/proc/self`.
    pub(crate) fn with_proc_root(root: impl Into<PathBuf>) -> Inspector {
        Inspector {
            root: root.into(),
            cwd: std::env::current_dir().ok(),
            #[cfg(all(feature = "stacks", target_os = "linux", target_arch = "x86_64"))]
            stacks: stacks::Stacks::default(),
        }
    }

    /// What thread `tid` of this process is doing, and where. `None` if it cannot be told
    /// (no `/proc`, not Linux, no such thread). Never panics.
    ///
    /// A thread found in state `R` is read twice, 2 ms apart, to see its CPU time grow; one
    /// whose CPU time stays put is waiting for a CPU, and is told by what it last waited on.
    #[cfg(target_os = "linux")]
    pub fn inspect(&mut self, tid: u32) -> Option<ThreadSnapshot> {
        use std::time::Duration;
        let task = self.root.join("task").join(tid.to_string());
        let mut state = proc::state(&task)?;
        let mut syscall = proc::syscall(&task);
        // The kernel answers `running` while the thread changes state: a thread whose state says
        // it is blocked is read again.
        for _ in 0..3 {
            if state == 'R' || syscall != Some(proc::Syscall::Running) {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
            state = proc::state(&task)?;
            syscall = proc::syscall(&task);
        }
        // State `R` is also a thread woken but waiting for a CPU (the kernel then answers
        // `running` too): only one whose CPU time grows is running. One with no wait to tell
        // (not woken from a sleep or a lock) is computing: it is watched a while longer (up to
        // 20 ms), as its CPU time (`schedstat`) is only brought up to date at the scheduler's
        // tick (every 4 ms at 250 Hz) or when it is preempted, for its next time slice on a
        // loaded machine.
        let running = state == 'R' && {
            let before = proc::cpu_ns(&task);
            let grows = |ms| {
                std::thread::sleep(Duration::from_millis(ms));
                proc::cpu_ns(&task) > before
            };
            grows(2)
                || (syscall == Some(proc::Syscall::Running)
                    && waiting_in(&task).is_none()
                    && (0..9).any(|_| grows(2)))
        };
        let activity = if running {
            ThreadActivity::RunningOnCpu
        } else {
            let syscall = match syscall {
                Some(proc::Syscall::In { nr, .. }) => Some(name(nr, &task)),
                Some(proc::Syscall::Running) => waiting_in(&task).map(Ok),
                _ => None,
            };
            activity::classify(state, syscall)
        };
        let (frames, stack_missing) = match syscall {
            None => (Vec::new(), Some(StackMissing::Unreadable)),
            // On a CPU: sampled by a signal with `cpu-stacks`.
            Some(_) if running => self.running_stack(tid),
            // Runnable: the kernel gives the registers of blocked threads only.
            Some(proc::Syscall::Running) => (Vec::new(), Some(StackMissing::NotBlocked)),
            Some(first) => self.stack(&task, first),
        };
        Some(ThreadSnapshot {
            tid,
            activity,
            frames,
            stack_missing,
        })
    }

    /// Without `/proc`: nothing to tell.
    #[cfg(not(target_os = "linux"))]
    pub fn inspect(&mut self, tid: u32) -> Option<ThreadSnapshot> {
        let _ = (tid, &self.root, &self.cwd);
        None
    }

    #[cfg(all(feature = "stacks", target_os = "linux", target_arch = "x86_64"))]
    fn stack(
        &mut self,
        task: &std::path::Path,
        first: proc::Syscall,
    ) -> (Vec<Frame>, Option<StackMissing>) {
        let frames = self.stacks.frames(&self.root, task, first);
        self.trimmed(frames)
    }

    /// The stack of thread `tid`, running on a CPU: sampled by a signal (see `signal.rs`).
    #[cfg(all(feature = "cpu-stacks", target_os = "linux", target_arch = "x86_64"))]
    fn running_stack(&mut self, tid: u32) -> (Vec<Frame>, Option<StackMissing>) {
        let frames = self.stacks.sampled(&self.root, tid);
        self.trimmed(frames)
    }

    /// For loopmon's benchmark: samples thread `tid`, running on a CPU, by signal. Returns the time
    /// from the signal sent to the slot seen filled, and to the trimmed frames ready.
    #[cfg(all(feature = "cpu-stacks", target_os = "linux", target_arch = "x86_64"))]
    #[doc(hidden)]
    pub fn sample_timed(
        &mut self,
        tid: u32,
    ) -> Result<(std::time::Duration, std::time::Duration, Vec<Frame>), StackMissing> {
        let (frames, answered, sent) = self.stacks.sampled_timed(&self.root, tid)?;
        let (frames, missing) = self.trimmed(Ok(frames));
        match missing {
            Some(missing) => Err(missing),
            None => Ok((answered, sent.elapsed(), frames)),
        }
    }

    /// Without `cpu-stacks` (or on aarch64, where stacks are not unwound): the kernel gives
    /// the registers of blocked threads only.
    #[cfg(all(
        target_os = "linux",
        not(all(feature = "cpu-stacks", target_arch = "x86_64"))
    ))]
    fn running_stack(&mut self, _tid: u32) -> (Vec<Frame>, Option<StackMissing>) {
        let missing = if cfg!(feature = "cpu-stacks") {
            StackMissing::Unsupported
        } else {
            StackMissing::NotBlocked
        };
        (Vec::new(), Some(missing))
    }

    #[cfg(all(feature = "stacks", target_os = "linux", target_arch = "x86_64"))]
    fn trimmed(
        &self,
        frames: Result<Vec<Frame>, StackMissing>,
    ) -> (Vec<Frame>, Option<StackMissing>) {
        match frames {
            Ok(frames) => match trim::trim(frames, self.cwd.as_deref()) {
                frames if frames.is_empty() => (frames, Some(StackMissing::Stripped)),
                frames => (frames, None),
            },
            Err(missing) => (Vec::new(), Some(missing)),
        }
    }

    #[cfg(all(
        target_os = "linux",
        not(all(feature = "stacks", target_arch = "x86_64"))
    ))]
    fn stack(
        &mut self,
        _task: &std::path::Path,
        _first: proc::Syscall,
    ) -> (Vec<Frame>, Option<StackMissing>) {
        (Vec::new(), Some(StackMissing::Unsupported))
    }
}
