//! The search table of `.eh_frame_hdr`: each function found, every fixed-size encoding, and
//! the headers that cannot be used.

use super::*;

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
