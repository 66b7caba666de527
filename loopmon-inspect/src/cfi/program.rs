//! The call frame instructions (DWARF 5 §6.4.2, with the GNU extensions `.eh_frame` uses), run
//! from a CIE's initial instructions through an FDE's up to an address: the row of rules in
//! force there, for the CFA, the return address and `rbp` (the only registers the unwinder
//! reads).

use super::entry::Fde;
use super::reader::Reader;
use super::{Cfa, Row, Rule, RBP};

/// The deepest `DW_CFA_remember_state` nesting followed: compilers nest one or two levels.
const MAX_STATES: usize = 16;

/// Whether to go on after an instruction.
enum Flow {
    /// The next instruction applies.
    Go,
    /// The row reached covers the address sought.
    Stop,
}

/// The state of a run of instructions.
struct Machine<'f> {
    /// The FDE's CIE (the alignment factors, the return address register).
    fde: &'f Fde,
    /// The rules in force at `loc`.
    row: Row,
    /// The rules the CIE's instructions set, which `DW_CFA_restore` goes back to; `None` while
    /// they are being run.
    initial: Option<Row>,
    /// The rows saved by `DW_CFA_remember_state`.
    stack: Vec<Row>,
    /// The address the current row starts at.
    loc: u64,
    /// The address whose row is sought.
    target: u64,
}

/// The rules at `target`, an address inside `fde`'s range: the CIE's initial instructions,
/// then the FDE's up to the last row starting at or before `target`. `None` if an instruction
/// is malformed, unknown or out of place.
pub(super) fn row(frame: &Reader<'_>, fde: &Fde, target: u64) -> Option<Row> {
    let mut m = Machine {
        fde,
        // What an entry that defines no CFA leaves: no register the unwinder follows.
        row: Row {
            cfa: Cfa::RegOffset { reg: 0, offset: 0 },
            ra: Rule::Undefined,
            rbp: Rule::Undefined,
        },
        initial: None,
        stack: Vec::new(),
        loc: fde.pc_begin,
        target,
    };
    let cie = &fde.cie.instructions;
    m.run(frame.range(cie.start, cie.end)?)?;
    m.initial = Some(m.row);
    m.run(frame.range(fde.instructions.start, fde.instructions.end)?)?;
    Some(m.row)
}

/// A register number, as the rules name them (DWARF numbers fit in 16 bits).
fn reg(r: &mut Reader<'_>) -> Option<u16> {
    u16::try_from(r.uleb()?).ok()
}

impl Machine<'_> {
    /// Runs the instructions `r` holds, until they end or a row past the target starts.
    fn run(&mut self, mut r: Reader<'_>) -> Option<()> {
        while !r.is_empty() {
            if let Flow::Stop = self.step(&mut r)? {
                break;
            }
        }
        Some(())
    }

    /// Runs one instruction.
    fn step(&mut self, r: &mut Reader<'_>) -> Option<Flow> {
        let op = r.u8()?;
        // The three primary opcodes carry their first operand in their low six bits.
        let low = op & 0x3f;
        match op >> 6 {
            // DW_CFA_advance_loc
            1 => return self.advance(u64::from(low)),
            // DW_CFA_offset
            2 => {
                let offset = self.factored(r.uleb()?)?;
                self.set(low.into(), Rule::Offset(offset));
            }
            // DW_CFA_restore
            3 => self.restore(low.into())?,
            _ => match op {
                // DW_CFA_nop
                0x00 => {}
                // DW_CFA_set_loc
                0x01 => {
                    let to = r.pointer(self.fde.cie.fde_enc, None)?;
                    return self.set_loc(to);
                }
                // DW_CFA_advance_loc1, 2, 4
                0x02 => return self.advance(r.u8()?.into()),
                0x03 => return self.advance(r.u16()?.into()),
                0x04 => return self.advance(r.u32()?.into()),
                // DW_CFA_offset_extended
                0x05 => {
                    let reg = reg(r)?;
                    let offset = self.factored(r.uleb()?)?;
                    self.set(reg, Rule::Offset(offset));
                }
                // DW_CFA_restore_extended
                0x06 => self.restore(reg(r)?)?,
                // DW_CFA_undefined
                0x07 => self.set(reg(r)?, Rule::Undefined),
                // DW_CFA_same_value
                0x08 => self.set(reg(r)?, Rule::SameValue),
                // DW_CFA_register: saved in another register.
                0x09 => {
                    let to = reg(r)?;
                    reg(r)?;
                    self.set(to, Rule::Other);
                }
                // DW_CFA_remember_state
                0x0a => {
                    if self.stack.len() >= MAX_STATES {
                        return None;
                    }
                    self.stack.push(self.row);
                }
                // DW_CFA_restore_state: the rules and the CFA, not the location.
                0x0b => self.row = self.stack.pop()?,
                // DW_CFA_def_cfa
                0x0c => {
                    let reg = reg(r)?;
                    let offset = i64::try_from(r.uleb()?).ok()?;
                    self.row.cfa = Cfa::RegOffset { reg, offset };
                }
                // DW_CFA_def_cfa_register
                0x0d => {
                    let new = reg(r)?;
                    let Cfa::RegOffset { reg, .. } = &mut self.row.cfa else {
                        return None;
                    };
                    *reg = new;
                }
                // DW_CFA_def_cfa_offset
                0x0e => {
                    let new = i64::try_from(r.uleb()?).ok()?;
                    self.set_cfa_offset(new)?;
                }
                // DW_CFA_def_cfa_expression
                0x0f => {
                    r.skip_block()?;
                    self.row.cfa = Cfa::Expression;
                }
                // DW_CFA_expression, DW_CFA_val_expression
                0x10 | 0x16 => {
                    let reg = reg(r)?;
                    r.skip_block()?;
                    self.set(reg, Rule::Other);
                }
                // DW_CFA_offset_extended_sf
                0x11 => {
                    let reg = reg(r)?;
                    let offset = r.sleb()?.checked_mul(self.fde.cie.data_align)?;
                    self.set(reg, Rule::Offset(offset));
                }
                // DW_CFA_def_cfa_sf
                0x12 => {
                    let reg = reg(r)?;
                    let offset = r.sleb()?.checked_mul(self.fde.cie.data_align)?;
                    self.row.cfa = Cfa::RegOffset { reg, offset };
                }
                // DW_CFA_def_cfa_offset_sf
                0x13 => {
                    let new = r.sleb()?.checked_mul(self.fde.cie.data_align)?;
                    self.set_cfa_offset(new)?;
                }
                // DW_CFA_val_offset: the value is CFA + offset, not saved in memory.
                0x14 => {
                    let reg = reg(r)?;
                    r.uleb()?;
                    self.set(reg, Rule::Other);
                }
                // DW_CFA_val_offset_sf
                0x15 => {
                    let reg = reg(r)?;
                    r.sleb()?;
                    self.set(reg, Rule::Other);
                }
                // DW_CFA_GNU_args_size: for landing pads, not for unwinding.
                0x2e => drop(r.uleb()?),
                // DW_CFA_GNU_negative_offset_extended
                0x2f => {
                    let reg = reg(r)?;
                    let offset = self.factored(r.uleb()?)?.checked_neg()?;
                    self.set(reg, Rule::Offset(offset));
                }
                _ => return None,
            },
        }
        Some(Flow::Go)
    }

    /// An unsigned factored offset, times the data alignment factor.
    fn factored(&self, n: u64) -> Option<i64> {
        i64::try_from(n).ok()?.checked_mul(self.fde.cie.data_align)
    }

    /// Sets the rule of `reg`, if it is one the unwinder reads.
    fn set(&mut self, reg: u16, rule: Rule) {
        if reg == self.fde.cie.ra {
            self.row.ra = rule;
        }
        if reg == RBP {
            self.row.rbp = rule;
        }
    }

    /// Sets the CFA's offset, which only a register-based CFA has.
    fn set_cfa_offset(&mut self, new: i64) -> Option<()> {
        let Cfa::RegOffset { offset, .. } = &mut self.row.cfa else {
            return None;
        };
        *offset = new;
        Some(())
    }

    /// `DW_CFA_restore`: the rule of `reg` back to the CIE's (not valid within the CIE).
    fn restore(&mut self, reg: u16) -> Option<()> {
        let initial = self.initial?;
        if reg == self.fde.cie.ra {
            self.row.ra = initial.ra;
        }
        if reg == RBP {
            self.row.rbp = initial.rbp;
        }
        Some(())
    }

    /// Moves the location by `delta` code alignment units (not valid within the CIE).
    fn advance(&mut self, delta: u64) -> Option<Flow> {
        let to = self
            .loc
            .checked_add(delta.checked_mul(self.fde.cie.code_align)?)?;
        self.set_loc(to)
    }

    /// Starts a new row at `to`, or stops if that is past the target (the current row covers
    /// it). Locations only grow.
    fn set_loc(&mut self, to: u64) -> Option<Flow> {
        self.initial?;
        if to < self.loc {
            return None;
        }
        if to > self.target {
            return Some(Flow::Stop);
        }
        self.loc = to;
        Some(Flow::Go)
    }
}
