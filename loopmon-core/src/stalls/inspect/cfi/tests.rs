//! The parser on sections written by hand (the entries compilers emit, each pointer encoding,
//! the 64-bit length, malformed input), and against `gimli` on the binaries of this process
//! (`tests/oracle.rs`).

use super::*;

mod oracle;

/// Where the hand-written `.eh_frame` and `.eh_frame_hdr` are loaded.
const FRAME: u64 = 0x10_0000;
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
    bytes: Vec<u8>,
}

impl Frame {
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

fn rsp(offset: i64) -> Cfa {
    Cfa::RegOffset { reg: RSP, offset }
}

fn rbp(offset: i64) -> Cfa {
    Cfa::RegOffset { reg: RBP, offset }
}

fn row(cfa: Cfa, ra: Rule, rbp: Rule) -> Option<Row> {
    Some(Row { cfa, ra, rbp })
}

#[test]
fn rows_follow_a_function_s_prologue_and_epilogues() {
    let mut frame = Frame::new();
    let cie = frame.cie("zR", &[0x1b], &INITIAL);
    let instructions: &[&[u8]] = &[
        &[0x41],       // advance_loc 1: after `push rbp`
        &[0x0e, 16],   // def_cfa_offset 16
        &[0x86, 2],    // offset rbp, 2 * -8
        &[0x43],       // advance_loc 3: after `mov rbp, rsp`
        &[0x0d, 6],    // def_cfa_register rbp
        &[0x02, 0x20], // advance_loc1 0x20: after an early return's `pop rbp`
        &[0x0a],       // remember_state
        &[0x0c, 7, 8], // def_cfa rsp, 8
        &[0xc6],       // restore rbp
        &[0x41],       // advance_loc 1: after the `ret`
        &[0x0b],       // restore_state
        &[0x42],       // advance_loc 2
        &[0x08, 6],    // same_value rbp
        &[0, 0],       // nop padding
    ];
    let fde = frame.fde(cie, 0x1000, 0x40, &instructions.concat());
    let cfi = load(&frame, &[(0x1000, fde)]);
    let ra = Rule::Offset(-8);
    assert_eq!(cfi.row(0xfff), None);
    assert_eq!(cfi.row(0x1000), row(rsp(8), ra, Rule::Undefined));
    for pc in 0x1001..0x1004 {
        assert_eq!(cfi.row(pc), row(rsp(16), ra, Rule::Offset(-16)), "{pc:#x}");
    }
    for pc in 0x1004..0x1024 {
        assert_eq!(cfi.row(pc), row(rbp(16), ra, Rule::Offset(-16)), "{pc:#x}");
    }
    assert_eq!(cfi.row(0x1024), row(rsp(8), ra, Rule::Undefined));
    for pc in 0x1025..0x1027 {
        assert_eq!(cfi.row(pc), row(rbp(16), ra, Rule::Offset(-16)), "{pc:#x}");
    }
    for pc in 0x1027..0x1040 {
        assert_eq!(cfi.row(pc), row(rbp(16), ra, Rule::SameValue), "{pc:#x}");
    }
    assert_eq!(cfi.row(0x1040), None);
}

#[test]
fn the_table_finds_each_function_and_nothing_between() {
    let mut frame = Frame::new();
    let cie = frame.cie("zR", &[0x1b], &INITIAL);
    let fdes: Vec<(u64, usize)> = (0..9u8)
        .map(|i| {
            let start = 0x1000 + u64::from(i) * 0x100;
            (start, frame.fde(cie, start, 0x80, &[0x0e, 8 * (i + 1)]))
        })
        .collect();
    frame.bytes.extend([0; 4]); // the terminator
    let cfi = load(&frame, &fdes);
    for (i, &(start, _)) in fdes.iter().enumerate() {
        let expect = row(rsp(8 * (i as i64 + 1)), Rule::Offset(-8), Rule::Undefined);
        assert_eq!(cfi.row(start), expect);
        assert_eq!(cfi.row(start + 0x7f), expect);
        assert_eq!(cfi.row(start + 0x80), None, "between functions");
    }
    assert_eq!(cfi.row(0), None);
    assert_eq!(cfi.row(u64::MAX), None);
}

#[test]
fn every_search_table_encoding_finds_the_same_rows() {
    let mut frame = Frame::new();
    let cie = frame.cie("zR", &[0x1b], &INITIAL);
    let a = frame.fde(cie, 0x1000, 0x10, &[0x0e, 16]);
    let b = frame.fde(cie, 0x2000, 0x10, &[0x0e, 24]);
    let fdes = [(0x1000, a), (0x2000, b)];
    for enc in [0x3b, 0x1b, 0x03, 0x04, 0x00] {
        let cfi = Cfi::new(hdr(enc, &fdes), HDR, frame.bytes.clone(), FRAME).unwrap();
        assert_eq!(cfi.row(0x1008).unwrap().cfa, rsp(16), "{enc:#x}");
        assert_eq!(cfi.row(0x2008).unwrap().cfa, rsp(24), "{enc:#x}");
        assert_eq!(cfi.row(0x1808), None, "{enc:#x}");
    }
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

#[test]
fn every_fde_pointer_encoding_is_decoded() {
    let mut frame = Frame::new();
    let mut fdes = Vec::new();
    let encodings = [
        0x00, 0x04, 0x0c, 0x03, 0x0b, 0x02, 0x0a, 0x01, 0x09, 0x1b, 0x1c, 0x11, 0x19,
    ];
    for (i, &enc) in encodings.iter().enumerate() {
        let start = 0x1000 + i as u64 * 0x100;
        // An address as `enc` writes it at `at`: pc-relative or absolute.
        let write = |v: u64, at: u64| {
            raw(
                enc,
                if enc & 0x10 != 0 {
                    v.wrapping_sub(at)
                } else {
                    v
                },
            )
        };
        let cie = frame.cie("zR", &[enc], &INITIAL);
        let fde = frame.entry(false, Some(cie), |at| {
            let mut b = write(start, at);
            // The range: the same format, never relative.
            b.extend(raw(enc, 0x20));
            b.push(0);
            // set_loc start + 8, in the same encoding: from there the CFA is rsp + 32.
            b.push(0x01);
            let loc_at = at + b.len() as u64;
            b.extend(write(start + 8, loc_at));
            b.extend([0x0e, 32]);
            b
        });
        fdes.push((start, fde));
    }
    // Without augmentation: `absptr`, and no augmentation data.
    let start = 0x2000;
    let cie = frame.cie("", &[], &INITIAL);
    let plain = frame.entry(false, Some(cie), |_| {
        let mut b = raw(0, start);
        b.extend(raw(0, 0x20));
        b.extend([0x48, 0x0e, 32]); // advance_loc 8, def_cfa_offset 32
        b
    });
    fdes.push((start, plain));
    let cfi = load(&frame, &fdes);
    for &(start, _) in &fdes {
        let cfa = |pc| cfi.row(pc).map(|r| r.cfa);
        assert_eq!(cfa(start), Some(rsp(8)), "{start:#x}");
        assert_eq!(cfa(start + 7), Some(rsp(8)), "{start:#x}");
        assert_eq!(cfa(start + 8), Some(rsp(32)), "{start:#x}");
        assert_eq!(cfa(start + 0x1f), Some(rsp(32)), "{start:#x}");
        assert_eq!(cfa(start + 0x20), None, "{start:#x}");
    }
}

#[test]
fn pointers_that_need_memory_or_an_unknown_base_are_given_up() {
    for enc in [0x9b, 0x33, 0x23, 0x43, 0x53, 0x0f, 0x05] {
        let mut frame = Frame::new();
        let cie = frame.cie("zR", &[enc], &INITIAL);
        let fde = frame.entry(false, Some(cie), |_| {
            let mut b = 0x1000u32.to_le_bytes().to_vec();
            b.extend(0x20u32.to_le_bytes());
            b.push(0);
            b
        });
        assert_eq!(load(&frame, &[(0x1000, fde)]).row(0x1000), None, "{enc:#x}");
    }
}

#[test]
fn augmentations_are_read_or_skipped() {
    let mut frame = Frame::new();
    let mut fdes = Vec::new();
    let mut add = |frame: &mut Frame, cie: usize, lsda: &[u8]| {
        let start = 0x1000 + fdes.len() as u64 * 0x100;
        let fde = frame.entry(false, Some(cie), |at| {
            let mut b = pcrel(start, at).to_vec();
            b.extend(0x10u32.to_le_bytes());
            b.extend(uleb(lsda.len() as u64));
            b.extend(lsda);
            b.extend([0x0e, 48]);
            b
        });
        fdes.push((start, fde));
    };
    // A personality routine (indirect, pc-relative), an LSDA, then the FDE encoding.
    let cie = frame.cie("zPLR", &[0x9b, 1, 2, 3, 4, 0x1b, 0x1b], &INITIAL);
    add(&mut frame, cie, &[9, 9, 9, 9]);
    // Personality pointers of every length.
    let cie = frame.cie("zPR", &[0x04, 1, 2, 3, 4, 5, 6, 7, 8, 0x1b], &INITIAL);
    add(&mut frame, cie, &[]);
    let cie = frame.cie("zPR", &[0x01, 0x80, 0x80, 0x01, 0x1b], &INITIAL);
    add(&mut frame, cie, &[]);
    let cie = frame.cie("zPR", &[0x0a, 0xff, 0xff, 0x1b], &INITIAL);
    add(&mut frame, cie, &[]);
    // A signal frame.
    let cie = frame.cie("zRS", &[0x1b], &INITIAL);
    add(&mut frame, cie, &[]);
    // An augmentation unknown here, with data of its own: skipped by the length.
    let cie = frame.cie("zRQ", &[0x1b, 0xde, 0xad], &INITIAL);
    add(&mut frame, cie, &[]);
    // Version 3: the return address register in ULEB128 (16 in two bytes here).
    let cie = frame.entry(false, None, |_| {
        let mut b = vec![3, b'z', b'R', 0, 1, 0x78, 0x90, 0x00, 1, 0x1b];
        b.extend(INITIAL);
        b
    });
    add(&mut frame, cie, &[]);
    // Version 4: address and segment sizes after the augmentation.
    let cie = frame.entry(false, None, |_| {
        let mut b = vec![4, b'z', b'R', 0, 8, 0, 1, 0x78, 16, 1, 0x1b];
        b.extend(INITIAL);
        b
    });
    add(&mut frame, cie, &[]);
    let cfi = load(&frame, &fdes);
    for &(start, _) in &fdes {
        assert_eq!(
            cfi.row(start + 4),
            row(rsp(48), Rule::Offset(-8), Rule::Undefined),
            "{start:#x}"
        );
    }

    // What cannot be read: augmentation data without `z`, unknown versions, 'R' omitted.
    for (version, aug, data) in [
        (1, &b"eh"[..], &[0u8; 8][..]),
        (2, b"zR", &[1, 0x1b]),
        (5, b"zR", &[1, 0x1b]),
        (1, b"zR", &[1, 0xff]),
        (1, b"zPR", &[2, 0x50, 0]),
    ] {
        let mut frame = Frame::new();
        let cie = frame.entry(false, None, |_| {
            let mut b = vec![version];
            b.extend(aug);
            b.extend([0, 1, 0x78, 16]);
            b.extend(data);
            b.extend(INITIAL);
            b
        });
        let fde = frame.fde(cie, 0x1000, 0x10, &[]);
        let aug = String::from_utf8_lossy(aug);
        assert_eq!(
            load(&frame, &[(0x1000, fde)]).row(0x1000),
            None,
            "{version} {aug}"
        );
    }
}

#[test]
fn the_64_bit_length_is_followed() {
    let mut frame = Frame::new();
    let cie = frame.entry(true, None, |_| {
        let mut b = vec![1, b'z', b'R', 0, 1, 0x78, 16, 1, 0x1b];
        b.extend(INITIAL);
        b
    });
    let fde = frame.entry(true, Some(cie), |at| {
        let mut b = pcrel(0x1000, at).to_vec();
        b.extend(0x10u32.to_le_bytes());
        b.extend([0, 0x44, 0x0e, 16]);
        b
    });
    let cfi = load(&frame, &[(0x1000, fde)]);
    assert_eq!(cfi.row(0x1003).unwrap().cfa, rsp(8));
    assert_eq!(cfi.row(0x1004).unwrap().cfa, rsp(16));
}

#[test]
fn every_instruction_sets_the_rules_it_names() {
    let mut frame = Frame::new();
    // Here the CIE also says where rbp is, so that restoring it is seen.
    let cie = frame.cie("zR", &[0x1b], &[0x0c, 7, 8, 0x80 | RA, 1, 0x86, 3]);
    let code: &[&[u8]] = &[
        &[0x0f, 2, 0x77, 0x08],       // 0x00 def_cfa_expression
        &[0x0c, 7, 16],               // 0x01 def_cfa rsp, 16
        &[0x10, RA, 1, 0x9c],         // 0x02 expression ra
        &[0x06, RA],                  // 0x03 restore_extended ra
        &[0x16, 6, 1, 0x9c],          // 0x04 val_expression rbp
        &[0x14, 6, 2],                // 0x05 val_offset rbp
        &[0x15, 6, 0x7e],             // 0x06 val_offset_sf rbp
        &[0x09, RA, 0],               // 0x07 register ra, rax
        &[0x05, RA, 3],               // 0x08 offset_extended ra, 3 * -8
        &[0x11, 6, 0x7e],             // 0x09 offset_extended_sf rbp, -2 * -8
        &[0x2f, 6, 2],                // 0x0a GNU_negative_offset_extended rbp, -(2 * -8)
        &[0x2e, 0x0b],                // 0x0b GNU_args_size 11 (not restore_state)
        &[0x12, 6, 0x7c],             // 0x0c def_cfa_sf rbp, -4 * -8
        &[0x13, 0x7a],                // 0x0d def_cfa_offset_sf -6 * -8
        &[0x07, RA],                  // 0x0e undefined ra
        &[0xc0 | RA, 0xc6],           // 0x0f restore ra, rbp
        &[0x05, 100, 1, 0x07, 5],     // 0x10 registers not tracked
        &[0x0a, 0x0a, 0x0f, 1, 0x9c], // 0x11 remember twice, def_cfa_expression
        &[0x0b],                      // 0x12 restore_state
        &[0x0b],                      // 0x13 restore_state
    ];
    let mut instructions = Vec::new();
    for (i, step) in code.iter().enumerate() {
        if i > 0 {
            instructions.push(0x41);
        }
        instructions.extend(*step);
    }
    // The last rows: advance_loc2 and advance_loc4.
    instructions.extend([0x03, 0x10, 0x00, 0x0e, 40, 0x04, 0x10, 0, 0, 0, 0x0e, 56]);
    let fde = frame.fde(cie, 0x1000, 0x100, &instructions);
    let cfi = load(&frame, &[(0x1000, fde)]);
    let (off, und, other) = (Rule::Offset, Rule::Undefined, Rule::Other);
    let expect = [
        (Cfa::Expression, off(-8), off(-24)),
        (rsp(16), off(-8), off(-24)),
        (rsp(16), other, off(-24)),
        (rsp(16), off(-8), off(-24)),
        (rsp(16), off(-8), other),
        (rsp(16), off(-8), other),
        (rsp(16), off(-8), other),
        (rsp(16), other, other),
        (rsp(16), off(-24), other),
        (rsp(16), off(-24), off(16)),
        (rsp(16), off(-24), off(16)),
        (rsp(16), off(-24), off(16)),
        (rbp(32), off(-24), off(16)),
        (rbp(48), off(-24), off(16)),
        (rbp(48), und, off(16)),
        (rbp(48), off(-8), off(-24)),
        (rbp(48), off(-8), off(-24)),
        (Cfa::Expression, off(-8), off(-24)),
        (rbp(48), off(-8), off(-24)),
        (rbp(48), off(-8), off(-24)),
    ];
    for (pc, (cfa, ra, rbp)) in (0x1000..).zip(expect) {
        assert_eq!(cfi.row(pc), row(cfa, ra, rbp), "{pc:#x}");
    }
    let last = 0x1000 + code.len() as u64 - 1;
    assert_eq!(cfi.row(last + 0x0f).unwrap().cfa, rbp(48));
    assert_eq!(cfi.row(last + 0x10).unwrap().cfa, rbp(40));
    assert_eq!(cfi.row(last + 0x1f).unwrap().cfa, rbp(40));
    assert_eq!(cfi.row(last + 0x20).unwrap().cfa, rbp(56));
}

#[test]
fn malformed_entries_give_none() {
    // Each FDE's instructions, and whether the row at its second byte is still found (the
    // fault comes after it).
    let cases: &[(&[u8], bool)] = &[
        (&[0x41, 0x0b], false),             // restore_state without remember_state
        (&[0x41, 0x0e, 0x80], false),       // ULEB128 cut by the end of the entry
        (&[0x41, 0x0f, 9, 0], false),       // expression longer than the entry
        (&[0x41, 0x3f], false),             // unknown opcode
        (&[0x41, 0x1d, 1, 0, 0, 0], false), // DW_CFA_MIPS_advance_loc8: not for x86_64
        (&[0x41, 0x0f, 0, 0x0e, 8], false), // def_cfa_offset after an expression
        (&[0x41, 0x0f, 0, 0x0d, 6], false), // def_cfa_register after an expression
        (&[0x41, 0x0c, 0x80, 0x80, 0x04, 8], false), // register number past 16 bits
        (
            &[
                0x41, 0x0c, 7, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
            ],
            false,
        ),
        (&[0x41; 20], true), // rows past the function are never reached
        (&[0x0e, 8, 0x43, 0x0e], true), // cut after the row sought
    ];
    for &(instructions, early) in cases {
        let mut frame = Frame::new();
        let cie = frame.cie("zR", &[0x1b], &INITIAL);
        let fde = frame.fde(cie, 0x1000, 0x10, instructions);
        let cfi = load(&frame, &[(0x1000, fde)]);
        assert_eq!(cfi.row(0x1001).is_some(), early, "{instructions:x?}");
        assert!(cfi.row(0x1000).is_some(), "{instructions:x?}");
    }
    // set_loc backwards.
    let mut frame = Frame::new();
    let cie = frame.cie("zR", &[0x03], &INITIAL);
    let fde = frame.entry(false, Some(cie), |_| {
        let mut b = raw(0x03, 0x1000);
        b.extend(raw(0x03, 0x10));
        b.extend([0, 0x42, 0x01]);
        b.extend(raw(0x03, 0x1001));
        b
    });
    let cfi = load(&frame, &[(0x1000, fde)]);
    assert!(cfi.row(0x1001).is_some());
    assert_eq!(cfi.row(0x1002), None);
    // Instructions that are not for a CIE: advancing, restoring.
    for initial in [&[0x41][..], &[0xc6], &[0x06, 6], &[0x01, 0, 0, 0, 0]] {
        let mut frame = Frame::new();
        let cie = frame.cie("zR", &[0x1b], initial);
        let fde = frame.fde(cie, 0x1000, 0x10, &[]);
        assert_eq!(
            load(&frame, &[(0x1000, fde)]).row(0x1000),
            None,
            "{initial:x?}"
        );
    }

    let mut frame = Frame::new();
    let cie = frame.cie("zR", &[0x1b], &INITIAL);
    let fde = frame.fde(cie, 0x1000, 0x10, &[0x41, 0x0e, 16]);
    let good = frame.bytes.clone();
    // An FDE cut short by the end of the section, at every length.
    for len in 0..good.len() {
        frame.bytes = good[..len].to_vec();
        assert_eq!(load(&frame, &[(0x1000, fde)]).row(0x1001), None, "{len}");
    }
    // An FDE whose length runs past the section, 32 or 64 bits.
    frame.bytes = good.clone();
    frame.bytes[fde..fde + 4].copy_from_slice(&100u32.to_le_bytes());
    assert_eq!(load(&frame, &[(0x1000, fde)]).row(0x1001), None);
    frame.bytes = good[..fde].to_vec();
    frame.bytes.extend(u32::MAX.to_le_bytes());
    frame.bytes.extend(u64::MAX.to_le_bytes());
    frame.bytes.extend(&good[fde + 4..]);
    assert_eq!(load(&frame, &[(0x1000, fde)]).row(0x1001), None);
    // The table pointing at the CIE, at the zero terminator, before or past the section.
    frame.bytes = good.clone();
    frame.bytes.extend([0; 4]);
    for wrong in [cie, good.len(), usize::MAX, 1 << 40] {
        let hdr = hdr(0x04, &[(0x1000, wrong)]);
        let cfi = Cfi::new(hdr, HDR, frame.bytes.clone(), FRAME).unwrap();
        assert_eq!(cfi.row(0x1001), None, "{wrong:#x}");
    }
    // An FDE whose CIE pointer leads to an FDE, or before the section.
    for id in [4, fde as u32 + 5, u32::MAX] {
        frame.bytes = good.clone();
        frame.bytes[fde + 4..fde + 8].copy_from_slice(&id.to_le_bytes());
        assert_eq!(load(&frame, &[(0x1000, fde)]).row(0x1001), None, "{id:#x}");
    }
}

#[test]
fn unusable_headers_give_none() {
    let table = hdr(0x3b, &[(0x1000, 0)]);
    let new = |hdr: Vec<u8>| Cfi::new(hdr, HDR, Vec::new(), FRAME);
    assert!(new(table.clone()).is_some());
    let mut version = table.clone();
    version[0] = 2;
    assert!(new(version).is_none(), "version 2");
    for (at, enc, why) in [
        (2, 0xff, "no count"),
        (2, 0x13, "a relative count"),
        (3, 0xff, "no table"),
        (3, 0x01, "a table of ULEB128"),
        (3, 0x09, "a table of SLEB128"),
        (3, 0xbb, "an indirect table"),
        (3, 0x2b, "a text-relative table"),
        (1, 0xff, "no .eh_frame pointer"),
        (1, 0x9b, "an indirect .eh_frame pointer"),
    ] {
        let mut hdr = table.clone();
        hdr[at] = enc;
        assert!(new(hdr).is_none(), "{why}");
    }
    for len in 0..table.len() {
        assert!(new(table[..len].to_vec()).is_none(), "cut to {len}");
    }
    // An empty table is usable, and finds nothing.
    let empty = Cfi::new(hdr(0x3b, &[]), HDR, Vec::new(), FRAME).unwrap();
    assert_eq!(empty.row(0x1000), None);
}

#[test]
fn any_corruption_gives_an_answer_without_panicking() {
    let mut frame = Frame::new();
    let cie = frame.cie("zPLR", &[0x9b, 1, 2, 3, 4, 0x1b, 0x1b], &INITIAL);
    let fde = frame.entry(false, Some(cie), |at| {
        let mut b = pcrel(0x1000, at).to_vec();
        b.extend(0x40u32.to_le_bytes());
        b.extend([4, 0, 0, 0, 0]);
        b.extend([
            0x41, 0x0e, 16, 0x86, 2, 0x43, 0x0d, 6, 0x0a, 0x41, 0x0b, 0x01, 0, 0, 0, 0,
        ]);
        b
    });
    frame.bytes.extend([0; 4]);
    let table = hdr(0x3b, &[(0x1000, fde)]);
    let lookups = |hdr: &[u8], frame: &[u8]| {
        if let Some(cfi) = Cfi::new(hdr.to_vec(), HDR, frame.to_vec(), FRAME) {
            for pc in (0xff0..0x1050).step_by(3) {
                let _ = cfi.row(pc);
            }
        }
    };
    for at in 0..frame.bytes.len() {
        for value in [0, 1, 0x7f, 0x80, 0xff, frame.bytes[at] ^ 0x40] {
            let mut bytes = frame.bytes.clone();
            bytes[at] = value;
            lookups(&table, &bytes);
        }
    }
    for at in 0..table.len() {
        for value in [0, 1, 0x7f, 0x80, 0xff, table[at] ^ 0x40] {
            let mut bytes = table.clone();
            bytes[at] = value;
            lookups(&bytes, &frame.bytes);
        }
    }
}
