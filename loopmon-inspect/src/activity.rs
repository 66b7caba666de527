//! [`ThreadActivity`]: what a thread is doing, in words.

use std::borrow::Cow;
use std::fmt;

/// What a thread is doing, from its kernel state and the system call it is blocked in.
///
/// Its `Display` is a short phrase: `sleeping`, `waiting on a lock`, `blocking I/O in read`,
/// `waiting on disk`, `running on the CPU`, `in syscall wait4`.
///
/// ```
/// use loopmon::ThreadActivity;
///
/// assert_eq!(ThreadActivity::WaitingOnLock.to_string(), "waiting on a lock");
/// assert_eq!(
///     ThreadActivity::BlockingIo { syscall: "recvfrom" }.to_string(),
///     "blocking I/O in recvfrom"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ThreadActivity {
    /// Asleep on a timer: `nanosleep`, `clock_nanosleep` (`std::thread::sleep`).
    Sleeping,
    /// Waiting on a `futex`: a contended lock, but also a condition variable, a channel's
    /// receive or a `thread::park`: anything that waits for another thread.
    WaitingOnLock,
    /// Blocked in a system call that waits for a file, a socket or a pipe (`read`, `write`,
    /// `recvfrom`, `accept4`, `connect`, `poll`, `epoll_wait`, `fsync`, `openat`, ...).
    BlockingIo {
        /// The system call's name.
        syscall: &'static str,
    },
    /// In uninterruptible sleep (state `D`) outside the I/O calls above: usually waiting for the
    /// disk, as in a page fault on a memory-mapped file.
    WaitingOnDisk,
    /// On a CPU, or ready to run: computing, spinning, or in a tight loop.
    RunningOnCpu,
    /// Blocked in another system call.
    InSyscall {
        /// The system call's name, or its number when it is not in loopmon's table.
        syscall: Cow<'static, str>,
    },
    /// Off the CPU but in no system call (for example stopped by a debugger: state `t`).
    Other {
        /// The kernel's state letter (`/proc/<pid>/task/<tid>/stat`, field 3).
        state: char,
    },
}

impl fmt::Display for ThreadActivity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ThreadActivity::Sleeping => f.write_str("sleeping"),
            ThreadActivity::WaitingOnLock => f.write_str("waiting on a lock"),
            ThreadActivity::BlockingIo { syscall } => write!(f, "blocking I/O in {syscall}"),
            ThreadActivity::WaitingOnDisk => f.write_str("waiting on disk"),
            ThreadActivity::RunningOnCpu => f.write_str("running on the CPU"),
            ThreadActivity::InSyscall { syscall } => write!(f, "in syscall {syscall}"),
            ThreadActivity::Other { state } => write!(f, "in state {state}"),
        }
    }
}

/// The system calls that wait for I/O.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
const BLOCKING_IO: &[&str] = &[
    "read",
    "write",
    "pread64",
    "pwrite64",
    "readv",
    "writev",
    "preadv",
    "pwritev",
    "preadv2",
    "pwritev2",
    "recvfrom",
    "recvmsg",
    "recvmmsg",
    "sendto",
    "sendmsg",
    "sendmmsg",
    "sendfile",
    "accept",
    "accept4",
    "connect",
    "poll",
    "ppoll",
    "select",
    "pselect6",
    "epoll_wait",
    "epoll_pwait",
    "epoll_pwait2",
    "fsync",
    "fdatasync",
    "sync_file_range",
    "sync",
    "syncfs",
    "open",
    "openat",
    "splice",
    "tee",
    "copy_file_range",
    "io_uring_enter",
    "io_getevents",
    "io_pgetevents",
    "flock",
    "fallocate",
    "ftruncate",
    "truncate",
];

/// What a thread in kernel state `state`, blocked in system call `syscall` (its name if known,
/// else its number) is doing. `None` for `syscall`: not in a system call.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub(super) fn classify(state: char, syscall: Option<Result<&'static str, u64>>) -> ThreadActivity {
    let name = match syscall {
        None if state == 'D' => return ThreadActivity::WaitingOnDisk,
        None => return ThreadActivity::Other { state },
        Some(Err(_)) if state == 'D' => return ThreadActivity::WaitingOnDisk,
        Some(Err(nr)) => {
            return ThreadActivity::InSyscall {
                syscall: Cow::Owned(nr.to_string()),
            }
        }
        Some(Ok(name)) => name,
    };
    match name {
        "nanosleep" | "clock_nanosleep" => ThreadActivity::Sleeping,
        "futex" | "futex_waitv" => ThreadActivity::WaitingOnLock,
        _ if BLOCKING_IO.contains(&name) => ThreadActivity::BlockingIo { syscall: name },
        _ if state == 'D' => ThreadActivity::WaitingOnDisk,
        _ => ThreadActivity::InSyscall {
            syscall: Cow::Borrowed(name),
        },
    }
}
