//! A thread's stack, unwound and symbolized: a blocked thread's copied through `/proc` and
//! checked untorn; with `cpu-stacks`, a running thread's as its signal handler copied it.

use super::modules::Modules;
use super::proc::{self, Mapping, Syscall};
use super::unwind::{self, Stack};
use super::{symbols, Frame, StackMissing};
use std::path::Path;

/// At most this much of the stack is copied, from the stack pointer up.
const MAX_STACK: u64 = 256 * 1024;
/// Copies made before the stack is reported torn.
const TRIES: usize = 3;
/// Samples of a running thread taken before its stack is reported unavailable.
#[cfg(feature = "cpu-stacks")]
const SAMPLES: usize = 16;

/// Why a stack is not given.
pub(super) enum NoStack {
    /// It could not be read: the report says why.
    Missing(StackMissing),
    /// The thread left the stall being reported before its stack was copied: its stack now
    /// would describe what it did next.
    Left,
}

impl From<StackMissing> for NoStack {
    fn from(missing: StackMissing) -> NoStack {
        NoStack::Missing(missing)
    }
}

/// What is kept between inspections: the parsed binaries.
#[derive(Default)]
pub(super) struct Stacks {
    modules: Modules,
}

impl std::fmt::Debug for Stacks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stacks").finish_non_exhaustive()
    }
}

impl Stacks {
    /// Loads the tables of every binary with code mapped in the process (done once: later
    /// calls find them loaded).
    pub(super) fn warm(&mut self, root: &Path) {
        let Some(maps) = proc::maps(root) else {
            return;
        };
        for m in maps.iter().filter(|m| m.executable) {
            let _ = self.modules.find(&maps, m.start);
        }
    }

    /// The frames of the thread whose `task` folder is given, blocked as `first` says,
    /// innermost first, untrimmed. `still_stuck` is asked once the stack is copied, before it
    /// is unwound and symbolized (which can take longer than the stall, the first time).
    pub(super) fn frames(
        &mut self,
        root: &Path,
        task: &Path,
        mut first: Syscall,
        still_stuck: &dyn Fn() -> bool,
    ) -> Result<Vec<Frame>, NoStack> {
        let maps = proc::maps(root).ok_or(StackMissing::Unreadable)?;
        for _ in 0..TRIES {
            let (sp, pc) = first.registers().ok_or(StackMissing::NotBlocked)?;
            let mapping = maps.iter().find(|m| m.contains(sp));
            let len = mapping.map_or(0, |m| (m.end - sp).min(MAX_STACK));
            let bytes = proc::read_mem(root, sp, len as usize).ok_or(StackMissing::Unreadable)?;
            let again = proc::syscall(task).ok_or(StackMissing::Unreadable)?;
            if again != first {
                first = again;
                continue;
            }
            if !still_stuck() {
                return Err(NoStack::Left);
            }
            let stack = Stack { base: sp, bytes };
            return Ok(self.unwound(root, &maps, &stack, pc, None)?);
        }
        Err(StackMissing::Torn.into())
    }

    /// The frames of thread `tid`, running on a CPU, from the registers and stack its signal
    /// handler copied (see `signal.rs`), innermost first, untrimmed; `still_stuck` as for
    /// [`frames`](Self::frames).
    #[cfg(feature = "cpu-stacks")]
    pub(super) fn sampled(
        &mut self,
        root: &Path,
        tid: u32,
        still_stuck: &dyn Fn() -> bool,
    ) -> Result<Vec<Frame>, NoStack> {
        self.sampled_timed(root, tid, still_stuck).map(|s| s.0)
    }

    /// [`sampled`](Self::sampled), with the time from the signal sent to the slot seen
    /// filled, and when the signal was sent.
    #[cfg(feature = "cpu-stacks")]
    pub(super) fn sampled_timed(
        &mut self,
        root: &Path,
        tid: u32,
        still_stuck: &dyn Fn() -> bool,
    ) -> Result<(Vec<Frame>, std::time::Duration, std::time::Instant), NoStack> {
        let maps = proc::maps(root).ok_or(StackMissing::Unreadable)?;
        let mut missing = StackMissing::NoUnwindInfo;
        // A sample that lands where the binaries' tables do not reach (the vDSO, where a loop
        // that reads the clock spends much of its time, or JIT code) is taken again: a few
        // hundred microseconds each.
        for _ in 0..SAMPLES {
            let captured = super::signal::capture(tid, &maps)?;
            if captured.stack.is_empty() {
                return Err(StackMissing::Unreadable.into());
            }
            if super::modules::executable_at(&maps, captured.pc).is_none() {
                continue;
            }
            if !still_stuck() {
                return Err(NoStack::Left);
            }
            let stack = Stack {
                base: captured.sp,
                bytes: captured.stack,
            };
            match self.unwound(root, &maps, &stack, captured.pc, Some(captured.fp)) {
                Ok(frames) => return Ok((frames, captured.answered, captured.sent)),
                Err(why) => missing = why,
            }
        }
        Err(missing.into())
    }

    /// Unwinds `stack` from `pc` (and the frame pointer `bp`, when known), and symbolizes the
    /// frames up to the scheduler's.
    pub(super) fn unwound(
        &mut self,
        root: &Path,
        maps: &[Mapping],
        stack: &Stack,
        pc: u64,
        bp: Option<u64>,
    ) -> Result<Vec<Frame>, StackMissing> {
        let code =
            |addr: u64| -> Option<[u8; 5]> { proc::read_mem(root, addr, 5)?.try_into().ok() };
        let addresses = unwind::unwind(stack, pc, bp, maps, &mut self.modules, &code);
        if addresses.len() < 2 {
            return Err(if symbols::has_names(pc, maps, &mut self.modules) {
                StackMissing::NoUnwindInfo
            } else {
                StackMissing::Stripped
            });
        }
        let frames = symbols::symbolize(
            &addresses,
            maps,
            &mut self.modules,
            super::trim::is_scheduler,
        );
        if frames.iter().all(|f| f.function.is_none()) {
            return Err(StackMissing::Stripped);
        }
        Ok(frames)
    }
}
