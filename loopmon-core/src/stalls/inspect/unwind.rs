//! Unwinding a blocked thread's copied stack with the binaries' DWARF unwind tables (x86_64).
//!
//! `/proc` gives the stack pointer and program counter, not the frame pointer (`rbp`). Code
//! without frame pointers (user code in a default build, libc) unwinds from the stack pointer
//! alone; the first frame whose unwind rule needs `rbp` (std is built with frame pointers) is
//! retried with each stack slot that could hold a saved `rbp` (one followed by a code address),
//! keeping the candidate that unwinds furthest and ends at the thread's root.

use super::modules::{executable_at, Modules};
use super::proc::Mapping;
use gimli::{CfaRule, RegisterRule, UnwindContext, UnwindSection, X86_64};

/// A copy of the stack from `base` up.
pub(super) struct Stack {
    pub(super) base: u64,
    pub(super) bytes: Vec<u8>,
}

impl Stack {
    fn word(&self, addr: u64) -> Option<u64> {
        let at = usize::try_from(addr.checked_sub(self.base)?).ok()?;
        let bytes = self.bytes.get(at..at.checked_add(8)?)?;
        Some(u64::from_le_bytes(bytes.try_into().ok()?))
    }
}

/// The most frames followed, and the most `rbp` candidates tried.
const MAX_FRAMES: usize = 128;
const MAX_CANDIDATES: usize = 16;

#[derive(Clone, Copy)]
struct Regs {
    pc: u64,
    sp: u64,
    bp: Option<u64>,
}

enum End {
    /// The outermost frame: its return address is undefined.
    Root,
    /// This frame's rule needs `rbp`, which is unknown.
    NeedsBp(Regs),
    /// No unwind rule, an unreadable slot, or a return address outside code.
    Lost,
}

/// The code addresses of the thread's frames, innermost first: the program counter, then each
/// return address. Empty if not even the first frame could be unwound.
pub(super) fn unwind(
    stack: &Stack,
    pc: u64,
    maps: &[Mapping],
    modules: &mut Modules,
    ctx: &mut UnwindContext<usize>,
) -> Vec<u64> {
    let start = Regs {
        pc,
        sp: stack.base,
        bp: None,
    };
    let mut u = Unwinder {
        stack,
        maps,
        modules,
        ctx,
    };
    let (mut frames, end) = u.walk(start, true);
    let End::NeedsBp(at) = end else {
        return frames;
    };
    // The frames up to `at` are known; find the `rbp` that carries the walk on from there.
    frames.pop();
    let first = frames.is_empty();
    let mut best: Option<(bool, Vec<u64>)> = None;
    let slots = (at.sp..stack.base + stack.bytes.len() as u64).step_by(8);
    for slot in slots
        .filter(|&s| {
            stack
                .word(s.wrapping_add(8))
                .is_some_and(|ra| executable_at(maps, ra).is_some())
        })
        .take(MAX_CANDIDATES)
    {
        let (tail, end) = u.walk(
            Regs {
                bp: Some(slot),
                ..at
            },
            first,
        );
        let root = matches!(end, End::Root);
        let better = best
            .as_ref()
            .map_or(true, |(r, b)| (root, tail.len()) > (*r, b.len()));
        if better {
            best = Some((root, tail));
        }
    }
    frames.extend(best.map(|b| b.1).unwrap_or_default());
    frames
}

struct Unwinder<'a> {
    stack: &'a Stack,
    maps: &'a [Mapping],
    modules: &'a mut Modules,
    ctx: &'a mut UnwindContext<usize>,
}

impl Unwinder<'_> {
    /// Follows frames from `regs`; returns their addresses (including `regs.pc`) and why it
    /// stopped. `first`: `regs` is the innermost frame (its pc is not a return address).
    fn walk(&mut self, mut regs: Regs, mut first: bool) -> (Vec<u64>, End) {
        let mut frames = vec![regs.pc];
        loop {
            let end = match self.step(regs, first) {
                Ok(next) => next,
                Err(end) => return (frames, end),
            };
            regs = end;
            first = false;
            frames.push(regs.pc);
            if frames.len() >= MAX_FRAMES {
                return (frames, End::Lost);
            }
        }
    }

    /// The caller's registers.
    fn step(&mut self, regs: Regs, first: bool) -> Result<Regs, End> {
        // A return address points after the call: look up the call itself.
        let probe = if first {
            regs.pc
        } else {
            regs.pc.wrapping_sub(1)
        };
        let (module, svma) = self.modules.find(self.maps, probe).ok_or(End::Lost)?;
        let unwind = module.unwind.as_ref().ok_or(End::Lost)?;
        let table = unwind.hdr.table().ok_or(End::Lost)?;
        let row = table
            .unwind_info_for_address(&unwind.frame, &unwind.bases, self.ctx, svma, |f, b, o| {
                f.cie_from_offset(b, o)
            })
            .map_err(|_| End::Lost)?;
        let cfa = match *row.cfa() {
            CfaRule::RegisterAndOffset { register, offset } => {
                let base = match register {
                    X86_64::RSP => regs.sp,
                    X86_64::RBP => regs.bp.ok_or(End::NeedsBp(regs))?,
                    _ => return Err(End::Lost),
                };
                base.checked_add_signed(offset).ok_or(End::Lost)?
            }
            CfaRule::Expression(_) => return Err(End::Lost),
        };
        let slot = |rule: RegisterRule<usize>| match rule {
            RegisterRule::Offset(o) => cfa.checked_add_signed(o).and_then(|a| self.stack.word(a)),
            _ => None,
        };
        let ra = match row.register(X86_64::RA) {
            RegisterRule::Undefined => return Err(End::Root),
            rule => slot(rule).ok_or(End::Lost)?,
        };
        let bp = match row.register(X86_64::RBP) {
            RegisterRule::Undefined | RegisterRule::SameValue => regs.bp,
            rule => slot(rule),
        };
        if ra == 0 {
            return Err(End::Root);
        }
        if cfa <= regs.sp || executable_at(self.maps, ra).is_none() {
            return Err(End::Lost);
        }
        Ok(Regs {
            pc: ra,
            sp: cfa,
            bp,
        })
    }
}
