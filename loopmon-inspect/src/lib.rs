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

/// Whether this build reads stacks (the `stacks` feature, on Linux x86_64). Where it does not,
/// [`warm`] does nothing and a snapshot says why it has no stack.
pub const READS_STACKS: bool = cfg!(all(
    feature = "stacks",
    target_os = "linux",
    target_arch = "x86_64"
));

mod inspector;
mod tid;
pub use inspector::Inspector;
pub use tid::current_tid;

/// The inspector the stall watchdog uses, made at the first stall: its caches (the binaries'
/// parsed tables) then live as long as the process.
static SHARED: std::sync::Mutex<Option<Inspector>> = std::sync::Mutex::new(None);

/// What thread `tid` of this process, in a stall, is doing, and where, with the shared
/// inspector; `None` once `still_stuck` says the thread left the stall (see
/// [`Inspector::inspect_while`]). Allocates and takes a lock: for the watchdog, at a stall,
/// never per tick.
pub fn look_at(tid: u32, still_stuck: &dyn Fn() -> bool) -> Option<ThreadSnapshot> {
    let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    shared
        .get_or_insert_with(Inspector::new)
        .inspect_while(tid, still_stuck)
}

/// Parses the binaries' tables ahead of a stall that looks likely (on a thread the watchdog
/// starts for it), so that the first report's stack is not late by their parsing (about 30 ms
/// for an 11 MB release binary with line tables). Done at most once per process; a no-op where stacks are
/// not read.
pub fn warm() {
    let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    shared.get_or_insert_with(Inspector::new).warm();
}
