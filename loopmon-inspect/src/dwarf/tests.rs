//! The reader on hand-built bytes: LEB128, abbreviations, line programs (DWARF 4 and 5 file
//! tables), range lists, a small tree of functions with an inlined call; and the same bytes
//! cut short or corrupted, which must give fewer frames, never a panic.

use super::abbrev::Abbrevs;
use super::reader::Reader;
use super::{Dwarf, DwarfFrame};
use std::collections::HashMap;

mod lines;
mod names;
mod oracle;
mod real_damage;
mod rustc_names;
mod tree;

/// Little-endian bytes, appended.
#[derive(Default, Clone)]
struct Bytes(Vec<u8>);

impl Bytes {
    /// Appends a byte.
    fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }
    /// Appends a little-endian `u16`.
    fn u16(&mut self, v: u16) -> &mut Self {
        self.0.extend(v.to_le_bytes());
        self
    }
    /// Appends a little-endian `u32`.
    fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend(v.to_le_bytes());
        self
    }
    /// Appends a little-endian `u64`.
    fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend(v.to_le_bytes());
        self
    }
    /// Appends an unsigned LEB128 number.
    fn uleb(&mut self, mut v: u64) -> &mut Self {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                return self.u8(byte);
            }
            self.u8(byte | 0x80);
        }
    }
    /// Appends a signed LEB128 number.
    fn sleb(&mut self, mut v: i64) -> &mut Self {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if (v == 0 && byte & 0x40 == 0) || (v == -1 && byte & 0x40 != 0) {
                return self.u8(byte);
            }
            self.u8(byte | 0x80);
        }
    }
    /// Appends a NUL-ended string.
    fn str(&mut self, s: &str) -> &mut Self {
        self.0.extend(s.as_bytes());
        self.u8(0)
    }
    /// Appends bytes.
    fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.0.extend(b);
        self
    }
    /// How many bytes so far.
    fn len(&self) -> usize {
        self.0.len()
    }
    /// Appends abbreviation `code`: `tag`, with children or not, and `attrs` as
    /// (`DW_AT_*`, `DW_FORM_*`) pairs.
    fn abbrev(&mut self, code: u64, tag: u64, children: bool, attrs: &[(u64, u64)]) -> &mut Self {
        self.uleb(code).uleb(tag).u8(children.into());
        for &(at, form) in attrs {
            self.uleb(at).uleb(form);
        }
        self.uleb(0).uleb(0)
    }
    /// The bytes behind a 32-bit initial length.
    fn with_length(&self) -> Vec<u8> {
        let mut out = Bytes::default();
        out.u32(self.0.len() as u32).bytes(&self.0);
        out.0
    }
}

#[test]
fn leb128() {
    let data = [
        0x02, 0x7f, 0x80, 0x01, 0xe5, 0x8e, 0x26, // unsigned 2, 127, 128, 624485
        0x7e, 0x81, 0x7f, 0x80, 0x7f, 0x3f, 0x40, // signed -2, -127, -128, 63, -64
    ];
    let mut r = Reader::at(&data, 0);
    let unsigned: Vec<_> = (0..4).map(|_| r.uleb().unwrap()).collect();
    assert_eq!(unsigned, [2, 127, 128, 624485]);
    let signed: Vec<_> = (0..5).map(|_| r.sleb().unwrap()).collect();
    assert_eq!(signed, [-2, -127, -128, 63, -64]);
    assert!(r.is_empty() && r.uleb().is_none());
    // Cut short: no value. Set bits past the 64th: no value. Padded with groups of zeros: the
    // value.
    assert_eq!(Reader::at(&[0x80, 0x80], 0).uleb(), None);
    let long = [0xff; 12].iter().copied().chain([0x01]).collect::<Vec<_>>();
    assert_eq!(Reader::at(&long, 0).uleb(), None);
    let padded = [
        0x85, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00,
    ];
    assert_eq!(Reader::at(&padded, 0).uleb(), Some(5));
    let mut b = Bytes::default();
    b.uleb(u64::MAX).sleb(i64::MIN).sleb(i64::MAX);
    let mut r = Reader::at(&b.0, 0);
    assert_eq!(r.uleb(), Some(u64::MAX));
    assert_eq!((r.sleb(), r.sleb()), (Some(i64::MIN), Some(i64::MAX)));
}

#[test]
fn abbreviation_table() {
    let mut b = Bytes::default();
    b.u8(0xff); // another table's byte: this one starts at 1
                // Code 7: subprogram with children, name (strp), an implicit constant.
    b.uleb(7).uleb(0x2e).u8(1);
    b.uleb(0x03)
        .uleb(0x0e)
        .uleb(0x3a)
        .uleb(0x21)
        .sleb(-3)
        .uleb(0)
        .uleb(0);
    // Code 2: a variable without children or attributes.
    b.uleb(2).uleb(0x34).u8(0).uleb(0).uleb(0).uleb(0);
    let table = Abbrevs::parse(&b.0, 1).unwrap();
    let sub = table.get(7).unwrap();
    assert_eq!(
        (sub.tag, sub.has_children, sub.attrs.len()),
        (0x2e, true, 2)
    );
    assert_eq!((sub.attrs[1].name, sub.attrs[1].implicit), (0x3a, -3));
    assert_eq!(table.get(2).unwrap().tag, 0x34);
    assert!(table.get(1).is_none() && table.get(0).is_none());
    // Cut anywhere before its end: no table.
    for len in 1..b.len() - 1 {
        assert!(Abbrevs::parse(&b.0[..len], 1).is_none(), "{len}");
    }
}

/// The special opcode that advances the line by `line` and the address by `addr`, with
/// `line_base` -5, `line_range` 14, `opcode_base` 13.
fn special(line: i64, addr: u64) -> u8 {
    ((line + 5) as u64 + 14 * addr + 13) as u8
}

/// A line program of `version` 4 or 5 with `tables` as its directory and file tables, ending
/// its header, and `program`.
fn line_program(version: u16, tables: &Bytes, program: &Bytes) -> Vec<u8> {
    let mut fields = Bytes::default();
    fields.u8(1); // minimum_instruction_length
    fields.u8(1); // maximum_operations_per_instruction
    fields.u8(1).u8(-5i8 as u8).u8(14).u8(13); // default_is_stmt, line_base, line_range, base
    fields.bytes(&[0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1]);
    fields.bytes(&tables.0);
    let mut unit = Bytes::default();
    unit.u16(version);
    if version >= 5 {
        unit.u8(8).u8(0);
    }
    unit.u32(fields.len() as u32)
        .bytes(&fields.0)
        .bytes(&program.0);
    unit.with_length()
}

/// The program shared by the line table tests: two sequences, the opcodes of each kind.
fn program() -> Bytes {
    let mut p = Bytes::default();
    p.u8(0).uleb(9).u8(2).u64(0x1000); // set_address
    p.u8(3).sleb(9).u8(1); // advance_line to 10, copy: 0x1000 line 10
    p.u8(special(1, 8)); // 0x1008 line 11
    p.u8(4).uleb(2).u8(special(2, 4)); // file 2, 0x100c line 13
    p.u8(5).uleb(7).u8(10).u8(6); // column, prologue_end, negate_stmt: no row
    p.u8(2).uleb(0x34).u8(0).uleb(1).u8(1); // advance_pc to 0x1040, end_sequence
    p.u8(0).uleb(9).u8(2).u64(0x2000).u8(1); // a second sequence: 0x2000 line 1 file 1
    p.u8(8).u8(1); // const_add_pc (+17): 0x2011, same line
    p.u8(9).u16(0x100).u8(3).sleb(4).u8(1); // fixed_advance_pc: 0x2111 line 5
    p.u8(2).uleb(1).u8(0).uleb(1).u8(1); // end at 0x2112
    p
}

/// Sections by name.
type Map = HashMap<&'static str, Vec<u8>>;

/// The reader over `map`.
fn dwarf(map: &Map) -> Option<Dwarf> {
    Dwarf::new(|name| map.get(name).map(|s| Box::from(&s[..])))
}

/// Debug info of one unit over 0x1000..0x3000 in `/work`, with `lines` its line program,
/// and `children` (whose abbreviations are `abbrevs`) between its root and its end.
fn sections(version: u16, lines: Vec<u8>, children: &Bytes, abbrevs: &Bytes) -> Map {
    // Code 1: compile unit with children: comp_dir (string), stmt_list, low_pc, high_pc.
    let mut abbrev = Bytes::default();
    let root = [(0x1b, 0x08), (0x10, 0x17), (0x11, 0x01), (0x12, 0x06)];
    abbrev
        .abbrev(1, 0x11, true, &root)
        .bytes(&abbrevs.0)
        .uleb(0);
    let mut info = Bytes::default();
    info.u16(version);
    if version >= 5 {
        info.u8(1).u8(8).u32(0);
    } else {
        info.u32(0).u8(8);
    }
    info.uleb(1).str("/work").u32(0).u64(0x1000).u32(0x2000);
    info.bytes(&children.0).u8(0);
    Map::from([
        (".debug_info", info.with_length()),
        (".debug_abbrev", abbrev.0),
        (".debug_line", lines),
    ])
}

/// Where the root's children start in the unit built by `sections` (DWARF 4).
const CHILDREN_V4: u32 = 11 + 23;

/// The frame expected: `name` at `line` of `file`.
fn frame(name: Option<&str>, file: &str, line: u32) -> DwarfFrame {
    DwarfFrame {
        name: name.map(str::to_owned),
        file: Some(file.to_owned()),
        line: Some(line),
    }
}

/// Directories `src` and `/abs`; files `main.rs` in `src` and `lib.rs` in the unit's.
fn tables_v4() -> Bytes {
    let mut tables = Bytes::default();
    tables.str("src").str("/abs").u8(0);
    tables.str("main.rs").uleb(1).uleb(0).uleb(0);
    tables.str("lib.rs").uleb(0).uleb(0).uleb(0).u8(0);
    tables
}
