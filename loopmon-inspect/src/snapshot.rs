//! [`ThreadSnapshot`] and [`Frame`]: what a stuck thread is doing and where.

use super::ThreadActivity;
use std::fmt;

/// One frame of a thread's stack, symbolized.
///
/// Its `Display` reads `function (file:line)`, with whatever is known of these.
///
/// ```
/// use loopmon::Frame;
///
/// let mut frame = Frame::new(0x5555_5555_1234);
/// assert_eq!(frame.to_string(), "0x555555551234");
/// frame.function = Some("my_app::load_user".into());
/// frame.file = Some("src/db.rs".into());
/// frame.line = Some(42);
/// assert_eq!(frame.to_string(), "my_app::load_user (src/db.rs:42)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Frame {
    /// The function, demangled, without its hash (`my_app::load_user`,
    /// `<std::net::tcp::TcpStream as std::io::Read>::read`); `None` in a stripped binary.
    pub function: Option<String>,
    /// The source file, when the binary has line tables: relative to the working directory
    /// when it is below it, else from the crate's folder (`tokio-1.47.1/src/runtime/park.rs`,
    /// `std/src/thread/functions.rs`).
    pub file: Option<String>,
    /// The line in [`file`](Self::file).
    pub line: Option<u32>,
    /// The code address: the return address, or the program counter in the innermost frame.
    /// Inlined calls share their caller's address.
    pub address: u64,
}

impl Frame {
    /// A frame at `address` with nothing else known.
    pub fn new(address: u64) -> Frame {
        Frame {
            function: None,
            file: None,
            line: None,
            address,
        }
    }
}

impl fmt::Display for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.function {
            Some(name) => f.write_str(name)?,
            None => write!(f, "{:#x}", self.address)?,
        }
        match (&self.file, self.line) {
            (Some(file), Some(line)) => write!(f, " ({file}:{line})"),
            (Some(file), None) => write!(f, " ({file})"),
            _ => Ok(()),
        }
    }
}

/// Why a [`ThreadSnapshot`] has no frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StackMissing {
    /// The thread was on a CPU, or ready to run: the kernel gives the registers of blocked
    /// threads only (and a running thread's stack changes under the reader). With the
    /// `cpu-stacks` feature a thread on a CPU is sampled instead; one ready to run but
    /// waiting for a CPU still reads this.
    NotBlocked,
    /// Its registers or stack could not be read (no `/proc`, or a sandbox that hides it).
    Unreadable,
    /// The thread moved while its stack was being copied, on every try.
    Torn,
    /// The stack could not be unwound (no unwind tables for its code).
    NoUnwindInfo,
    /// The binary has no symbols (stripped).
    Stripped,
    /// Stacks are not read on this platform, or loopmon was built without its `stacks`
    /// feature.
    Unsupported,
    /// The thread was on a CPU and did not answer the signal that samples its stack in time
    /// (feature `cpu-stacks`): it exited, or blocks that signal.
    Unanswered,
    /// The thread was on a CPU, and the program handles every real-time signal loopmon may
    /// sample stacks with (`SIGRTMIN` to `SIGRTMIN+7`; feature `cpu-stacks`): loopmon never
    /// takes a signal the program handles.
    NoSignal,
}

impl fmt::Display for StackMissing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StackMissing::NotBlocked => "not blocked in the kernel",
            StackMissing::Unreadable => "its stack is unreadable",
            StackMissing::Torn => "it kept moving while its stack was read",
            StackMissing::NoUnwindInfo => "no unwind tables for its code",
            StackMissing::Stripped => "the binary is stripped",
            StackMissing::Unsupported => "stacks are not read on this platform",
            StackMissing::Unanswered => "it did not answer the signal that samples its stack",
            StackMissing::NoSignal => {
                "no free real-time signal to sample it (the program handles SIGRTMIN to SIGRTMIN+7)"
            }
        })
    }
}

/// What a stuck thread is doing and where: its activity and its stack, trimmed to the library
/// call it is blocked in and the user code that called it.
///
/// Its `Display` reads `activity in frame ← caller ← ...`, innermost first:
///
/// ```text
/// sleeping in std::thread::sleep ← my_app::load_user (src/db.rs:42) ← my_app::handle_get (src/cmd/get.rs:17)
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ThreadSnapshot {
    /// The thread's Linux id (`gettid`).
    pub tid: u32,
    /// What it is doing.
    pub activity: ThreadActivity,
    /// The frames that matter, innermost first: the library function the user's code called
    /// (e.g. `std::thread::sleep`), then up to four frames of the user's code, ending before the
    /// runtime's scheduler. Empty when [`stack_missing`](Self::stack_missing) says why.
    pub frames: Vec<Frame>,
    /// Why `frames` is empty, if it is.
    pub stack_missing: Option<StackMissing>,
}

impl ThreadSnapshot {
    /// A snapshot of thread `tid` doing `activity`, with no frames and no reason for their
    /// absence.
    ///
    /// For tests of your own stall callbacks; loopmon takes the snapshots it reports itself.
    ///
    /// ```
    /// use loopmon::{Frame, ThreadActivity, ThreadSnapshot};
    ///
    /// let mut snap = ThreadSnapshot::new(7, ThreadActivity::Sleeping);
    /// let mut frame = Frame::new(0x1234);
    /// frame.function = Some("std::thread::sleep".into());
    /// snap.frames.push(frame);
    /// assert_eq!(snap.to_string(), "sleeping in std::thread::sleep");
    /// ```
    pub fn new(tid: u32, activity: ThreadActivity) -> ThreadSnapshot {
        ThreadSnapshot {
            tid,
            activity,
            frames: Vec::new(),
            stack_missing: None,
        }
    }
}

impl fmt::Display for ThreadSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.activity)?;
        for (i, frame) in self.frames.iter().enumerate() {
            f.write_str(if i == 0 { " in " } else { " ← " })?;
            write!(f, "{frame}")?;
        }
        Ok(())
    }
}
