//! The line program's state machine (DWARF 5 section 6.2): standard, extended and special
//! opcodes update registers (address, file, line...) and append rows; `DW_LNE_end_sequence`
//! closes a sequence.

use super::lines::{Header, Row, Sequence};
use super::reader::Reader;

/// The registers of the state machine that the rows keep, and the one that says whether the
/// current address is valid.
#[derive(Debug)]
struct Registers {
    /// The address of the current instruction.
    address: u64,
    /// The operation within a VLIW instruction.
    op_index: u64,
    /// The file index.
    file: u64,
    /// The line.
    line: u64,
    /// Set by `DW_LNE_set_address` to a tombstone (code the linker dropped) or to an address
    /// below the current one: the rows up to the next valid address are left out.
    tombstone: bool,
}

impl Registers {
    /// The registers at the start of every sequence.
    fn new() -> Registers {
        Registers {
            address: 0,
            op_index: 0,
            file: 1,
            line: 1,
            tombstone: false,
        }
    }

    /// Moves the address on by `advance` operations. `None` if it overflows.
    fn advance(&mut self, advance: u64, h: &Header) -> Option<()> {
        if self.tombstone {
            return Some(());
        }
        let min = u64::from(h.min_inst_len);
        let bytes = if h.max_ops <= 1 {
            self.op_index = 0;
            min.wrapping_mul(advance)
        } else {
            let ops = self.op_index.wrapping_add(advance);
            self.op_index = ops % u64::from(h.max_ops);
            min.wrapping_mul(ops / u64::from(h.max_ops))
        };
        self.address = self.address.checked_add(bytes)?;
        Some(())
    }

    /// Moves the line by `delta`, no lower than 0.
    fn advance_line(&mut self, delta: i64) {
        self.line = if delta < 0 {
            self.line.saturating_sub(delta.unsigned_abs())
        } else {
            self.line.wrapping_add(delta as u64)
        };
    }
}

/// The rows of the sequence being built, and the sequences done.
#[derive(Debug, Default)]
struct Table {
    /// The current sequence's rows.
    rows: Vec<Row>,
    /// The sequences ended so far.
    sequences: Vec<Sequence>,
}

impl Table {
    /// Appends a row for the registers (replacing the last one if it has the same address:
    /// the last row at an address is the one that applies).
    fn row(&mut self, regs: &Registers) {
        if regs.tombstone {
            return;
        }
        let row = Row {
            address: regs.address,
            file: regs.file,
            line: regs.line as u32,
        };
        match self.rows.last_mut() {
            Some(last) if last.address == row.address => *last = row,
            _ => self.rows.push(row),
        }
    }

    /// Ends the current sequence at the registers' address.
    fn end_sequence(&mut self, regs: &Registers) {
        if regs.tombstone {
            return;
        }
        let Some(start) = self.rows.first().map(|r| r.address) else {
            return;
        };
        let mut rows = std::mem::take(&mut self.rows);
        if !rows.is_sorted_by_key(|r| r.address) {
            rows.sort_by_key(|r| r.address);
        }
        self.sequences.push(Sequence {
            start,
            end: regs.address,
            rows: rows.into_boxed_slice(),
        });
    }
}

/// Runs the program in `r` (up to its end) into sequences sorted by start address.
/// `std_lengths` gives the operand count of each standard opcode, so that unknown ones are
/// skipped; `define_file` receives the files `DW_LNE_define_file` adds (path, directory).
/// `None` if the program is truncated or an address overflows.
pub(super) fn run<'a>(
    r: &mut Reader<'a>,
    h: &Header,
    std_lengths: &[u8],
    define_file: &mut impl FnMut(&'a [u8], u64),
) -> Option<Box<[Sequence]>> {
    let mut regs = Registers::new();
    let mut table = Table::default();
    while !r.is_empty() {
        let opcode = r.u8()?;
        if opcode >= h.opcode_base {
            let adjusted = opcode - h.opcode_base;
            regs.advance_line(i64::from(h.line_base) + i64::from(adjusted % h.line_range));
            regs.advance(u64::from(adjusted / h.line_range), h)?;
            table.row(&regs);
            continue;
        }
        match opcode {
            0 => {
                let len = r.uleb()?;
                let mut op = r.split(len)?;
                match op.u8()? {
                    1 => {
                        table.end_sequence(&regs);
                        regs = Registers::new();
                    }
                    2 => {
                        let address = op.uint(h.addr_size)?;
                        let all_ones = u64::MAX >> (64 - 8 * u32::from(h.addr_size.clamp(1, 8)));
                        regs.tombstone = address < regs.address || address == all_ones;
                        if !regs.tombstone {
                            regs.address = address;
                            regs.op_index = 0;
                        }
                    }
                    3 if h.version <= 4 => {
                        let path = op.cstr()?;
                        let dir = op.uleb()?;
                        define_file(path, dir);
                    }
                    _ => {} // set_discriminator, vendor opcodes: nothing kept
                }
            }
            1 => table.row(&regs),
            2 => regs.advance(r.uleb()?, h)?,
            3 => regs.advance_line(r.sleb()?),
            4 => regs.file = r.uleb()?,
            5 | 12 => {
                r.uleb()?; // set_column, set_isa
            }
            6 | 7 | 10 | 11 => {} // negate_stmt, set_basic_block, prologue_end, epilogue_begin
            8 => {
                let adjusted = 255 - h.opcode_base;
                regs.advance(u64::from(adjusted / h.line_range), h)?;
            }
            9 => {
                let delta = r.u16()?;
                if !regs.tombstone {
                    regs.address = regs.address.checked_add(u64::from(delta))?;
                    regs.op_index = 0;
                }
            }
            _ => {
                let count = std_lengths
                    .get(usize::from(opcode) - 1)
                    .copied()
                    .unwrap_or(0);
                for _ in 0..count {
                    r.uleb()?;
                }
            }
        }
    }
    let mut sequences = table.sequences;
    sequences.sort_by_key(|s| s.start);
    Some(sequences.into_boxed_slice())
}
