//! The parser on sections written by hand (the entries compilers emit, each pointer encoding,
//! the 64-bit length, malformed input), and against `gimli` on the binaries of this process
//! (`tests/oracle.rs`).

use super::*;

mod entries;
mod instructions;
mod malformed;
mod oracle;
mod table;

/// Where the hand-written `.eh_frame` is loaded.
const FRAME: u64 = 0x10_0000;
/// Where the hand-written `.eh_frame_hdr` is loaded (below `.eh_frame`, as linkers place it).
const HDR: u64 = 0x0f_0000;

/// The return address's DWARF number, as written in instructions.
const RA: u8 = 16;

/// `n` as unsigned LEB128.
fn uleb(mut n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// `n` as signed LEB128.
fn sleb(mut n: i64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if (n == 0 && byte & 0x40 == 0) || (n == -1 && byte & 0x40 != 0) {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// A 32-bit pc-relative pointer to `to`, written at `at`.
fn pcrel(to: u64, at: u64) -> [u8; 4] {
    (to.wrapping_sub(at) as i32).to_le_bytes()
}

/// An `.eh_frame` being written.
struct Frame {
    /// The section's bytes so far.
    bytes: Vec<u8>,
}

impl Frame {
    /// An empty section.
    fn new() -> Frame {
        Frame { bytes: Vec::new() }
    }

    /// Appends an entry (a CIE if `cie` is `None`, else an FDE of that CIE) whose body after
    /// the id `body` writes, given its address; with the 64-bit length if `long`. Returns
    /// its offset.
    fn entry(
        &mut self,
        long: bool,
        cie: Option<usize>,
        body: impl FnOnce(u64) -> Vec<u8>,
    ) -> usize {
        let offset = self.bytes.len();
        let id_at = offset + if long { 12 } else { 4 };
        let id = cie.map_or(0, |c| (id_at - c) as u32);
        let body = body(FRAME + id_at as u64 + 4);
        let len = 4 + body.len();
        if long {
            self.bytes.extend(u32::MAX.to_le_bytes());
            self.bytes.extend((len as u64).to_le_bytes());
        } else {
            self.bytes.extend((len as u32).to_le_bytes());
        }
        self.bytes.extend(id.to_le_bytes());
        self.bytes.extend(body);
        offset
    }

    /// A version 1 CIE as GCC writes it (code alignment 1, data alignment -8, return address
    /// in register 16), with `aug` and, for a `z` augmentation, `data` behind its length.
    fn cie(&mut self, aug: &str, data: &[u8], instructions: &[u8]) -> usize {
        self.entry(false, None, |_| {
            let mut b = vec![1];
            b.extend(aug.as_bytes());
            b.extend([0, 1, 0x78, RA]);
            if aug.starts_with('z') {
                b.extend(uleb(data.len() as u64));
                b.extend(data);
            }
            b.extend(instructions);
            b
        })
    }

    /// An FDE of a `zR` CIE with pointer encoding `pcrel | sdata4` (as GCC and LLVM write
    /// them): `begin`, `len`, no augmentation data, `instructions` (given their address).
    fn fde(&mut self, cie: usize, begin: u64, len: u32, instructions: &[u8]) -> usize {
        self.entry(false, Some(cie), |at| {
            let mut b = pcrel(begin, at).to_vec();
            b.extend(len.to_le_bytes());
            b.push(0);
            b.extend(instructions);
            b
        })
    }

    /// The address of the entry at `offset`.
    fn addr(offset: usize) -> u64 {
        FRAME.wrapping_add(offset as u64)
    }
}

/// An `.eh_frame_hdr` whose table, encoded as `enc`, lists `fdes` (function start, FDE offset).
fn hdr(enc: u8, fdes: &[(u64, usize)]) -> Vec<u8> {
    let mut b = vec![1, 0x1b, 0x03, enc];
    b.extend(pcrel(FRAME, HDR + 4));
    b.extend((fdes.len() as u32).to_le_bytes());
    for &(start, fde) in fdes {
        for value in [start, Frame::addr(fde)] {
            let at = HDR + b.len() as u64;
            match enc {
                0x3b => b.extend((value.wrapping_sub(HDR) as i32).to_le_bytes()),
                0x1b => b.extend(pcrel(value, at)),
                0x03 => b.extend((value as u32).to_le_bytes()),
                0x04 | 0x00 => b.extend(value.to_le_bytes()),
                _ => unreachable!("no such table in these tests"),
            }
        }
    }
    b
}

/// The tables of `frame` with the search table GCC and LLVM write (`datarel | sdata4`).
fn load(frame: &Frame, fdes: &[(u64, usize)]) -> Cfi {
    Cfi::new(hdr(0x3b, fdes), HDR, frame.bytes.clone(), FRAME).expect("a usable header")
}

/// A CIE's usual initial rules: CFA = rsp + 8, return address at CFA - 8.
const INITIAL: [u8; 5] = [0x0c, 7, 8, 0x80 | RA, 1];

/// A CFA `rsp + offset`.
fn rsp(offset: i64) -> Cfa {
    Cfa::RegOffset { reg: RSP, offset }
}

/// A CFA `rbp + offset`.
fn rbp(offset: i64) -> Cfa {
    Cfa::RegOffset { reg: RBP, offset }
}

/// The row a lookup should find.
fn row(cfa: Cfa, ra: Rule, rbp: Rule) -> Option<Row> {
    Some(Row { cfa, ra, rbp })
}

/// `v` in the format (the low four bits) of encoding `enc`.
fn raw(enc: u8, v: u64) -> Vec<u8> {
    match enc & 0x0f {
        0x00 | 0x04 | 0x0c => v.to_le_bytes().to_vec(),
        0x03 | 0x0b => (v as u32).to_le_bytes().to_vec(),
        0x02 | 0x0a => (v as u16).to_le_bytes().to_vec(),
        0x01 => uleb(v),
        0x09 => sleb(v as i64),
        _ => unreachable!("no such format in these tests"),
    }
}
