//! Malformed entries and instructions give no row, and no corruption of a section panics.

use super::*;

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

/// This test binary's own `.eh_frame` and `.eh_frame_hdr`, damaged at random (a few bytes
/// overwritten each round): lookups give other rows or none, never a panic (the tests run
/// with overflow checks) or an endless loop.
#[test]
fn damaged_real_tables_never_panic() {
    let elf = crate::elf::Elf::parse(std::fs::File::open("/proc/self/exe").unwrap()).unwrap();
    let (hdr_addr, hdr) = elf.section(".eh_frame_hdr").unwrap();
    let (frame_addr, frame) = elf.section(".eh_frame").unwrap();
    let mut functions = elf.functions();
    functions.sort_unstable();
    let probes: Vec<u64> = (functions.iter().step_by((functions.len() / 200).max(1)))
        .map(|f| f.0 + f.1 / 2)
        .collect();
    let rows = |hdr: Vec<u8>, frame: Vec<u8>| {
        Cfi::new(hdr, hdr_addr, frame, frame_addr).map_or(0, |cfi| {
            probes.iter().filter(|&&p| cfi.row(p).is_some()).count()
        })
    };
    assert!(rows(hdr.clone(), frame.clone()) > probes.len() / 2);
    let mut random = crate::tests::xorshift(0x2545_f491_4f6c_dd1d_u64);
    for round in 0..400 {
        let (mut hdr, mut frame) = (hdr.clone(), frame.clone());
        let bytes = if round % 4 == 0 { &mut hdr } else { &mut frame };
        for _ in 0..1 + random() % 4 {
            let at = random() as usize % bytes.len();
            bytes[at] = random() as u8;
        }
        rows(hdr, frame);
    }
}
