//! The binaries' call frame information: `.eh_frame` and its search table `.eh_frame_hdr`, read
//! in place at each lookup (x86_64: little-endian ELF64, DWARF register numbers).
//!
//! To step from a frame to its caller, the unwinder needs three rules at the frame's program
//! counter: how to compute the CFA (canonical frame address: the stack pointer before the call)
//! and where the return address and the caller's `rbp` were saved. `.eh_frame` holds them as
//! small programs (DWARF 5 §6.4, with the GNU changes the Linux Standard Base describes: CIE
//! ids, pointer encodings, augmentations); `.eh_frame_hdr` holds a table of the functions'
//! first addresses, sorted, with their entries.
//!
//! Nothing is parsed ahead: a lookup searches the table, parses one FDE and its CIE and runs
//! their instructions up to the address, which takes microseconds and runs only while a stall
//! is reported. Malformed input gives `None`, never a panic: every read is bounds-checked, and
//! every loop consumes input or halves a search range.

mod entry;
mod program;
mod reader;
#[cfg(test)]
mod tests;

use reader::{fixed_size, Reader};

/// The stack pointer's DWARF number.
pub(super) const RSP: u16 = 7;
/// The frame pointer's DWARF number.
pub(super) const RBP: u16 = 6;

/// How to compute the CFA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cfa {
    /// The value of register `reg` plus `offset`.
    RegOffset {
        /// The register's DWARF number.
        reg: u16,
        /// Added to it.
        offset: i64,
    },
    /// A DWARF expression, which is not evaluated.
    Expression,
}

/// Where a register's value in the caller is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rule {
    /// Nowhere: for the return address, the thread's outermost frame.
    Undefined,
    /// Unchanged by the frame.
    SameValue,
    /// Saved in the stack at CFA plus this offset.
    Offset(i64),
    /// Elsewhere (another register, CFA plus an offset as the value itself, an expression):
    /// nothing the unwinder follows.
    Other,
}

/// The rules in force at an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Row {
    /// The CFA, from which the saved registers are found.
    pub(super) cfa: Cfa,
    /// The return address (the register the CIE names, `rip`).
    pub(super) ra: Rule,
    /// The caller's frame pointer.
    pub(super) rbp: Rule,
}

/// One binary's `.eh_frame` and `.eh_frame_hdr`, with the header's table located.
pub(super) struct Cfi {
    /// `.eh_frame_hdr`'s bytes.
    hdr: Box<[u8]>,
    /// `.eh_frame_hdr`'s address (SVMA), the base of its `datarel` pointers.
    hdr_addr: u64,
    /// `.eh_frame`'s bytes.
    frame: Box<[u8]>,
    /// `.eh_frame`'s address (SVMA).
    frame_addr: u64,
    /// Where the search table starts in `.eh_frame_hdr`.
    table: usize,
    /// How many (function start, FDE address) pairs it holds.
    count: usize,
    /// How both values of a pair are encoded.
    table_enc: u8,
    /// The size of one value.
    size: usize,
}

impl Cfi {
    /// The tables of a binary from its sections' bytes and addresses. `None` if the header
    /// has no usable search table: a version other than 1, no table, or a table whose entries
    /// are not fixed-size or not resolvable without reading memory.
    pub(super) fn new(hdr: Vec<u8>, hdr_addr: u64, frame: Vec<u8>, frame_addr: u64) -> Option<Cfi> {
        let mut r = Reader::new(&hdr, hdr_addr);
        if r.u8()? != 1 {
            return None;
        }
        let (frame_ptr_enc, count_enc, table_enc) = (r.u8()?, r.u8()?, r.u8()?);
        // Where `.eh_frame` is: the section's address is used instead, but the value is in
        // the way.
        r.pointer(frame_ptr_enc, Some(hdr_addr))?;
        if count_enc & 0xf0 != 0 {
            return None; // omitted (no table), or relative to something: not a count
        }
        let count = usize::try_from(r.value(count_enc)?).ok()?;
        let size = fixed_size(table_enc)?;
        // Resolving the first value checks that the encoding's base is one the table can use.
        let table = r.pos();
        let bytes = count.checked_mul(size)?.checked_mul(2)?;
        if count > 0 {
            r.clone().pointer(table_enc, Some(hdr_addr))?;
        }
        r.skip(bytes as u64)?;
        Some(Cfi {
            table,
            count,
            table_enc,
            size,
            hdr: hdr.into(),
            hdr_addr,
            frame: frame.into(),
            frame_addr,
        })
    }

    /// The rules at `svma` (an address in the binary's file), `None` where no FDE covers it or
    /// the entries are malformed.
    pub(super) fn row(&self, svma: u64) -> Option<Row> {
        // The last function starting at or before `svma`.
        let (mut lo, mut hi) = (0, self.count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.entry(mid, 0)? <= svma {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let fde_addr = self.entry(lo.checked_sub(1)?, 1)?;
        let offset = usize::try_from(fde_addr.checked_sub(self.frame_addr)?).ok()?;
        let frame = Reader::new(&self.frame, self.frame_addr);
        let fde = entry::fde(&frame, offset)?;
        let end = fde.pc_begin.checked_add(fde.pc_range)?;
        if !(fde.pc_begin <= svma && svma < end) {
            return None;
        }
        program::row(&frame, &fde, svma)
    }

    /// Value `which` (0: the function's start, 1: its FDE's address) of the table's pair `i`.
    fn entry(&self, i: usize, which: usize) -> Option<u64> {
        let at = self.table + (i * 2 + which) * self.size;
        let mut r = Reader::new(&self.hdr, self.hdr_addr).range(at, self.hdr.len())?;
        r.pointer(self.table_enc, Some(self.hdr_addr))
    }
}
