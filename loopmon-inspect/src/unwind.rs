//! Unwinding a blocked thread's copied stack with the binaries' DWARF unwind tables (x86_64).
//!
//! A thread sampled by a signal (`signal.rs`) gives its frame pointer (`rbp`) too, and unwinds
//! from its three registers. For a blocked thread `/proc` gives the stack pointer and program
//! counter, not the frame pointer. Code
//! without frame pointers (user code in a default build, libc) unwinds from the stack pointer
//! alone; the first frame whose unwind rule needs `rbp` (std is built with frame pointers) is
//! retried with each stack slot that could hold a saved `rbp` (one followed by a code address),
//! keeping the candidate that ends at the thread's root, whose return address follows a call
//! to the very function being unwound (a stale return address left in the frame's locals by
//! an earlier call follows a call to another function), and that unwinds furthest.

use super::cfi::{Cfa, Rule, RBP, RSP};
use super::modules::{executable_at, Modules};
use super::proc::Mapping;

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
    bp: Option<u64>,
    maps: &[Mapping],
    modules: &mut Modules,
    code: &dyn Fn(u64) -> Option<[u8; 5]>,
) -> Vec<u64> {
    let start = Regs {
        pc,
        sp: stack.base,
        bp,
    };
    let mut u = Unwinder {
        stack,
        maps,
        modules,
    };
    let (mut frames, end) = u.walk(start, true);
    let End::NeedsBp(at) = end else {
        return frames;
    };
    // The frames up to `at` are known; find the `rbp` that carries the walk on from there.
    frames.pop();
    let first = frames.is_empty();
    // Where the function being unwound begins, to check each candidate's return address.
    let entry = u
        .modules
        .find(maps, if first { at.pc } else { at.pc.wrapping_sub(1) })
        .and_then(|(module, svma)| Some(module.symbol_start(svma)?.wrapping_add(module.bias)));
    let mut best: Option<((bool, Call, usize), Vec<u64>)> = None;
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
        let call = tail
            .get(1)
            .map_or(Call::Unknown, |&ra| call_before(ra, entry, code));
        let rank = (root, call, tail.len());
        if best.as_ref().is_none_or(|(b, _)| rank > *b) {
            best = Some((rank, tail));
        }
    }
    frames.extend(best.map(|b| b.1).unwrap_or_default());
    frames
}

/// What the instruction before a return address says about the frame it returns from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Call {
    /// A direct call to another function: a stale return address.
    Elsewhere,
    /// An indirect call, or code that cannot be read: no evidence either way.
    Unknown,
    /// A direct call to the function being unwound.
    Here,
}

/// Whether the 5-byte direct `call rel32` (opcode `e8`) that would end just before `ra` calls
/// `entry`.
fn call_before(ra: u64, entry: Option<u64>, code: &dyn Fn(u64) -> Option<[u8; 5]>) -> Call {
    let (Some(entry), Some(bytes)) = (entry, code(ra.wrapping_sub(5))) else {
        return Call::Unknown;
    };
    if bytes[0] != 0xe8 {
        return Call::Unknown;
    }
    let rel = i32::from_le_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
    if ra.wrapping_add_signed(i64::from(rel)) == entry {
        Call::Here
    } else {
        Call::Elsewhere
    }
}

struct Unwinder<'a> {
    stack: &'a Stack,
    maps: &'a [Mapping],
    modules: &'a mut Modules,
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
        let row = unwind.row(svma).ok_or(End::Lost)?;
        let cfa = match row.cfa {
            Cfa::RegOffset { reg, offset } => {
                let base = match reg {
                    RSP => regs.sp,
                    RBP => regs.bp.ok_or(End::NeedsBp(regs))?,
                    _ => return Err(End::Lost),
                };
                base.checked_add_signed(offset).ok_or(End::Lost)?
            }
            Cfa::Expression => return Err(End::Lost),
        };
        let slot = |rule: Rule| match rule {
            Rule::Offset(o) => cfa.checked_add_signed(o).and_then(|a| self.stack.word(a)),
            _ => None,
        };
        let ra = match row.ra {
            Rule::Undefined => return Err(End::Root),
            rule => slot(rule).ok_or(End::Lost)?,
        };
        let bp = match row.rbp {
            Rule::Undefined | Rule::SameValue => regs.bp,
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

#[cfg(test)]
mod tests {
    use super::{call_before, Call};

    #[test]
    fn a_return_address_is_checked_against_the_call_before_it() {
        // `call rel32` at 0x1000 to 0x2000: the return address is 0x1005, rel = 0xffb.
        let code = |at: u64| (at == 0x1000).then_some([0xe8, 0xfb, 0x0f, 0, 0]);
        assert_eq!(call_before(0x1005, Some(0x2000), &code), Call::Here);
        assert_eq!(call_before(0x1005, Some(0x3000), &code), Call::Elsewhere);
        assert_eq!(call_before(0x1005, None, &code), Call::Unknown);
        // Not a direct call (say `call [rip+x]`), or unreadable: no evidence.
        let indirect = |_: u64| Some([0xff, 0x15, 0, 0, 0]);
        assert_eq!(call_before(0x1005, Some(0x2000), &indirect), Call::Unknown);
        assert_eq!(call_before(0x1005, Some(0x2000), &|_| None), Call::Unknown);
        assert!(Call::Here > Call::Unknown && Call::Unknown > Call::Elsewhere);
    }
}
