//! CIEs and FDEs: the pointer encodings, the augmentations, the versions and the 64-bit length.

use super::*;

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
