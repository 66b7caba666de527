//! [`Inspector`]: what a thread of this process is doing, from `/proc`, and where, from its
//! stack; it keeps the parsed binaries between calls.

#[cfg(all(feature = "stacks", target_os = "linux", target_arch = "x86_64"))]
use crate::stacks::{self, NoStack};
#[cfg(all(feature = "stacks", target_os = "linux", target_arch = "x86_64"))]
use crate::trim;
use crate::ThreadSnapshot;
#[cfg(target_os = "linux")]
use crate::{activity, proc, syscalls, Frame, StackMissing, ThreadActivity};
use std::path::PathBuf;

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

impl Default for Inspector {
    fn default() -> Inspector {
        Inspector::new()
    }
}

impl Inspector {
    /// Loads the tables of every binary mapped in the process.
    pub(crate) fn warm(&mut self) {
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
    pub fn inspect(&mut self, tid: u32) -> Option<ThreadSnapshot> {
        self.inspect_while(tid, &|| true)
    }

    /// [`inspect`](Self::inspect), for a thread in a stall: `still_stuck` says whether it still
    /// is. It is asked once the thread's state is read, and again once its stack is copied,
    /// before the stack is unwound and symbolized (which, the first time, can take longer than
    /// the stall): `None` as soon as it says no, so that a snapshot describes the stall, not
    /// what the thread did next.
    #[cfg(target_os = "linux")]
    pub fn inspect_while(
        &mut self,
        tid: u32,
        still_stuck: &dyn Fn() -> bool,
    ) -> Option<ThreadSnapshot> {
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
        if !still_stuck() {
            return None;
        }
        let (frames, stack_missing) = match syscall {
            None => (Vec::new(), Some(StackMissing::Unreadable)),
            // On a CPU: sampled by a signal with `cpu-stacks`.
            Some(_) if running => self.running_stack(tid, still_stuck)?,
            // Runnable: the kernel gives the registers of blocked threads only.
            Some(proc::Syscall::Running) => (Vec::new(), Some(StackMissing::NotBlocked)),
            Some(first) => self.stack(&task, first, still_stuck)?,
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
    pub fn inspect_while(
        &mut self,
        tid: u32,
        still_stuck: &dyn Fn() -> bool,
    ) -> Option<ThreadSnapshot> {
        let _ = (tid, still_stuck, &self.root, &self.cwd);
        None
    }

    #[cfg(all(feature = "stacks", target_os = "linux", target_arch = "x86_64"))]
    fn stack(
        &mut self,
        task: &std::path::Path,
        first: proc::Syscall,
        still_stuck: &dyn Fn() -> bool,
    ) -> Option<(Vec<Frame>, Option<StackMissing>)> {
        let frames = self.stacks.frames(&self.root, task, first, still_stuck);
        self.trimmed(frames)
    }

    /// The stack of thread `tid`, running on a CPU: sampled by a signal (see `signal.rs`).
    #[cfg(all(feature = "cpu-stacks", target_os = "linux", target_arch = "x86_64"))]
    fn running_stack(
        &mut self,
        tid: u32,
        still_stuck: &dyn Fn() -> bool,
    ) -> Option<(Vec<Frame>, Option<StackMissing>)> {
        let frames = self.stacks.sampled(&self.root, tid, still_stuck);
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
        let (frames, answered, sent) = match self.stacks.sampled_timed(&self.root, tid, &|| true) {
            Ok(sampled) => sampled,
            Err(NoStack::Missing(missing)) => return Err(missing),
            Err(NoStack::Left) => unreachable!("asked with a thread that is always still stuck"),
        };
        match self.trimmed(Ok(frames)) {
            Some((frames, None)) => Ok((answered, sent.elapsed(), frames)),
            Some((_, Some(missing))) => Err(missing),
            None => unreachable!("the frames were given"),
        }
    }

    /// Without `cpu-stacks` (or on aarch64, where stacks are not unwound): the kernel gives
    /// the registers of blocked threads only.
    #[cfg(all(
        target_os = "linux",
        not(all(feature = "cpu-stacks", target_arch = "x86_64"))
    ))]
    fn running_stack(
        &mut self,
        _tid: u32,
        _still_stuck: &dyn Fn() -> bool,
    ) -> Option<(Vec<Frame>, Option<StackMissing>)> {
        let missing = if cfg!(feature = "cpu-stacks") {
            StackMissing::Unsupported
        } else {
            StackMissing::NotBlocked
        };
        Some((Vec::new(), Some(missing)))
    }

    #[cfg(all(feature = "stacks", target_os = "linux", target_arch = "x86_64"))]
    /// The frames trimmed, or why there are none; `None` if the thread left the stall.
    fn trimmed(
        &self,
        frames: Result<Vec<Frame>, NoStack>,
    ) -> Option<(Vec<Frame>, Option<StackMissing>)> {
        Some(match frames {
            Ok(frames) => match trim::trim(frames, self.cwd.as_deref()) {
                frames if frames.is_empty() => (frames, Some(StackMissing::Stripped)),
                frames => (frames, None),
            },
            Err(NoStack::Missing(missing)) => (Vec::new(), Some(missing)),
            Err(NoStack::Left) => return None,
        })
    }

    #[cfg(all(
        target_os = "linux",
        not(all(feature = "stacks", target_arch = "x86_64"))
    ))]
    fn stack(
        &mut self,
        _task: &std::path::Path,
        _first: proc::Syscall,
        _still_stuck: &dyn Fn() -> bool,
    ) -> Option<(Vec<Frame>, Option<StackMissing>)> {
        Some((Vec::new(), Some(StackMissing::Unsupported)))
    }
}
