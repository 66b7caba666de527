//! The call frame instructions: a typical prologue and epilogues, then each instruction.

use super::*;

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
