//! Line tables on hand-built programs: DWARF 4 and 5 file tables, every kind of opcode, the
//! 64-bit format.

use super::*;

#[test]
fn line_program_v4() {
    let map = sections(
        4,
        line_program(4, &tables_v4(), &program()),
        &Bytes::default(),
        &Bytes::default(),
    );
    let dwarf = dwarf(&map).unwrap();
    let at = |probe| dwarf.find_frames(probe);
    let main = "/work/src/main.rs";
    assert_eq!(at(0x1000), [frame(None, main, 10)]);
    assert_eq!(at(0x1007), [frame(None, main, 10)]);
    assert_eq!(at(0x1008), [frame(None, main, 11)]);
    assert_eq!(at(0x103f), [frame(None, "/work/lib.rs", 13)]);
    assert_eq!(at(0x2010), [frame(None, main, 1)]);
    assert_eq!(at(0x2111), [frame(None, main, 5)]);
    // Between the sequences, after them, before the unit: nothing.
    assert!(at(0x1040).is_empty() && at(0x2112).is_empty() && at(0xfff).is_empty());
}

/// A unit with a DWARF 5 line table: directories `/work`, `src`, `/abs`; files `lib.rs`
/// (directory 0), `main.rs` (in `src`), `x.rs` (in `/abs`), each with an MD5 sum.
pub(super) fn table_v5() -> Map {
    let mut t = Bytes::default();
    // Directories: (path, string). Files: (path, string), (directory_index, udata), (MD5, data16).
    t.u8(1)
        .uleb(1)
        .uleb(0x08)
        .uleb(3)
        .str("/work")
        .str("src")
        .str("/abs");
    t.u8(3)
        .uleb(1)
        .uleb(0x08)
        .uleb(2)
        .uleb(0x0f)
        .uleb(5)
        .uleb(0x1e);
    t.uleb(3).str("lib.rs").uleb(0).bytes(&[0xaa; 16]); // file 0: the unit's directory
    t.str("main.rs").uleb(1).bytes(&[0xbb; 16]);
    t.str("x.rs").uleb(2).bytes(&[0xcc; 16]);
    let mut p = program();
    p.0[16] = 0; // at 0x100c, file 0 rather than 2
    sections(
        5,
        line_program(5, &t, &p),
        &Bytes::default(),
        &Bytes::default(),
    )
}

#[test]
fn line_program_v5_file_table() {
    let map = table_v5();
    let dwarf = dwarf(&map).unwrap();
    assert_eq!(
        dwarf.find_frames(0x1000),
        [frame(None, "/work/src/main.rs", 10)]
    );
    assert_eq!(dwarf.find_frames(0x100c), [frame(None, "/work/lib.rs", 13)]);
    let lines = dwarf.lines(&dwarf.units[0]).unwrap();
    assert_eq!(lines.file(2), Some("/abs/x.rs"));
}

/// A unit and its line program in the 64-bit DWARF format: lengths after `0xffffffff`, and
/// section offsets (the abbreviations', `DW_FORM_strp`, `DW_FORM_sec_offset`, the line
/// program's header length) of 8 bytes.
#[test]
fn dwarf_64_bit_format() {
    let root = [
        (0x03, 0x0e),
        (0x1b, 0x08),
        (0x10, 0x17),
        (0x11, 0x01),
        (0x12, 0x07),
    ];
    let mut abbrev = Bytes::default();
    abbrev.abbrev(1, 0x11, false, &root).uleb(0);
    let mut info = Bytes::default();
    info.u16(4).u64(0).u8(8); // version, abbreviations' offset, address size
    info.uleb(1)
        .u64(1)
        .str("/work")
        .u64(0)
        .u64(0x1000)
        .u64(0x2000);
    let mut long = Bytes::default();
    long.u32(0xffff_ffff).u64(info.len() as u64).bytes(&info.0);
    // The line program of the other tests, its header length widened to 8 bytes.
    let short = line_program(4, &tables_v4(), &program());
    let mut line = Bytes::default();
    line.u32(0xffff_ffff)
        .u64(short.len() as u64 - 4 + 4)
        .bytes(&short[4..6]);
    let header_len = u32::from_le_bytes(short[6..10].try_into().unwrap());
    line.u64(u64::from(header_len)).bytes(&short[10..]);
    let map = Map::from([
        (".debug_info", long.0),
        (".debug_abbrev", abbrev.0),
        (".debug_line", line.0),
        (".debug_str", b"\0main.rs\0".to_vec()),
    ]);
    let dwarf = dwarf(&map).unwrap();
    assert_eq!(
        dwarf.find_frames(0x1008),
        [frame(None, "/work/src/main.rs", 11)]
    );
    assert_eq!(dwarf.units[0].enc.offset_size, 8);
}

/// A DWARF 5 file table whose entries have no fields, and claim to be countless: no table,
/// at once.
#[test]
fn endless_empty_file_table() {
    let mut t = Bytes::default();
    t.u8(1).uleb(1).uleb(0x08).uleb(1).str("/work");
    t.u8(0).uleb(u64::MAX);
    let map = sections(
        5,
        line_program(5, &t, &program()),
        &Bytes::default(),
        &Bytes::default(),
    );
    let dwarf = dwarf(&map).unwrap();
    assert!(dwarf.find_frames(0x1000).is_empty());
    assert!(dwarf.lines(&dwarf.units[0]).is_none());
}
