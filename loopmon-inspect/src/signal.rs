//! The registers and stack bytes of a thread running on the CPU (feature `cpu-stacks`, Linux
//! x86_64 and aarch64), sampled by a real-time signal whose handler only copies.
//!
//! For a thread in state `R` the kernel gives no registers (`/proc/<tid>/syscall` reads
//! `running`): only code running on that thread can see where it is. [`capture`] sends the
//! thread a signal; the handler, on that thread, copies its registers from the signal context
//! and a bounded slice of its stack into a slot made before the signal was sent, and marks the
//! slot done through an atomic. The watchdog then unwinds, symbolizes and trims the copy as it
//! does a blocked thread's (`stacks.rs`).
//!
//! # What the handler does, and only that
//!
//! The interrupted thread may be anywhere: inside `malloc`, holding a lock, in the dynamic
//! loader. So the handler allocates nothing, takes no lock, formats nothing and unwinds
//! nothing. It reads the slot's state (an atomic), the thread's id (`gettid`), the registers
//! from the `ucontext` the kernel passes (x86_64: `rip`, `rsp`, `rbp`; aarch64: `pc`, `sp`,
//! `x29`, `x30`), and copies at most [`MAX_STACK`] bytes of its own stack, from the stack
//! pointer up to the end of the stack's mapping, with `pread` on `/proc/self/mem` (a system
//! call, async-signal-safe, which returns short at an unmapped page instead of faulting: even a
//! mapping changed since the watchdog read `/proc/self/maps` cannot crash the thread). `errno` is
//! saved and restored. The signal is installed without `SA_ONSTACK` (the handler runs on the
//! interrupted stack, below the frames it copies, which are suspended while it runs) and with
//! `SA_RESTART`, so that the user's interrupted system calls are restarted.
//!
//! # The slot, and why a late handler is harmless
//!
//! The slot is allocated once, at the first capture, and leaked: it lives as long as the
//! process, so a handler that runs late (the signal was blocked, then unblocked after the
//! watchdog gave up) never writes into freed memory. One atomic word holds its state, the
//! target thread's id and a generation number:
//!
//! - `IDLE` → `ARMED(gen, tid)`: the watchdog, having written the request (the stack
//!   mappings), then sends the signal with `tgkill`;
//! - `ARMED(gen, tid)` → `WRITING(gen, tid)`: the handler claims the slot with a
//!   compare-and-swap, only if the state is `ARMED` for its own thread id; a handler that finds
//!   anything else (idle, busy, armed for another thread) returns without touching it. (A late
//!   signal that finds a newer capture armed for its own thread answers it: with the thread's
//!   registers of that moment, a sample as good as the one asked for.);
//! - `WRITING` → `DONE`: the handler has written the registers and the bytes (release);
//! - `DONE` → `IDLE`: the watchdog has copied them out (it read `DONE` with acquire).
//!
//! A capture not done within [`WAIT`] (the thread exited, or blocks the signal) is abandoned
//! by a compare-and-swap `ARMED(gen)` → `IDLE`; if it fails, a handler is writing and is
//! waited for a little longer, and if it is still writing (the thread was stopped inside the
//! handler) the slot is left to it: the next capture takes it back once it reads `DONE`, and
//! reports the stack unavailable until then. The generation makes the watchdog wait for its
//! own capture's `DONE`, never an older one's. The request is written only while the slot is
//! `IDLE`, the reply read only once `DONE`: never both sides at once. Captures are serialized
//! by a lock, taken on the watchdog's side only.
//!
//! What remains is what any signal costs the thread: a few hundred bytes of its stack for the
//! handler's frame (besides the kernel's signal frame), so a thread within a few KiB of its
//! stack's end would overflow there, as it would with any signal; and a system call that
//! `SA_RESTART` does not restart (`nanosleep`, `epoll_wait`, ...) returns `EINTR`, which std
//! and tokio retry. Only threads found running on a CPU are signalled.
//!
//! # The signal
//!
//! The first of `SIGRTMIN` to `SIGRTMIN+7` whose disposition is the default (`SIG_DFL`, asked
//! with `sigaction` before installing): a signal the program handles (or ignores) is never
//! taken, and if all are, nothing is captured and the report says so
//! ([`StackMissing::NoSignal`]). It is installed at the first capture of a running thread:
//! until a stall finds a thread on the CPU, nothing is installed and nothing runs. Before each
//! capture the handler is checked to be still installed (a program that installs its own
//! handler on that signal later takes it back, and loopmon stops sending it).
//!
//! # `unsafe`
//!
//! This module is the only code of loopmon that uses `unsafe`: the workspace denies
//! `unsafe_code`, this module alone allows it (on its `mod` line in `inspect.rs`), and the
//! `loopmon` facade and `loopmon-macros` crates forbid it. Every block says why it is sound.

use super::proc::Mapping;
use super::StackMissing;
use std::cell::UnsafeCell;
use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

#[cfg(test)]
mod stress;
#[cfg(test)]
mod tests;

/// At most this much of the stack is copied, from the stack pointer up.
pub(super) const MAX_STACK: usize = 256 * 1024;
/// Stack mappings the handler looks the stack pointer up in, at most.
const MAX_RANGES: usize = 4096;
/// How long a capture waits for the handler before it is abandoned.
pub(super) const WAIT: Duration = Duration::from_millis(50);
/// The signals tried: `SIGRTMIN + 0..CANDIDATES`.
pub(super) const CANDIDATES: c_int = 8;

/// What the handler copied: the registers at the interruption and the stack from `sp` up.
#[derive(Debug)]
pub(super) struct Captured {
    pub(super) pc: u64,
    pub(super) sp: u64,
    /// The frame pointer: `rbp` on x86_64, `x29` on aarch64.
    pub(super) fp: u64,
    /// The link register (`x30`) on aarch64; 0 elsewhere.
    #[allow(dead_code)]
    pub(super) lr: u64,
    pub(super) stack: Vec<u8>,
    /// When the signal was sent.
    pub(super) sent: Instant,
    /// From the signal sent to the slot seen filled.
    pub(super) answered: Duration,
}

// The state word: tag in bits 0–1, thread id in bits 2–33, generation in bits 34–63.
const IDLE: u64 = 0;
const ARMED: u64 = 1;
const WRITING: u64 = 2;
const DONE: u64 = 3;

fn state(tag: u64, tid: u32, gen: u64) -> u64 {
    (gen << 34) | (u64::from(tid) << 2) | tag
}

fn retag(word: u64, tag: u64) -> u64 {
    (word & !3) | tag
}

#[derive(Debug, Clone, Copy, Default)]
struct Regs {
    pc: u64,
    sp: u64,
    fp: u64,
    lr: u64,
}

/// What the watchdog asks: written only while the slot is `IDLE`.
struct Request {
    /// `/proc/self/mem`, opened at the first capture and never closed.
    mem: c_int,
    /// The writable anonymous mappings (thread stacks among them), sorted, at most
    /// [`MAX_RANGES`] (the capacity is reserved once: the handler never sees it grow).
    ranges: Vec<(u64, u64)>,
}

/// What the handler answers: written only while the slot is `WRITING`.
struct Reply {
    regs: Regs,
    len: usize,
    /// [`MAX_STACK`] bytes.
    bytes: Box<[u8]>,
}

struct Slot {
    state: AtomicU64,
    request: UnsafeCell<Request>,
    reply: UnsafeCell<Reply>,
}

// SAFETY: `request` and `reply` are only accessed as the state word allows (see the module
// docs): the request by the watchdog while `IDLE` (under `CAPTURE`) and by the one handler that
// claimed the slot while `WRITING`; the reply by that handler while `WRITING` and by the
// watchdog once it has read `DONE` with acquire ordering. No two threads access either at once.
unsafe impl Sync for Slot {}

/// The slot, null until the first capture; then leaked: valid for the rest of the process.
static SLOT: AtomicPtr<Slot> = AtomicPtr::new(std::ptr::null_mut());
/// Serializes captures (watchdog side only); holds the last generation used.
static CAPTURE: Mutex<u64> = Mutex::new(0);
/// The signal installed, once tried: `None` if every candidate was taken.
static SIGNAL: OnceLock<Option<c_int>> = OnceLock::new();

/// The registers and stack of thread `tid` of this process, running on a CPU, copied by its
/// own signal handler; `maps` are the process's mappings, read just before. Waits up to
/// [`WAIT`] (a little more if the handler is midway).
pub(super) fn capture(tid: u32, maps: &[Mapping]) -> Result<Captured, StackMissing> {
    let mut generation = CAPTURE.lock().unwrap_or_else(|e| e.into_inner());
    let sig = signal().ok_or(StackMissing::NoSignal)?;
    if !is_ours(sig) {
        return Err(StackMissing::NoSignal);
    }
    let slot = slot().ok_or(StackMissing::Unreadable)?;
    let current = slot.state.load(Ordering::Acquire);
    match current & 3 {
        IDLE => {}
        // A capture given up on while its handler was writing, now done: take the slot back.
        DONE => slot.state.store(IDLE, Ordering::Relaxed),
        _ => return Err(StackMissing::Unanswered),
    }
    {
        // SAFETY: the slot is `IDLE`: no handler reads the request until it is `ARMED` below,
        // and other captures wait on `CAPTURE`.
        let request = unsafe { &mut *slot.request.get() };
        request.ranges.clear();
        let stacks = maps
            .iter()
            .filter(|m| m.writable && (m.path.is_empty() || m.path.starts_with("[stack")));
        request
            .ranges
            .extend(stacks.map(|m| (m.start, m.end)).take(MAX_RANGES));
    }
    *generation = (*generation + 1) & ((1 << 30) - 1);
    let armed = state(ARMED, tid, *generation);
    slot.state.store(armed, Ordering::Release);
    let sent = Instant::now();
    // SAFETY: plain system calls with integer arguments.
    let rc = unsafe { libc::syscall(libc::SYS_tgkill, libc::getpid(), tid as c_int, sig) };
    if rc != 0 {
        // No such thread (it exited), or the signal queue is full.
        let _ = slot
            .state
            .compare_exchange(armed, IDLE, Ordering::Relaxed, Ordering::Relaxed);
        return Err(StackMissing::Unanswered);
    }
    wait(slot, armed, sent)
}

/// Waits for the handler to fill the slot armed as `armed`, and copies its reply out.
fn wait(slot: &Slot, armed: u64, sent: Instant) -> Result<Captured, StackMissing> {
    let done = retag(armed, DONE);
    loop {
        let now = slot.state.load(Ordering::Acquire);
        if now == done {
            let answered = sent.elapsed();
            let captured = {
                // SAFETY: `DONE`, read with acquire: the handler has written the reply and no
                // longer touches it; no other capture runs (`CAPTURE`).
                let reply = unsafe { &*slot.reply.get() };
                Captured {
                    pc: reply.regs.pc,
                    sp: reply.regs.sp,
                    fp: reply.regs.fp,
                    lr: reply.regs.lr,
                    stack: reply.bytes[..reply.len.min(MAX_STACK)].to_vec(),
                    sent,
                    answered,
                }
            };
            slot.state.store(IDLE, Ordering::Release);
            return Ok(captured);
        }
        let waited = sent.elapsed();
        if waited > WAIT {
            let abandoned = now == armed
                && slot
                    .state
                    .compare_exchange(armed, IDLE, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok();
            // Not abandoned: a handler is writing. Waited for a while more, then left to it.
            if abandoned || waited > 2 * WAIT {
                return Err(StackMissing::Unanswered);
            }
        }
        if waited < Duration::from_millis(1) {
            std::thread::yield_now();
        } else {
            std::thread::sleep(Duration::from_micros(50));
        }
    }
}

/// The slot, made (and leaked) at the first call; `None` if `/proc/self/mem` cannot be opened.
fn slot() -> Option<&'static Slot> {
    // SAFETY: null, or a pointer from `Box::leak` below, never freed.
    if let Some(slot) = unsafe { SLOT.load(Ordering::Acquire).as_ref() } {
        return Some(slot);
    }
    let mem = std::fs::File::open("/proc/self/mem").ok()?;
    let slot = Box::leak(Box::new(Slot {
        state: AtomicU64::new(IDLE),
        request: UnsafeCell::new(Request {
            mem: std::os::fd::IntoRawFd::into_raw_fd(mem),
            ranges: Vec::with_capacity(MAX_RANGES),
        }),
        reply: UnsafeCell::new(Reply {
            regs: Regs::default(),
            len: 0,
            bytes: vec![0; MAX_STACK].into_boxed_slice(),
        }),
    }));
    // Only captures make the slot, one at a time (`CAPTURE`): nobody else stores it.
    SLOT.store(slot, Ordering::Release);
    Some(slot)
}

/// The signal number loopmon samples with, installing its handler on the first call; `None`
/// if every candidate is taken.
pub(super) fn signal() -> Option<c_int> {
    *SIGNAL.get_or_init(install)
}

/// Installs the handler on the first candidate whose disposition is the default.
fn install() -> Option<c_int> {
    let (min, max) = (libc::SIGRTMIN(), libc::SIGRTMAX());
    (min..=max.min(min + CANDIDATES - 1)).find(|&sig| {
        let Some(old) = disposition(sig) else {
            return false;
        };
        if old.sa_sigaction != libc::SIG_DFL {
            return false;
        }
        // SAFETY: an all-zero `sigaction` is a valid value (no handler, no flags, empty mask).
        let mut new: libc::sigaction = unsafe { std::mem::zeroed() };
        new.sa_sigaction = handler as *const () as libc::sighandler_t;
        new.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
        // SAFETY: `new` is a valid action whose handler has the `SA_SIGINFO` signature and is
        // async-signal-safe (see `handler`); the mask is empty.
        unsafe { libc::sigaction(sig, &new, std::ptr::null_mut()) == 0 }
    })
}

/// The current action for `sig`.
fn disposition(sig: c_int) -> Option<libc::sigaction> {
    // SAFETY: an all-zero `sigaction` is a valid value to be overwritten.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a null new action only reads the current one into `old`.
    let ok = unsafe { libc::sigaction(sig, std::ptr::null(), &mut old) } == 0;
    ok.then_some(old)
}

/// Whether loopmon's handler is still the one installed on `sig`.
pub(super) fn is_ours(sig: c_int) -> bool {
    disposition(sig).is_some_and(|a| a.sa_sigaction == handler as *const () as usize)
}

/// The signal handler: see the module docs for all it may do.
extern "C" fn handler(_sig: c_int, _info: *mut libc::siginfo_t, context: *mut c_void) {
    // SAFETY: `__errno_location` returns this thread's `errno`, valid for the thread's life.
    let errno = unsafe { *libc::__errno_location() };
    // SAFETY: null, or the leaked slot (see `slot`), valid for the rest of the process.
    if let Some(slot) = unsafe { SLOT.load(Ordering::Acquire).as_ref() } {
        answer(slot, context);
    }
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = errno };
}

/// The handler's work: claim the slot if it is armed for this thread, copy, mark it done.
fn answer(slot: &Slot, context: *mut c_void) {
    let armed = slot.state.load(Ordering::Acquire);
    if armed & 3 != ARMED || (armed >> 2) as u32 != own_tid() {
        return;
    }
    let writing = retag(armed, WRITING);
    if slot
        .state
        .compare_exchange(armed, writing, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        return;
    }
    {
        // SAFETY: this handler claimed the slot (`WRITING`): the watchdog reads neither part
        // until `DONE`, writes the request only while `IDLE`, and no other handler can claim
        // the slot; the acquire exchange makes the watchdog's request visible.
        let (request, reply) = unsafe { (&*slot.request.get(), &mut *slot.reply.get()) };
        // SAFETY: the kernel passes a `ucontext_t` as the third argument of an `SA_SIGINFO`
        // handler.
        let regs = unsafe { registers(context) };
        reply.regs = regs;
        let end = stack_end(&request.ranges, regs.sp);
        let len = end.saturating_sub(regs.sp).min(MAX_STACK as u64) as usize;
        reply.len = read_own(request.mem, regs.sp, &mut reply.bytes[..len.min(MAX_STACK)]);
    }
    slot.state.store(retag(armed, DONE), Ordering::Release);
}

/// This thread's id (the `gettid` system call: async-signal-safe, no libc state).
fn own_tid() -> u32 {
    // SAFETY: `gettid` takes no argument and cannot fail.
    unsafe { libc::syscall(libc::SYS_gettid) as u32 }
}

/// The end of the mapping in `ranges` (sorted) that holds `sp`; 0 if none does.
fn stack_end(ranges: &[(u64, u64)], sp: u64) -> u64 {
    let i = ranges.partition_point(|r| r.0 <= sp);
    match i.checked_sub(1).and_then(|i| ranges.get(i)) {
        Some(&(start, end)) if start <= sp && sp < end => end,
        _ => 0,
    }
}

/// Copies this process's memory at `addr` into `buf` with `pread` on `/proc/self/mem` (`mem`),
/// stopping early at an unreadable page; returns the bytes copied.
fn read_own(mem: c_int, addr: u64, buf: &mut [u8]) -> usize {
    let mut done = 0;
    while done < buf.len() {
        let rest = &mut buf[done..];
        // SAFETY: `rest` is valid for writes of `rest.len()` bytes; `pread` writes no more.
        let n = unsafe {
            libc::pread(
                mem,
                rest.as_mut_ptr().cast(),
                rest.len(),
                addr.wrapping_add(done as u64) as libc::off_t,
            )
        };
        if n > 0 {
            done += n as usize;
        } else if n == 0 {
            break;
        } else {
            // SAFETY: as in `handler`.
            if unsafe { *libc::__errno_location() } != libc::EINTR {
                break;
            }
        }
    }
    done
}

/// The interrupted registers, from the signal context.
///
/// # Safety
/// `context` must be the `ucontext_t` the kernel passed to an `SA_SIGINFO` handler.
#[cfg(target_arch = "x86_64")]
unsafe fn registers(context: *mut c_void) -> Regs {
    // SAFETY: the caller passes the kernel's `ucontext_t`, valid during the handler.
    let uc = unsafe { &*context.cast::<libc::ucontext_t>() };
    let gregs = &uc.uc_mcontext.gregs;
    Regs {
        pc: gregs[libc::REG_RIP as usize] as u64,
        sp: gregs[libc::REG_RSP as usize] as u64,
        fp: gregs[libc::REG_RBP as usize] as u64,
        lr: 0,
    }
}

/// The interrupted registers, from the signal context.
///
/// # Safety
/// `context` must be the `ucontext_t` the kernel passed to an `SA_SIGINFO` handler.
#[cfg(target_arch = "aarch64")]
unsafe fn registers(context: *mut c_void) -> Regs {
    // SAFETY: the caller passes the kernel's `ucontext_t`, valid during the handler.
    let uc = unsafe { &*context.cast::<libc::ucontext_t>() };
    let m = &uc.uc_mcontext;
    Regs {
        pc: m.pc,
        sp: m.sp,
        fp: m.regs[29],
        lr: m.regs[30],
    }
}
