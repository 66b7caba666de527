//! Functions and inlined calls, range lists of DWARF 4 and 5, and damaged debug info, on
//! hand-built units.

use super::*;

/// A function `outer` (0x1000..0x1040) with, in a lexical block, `inner` inlined at
/// 0x1008..0x1010 (called from line 42 of file 1), itself inlining `inner` again at
/// 0x100c..0x100e (line 7 of file 2), and a nested function `closure` at 0x2000..0x2100.
/// `inner`'s abstract instance has a linkage name.
fn tree() -> Map {
    let mut a = Bytes::default();
    let ranges = [(0x11, 0x01), (0x12, 0x06)]; // low_pc (addr), high_pc (data4)
    let name = (0x03, 0x08);
    a.abbrev(2, 0x2e, true, &[name, ranges[0], ranges[1]]);
    let inlined = [
        (0x31, 0x13),
        ranges[0],
        ranges[1],
        (0x58, 0x0b),
        (0x59, 0x0b),
    ];
    a.abbrev(3, 0x1d, false, &inlined);
    a.abbrev(7, 0x1d, true, &inlined);
    a.abbrev(4, 0x2e, false, &[name, (0x6e, 0x08), (0x20, 0x0b)]);
    a.abbrev(5, 0x0b, true, &[]);
    a.abbrev(6, 0x2e, false, &[name, ranges[0], ranges[1]]);
    let mut d = Bytes::default();
    d.uleb(4).str("inner").str("_ZN5inner").u8(1); // at CHILDREN_V4
    d.uleb(2).str("outer").u64(0x1000).u32(0x40);
    d.uleb(5); // lexical block
    d.uleb(7).u32(CHILDREN_V4).u64(0x1008).u32(8).u8(1).u8(42);
    d.uleb(3).u32(CHILDREN_V4).u64(0x100c).u32(2).u8(2).u8(7);
    d.u8(0); // end of the outer inlined call's children
    d.uleb(6).str("closure").u64(0x2000).u32(0x100);
    d.u8(0).u8(0); // end of the block's, then outer's children
    sections(4, line_program(4, &tables_v4(), &program()), &d, &a)
}

#[test]
fn functions_and_inlined_calls() {
    let dwarf = dwarf(&tree()).unwrap();
    let (main, lib) = ("/work/src/main.rs", "/work/lib.rs");
    assert_eq!(dwarf.find_frames(0x1000), [frame(Some("outer"), main, 10)]);
    assert_eq!(
        dwarf.find_frames(0x1008),
        [
            frame(Some("_ZN5inner"), main, 11),
            frame(Some("outer"), main, 42)
        ]
    );
    assert_eq!(
        dwarf.find_frames(0x100d),
        [
            frame(Some("_ZN5inner"), lib, 13),
            frame(Some("_ZN5inner"), lib, 7),
            frame(Some("outer"), main, 42)
        ]
    );
    assert_eq!(
        dwarf.find_frames(0x100e),
        [
            frame(Some("_ZN5inner"), lib, 13),
            frame(Some("outer"), main, 42)
        ]
    );
    // The nested function is a function of its own, not part of outer.
    assert_eq!(dwarf.find_frames(0x2000), [frame(Some("closure"), main, 1)]);
    // In the unit, but neither in a function nor in a line sequence.
    assert!(dwarf.find_frames(0x1040).is_empty());
}

/// One DWARF 5 unit whose root has `DW_AT_addr_base`, `DW_AT_rnglists_base` and
/// `DW_AT_ranges` as `DW_FORM_rnglistx` 0, its list using every kind of entry.
fn rnglists_v5() -> Map {
    // addr_base, rnglists_base (sec_offset), ranges (rnglistx).
    let root = [(0x73, 0x17), (0x74, 0x17), (0x55, 0x23)];
    let mut abbrev = Bytes::default();
    abbrev.abbrev(1, 0x11, false, &root).uleb(0);
    let mut info = Bytes::default();
    info.u16(5).u8(1).u8(8).u32(0); // version, compile unit, address size, abbreviations
    info.uleb(1).u32(8).u32(12).uleb(0);
    let mut addr = Bytes::default();
    addr.u16(5).u8(8).u8(0).u64(0x2000).u64(0x3000);
    let mut list = Bytes::default();
    list.u8(1).uleb(0).u8(4).uleb(0x10).uleb(0x20); // base_addressx, offset_pair
    list.u8(3).uleb(1).uleb(0x10); // startx_length
    list.u8(2).uleb(0).uleb(1); // startx_endx
    list.u8(6).u64(0x4000).u64(0x4010); // start_end
    list.u8(7).u64(0x5000).uleb(8); // start_length
    list.u8(5).u64(u64::MAX).u8(4).uleb(0).uleb(4); // dropped code: skipped
    list.u8(5)
        .u64(0x6000)
        .u8(4)
        .uleb(0)
        .uleb(4)
        .u8(4)
        .uleb(8)
        .uleb(8); // the second empty
    list.u8(0);
    let mut rnglists = Bytes::default();
    rnglists.u16(5).u8(8).u8(0).u32(1).u32(4).bytes(&list.0);
    Map::from([
        (".debug_info", info.with_length()),
        (".debug_abbrev", abbrev.0),
        (".debug_addr", addr.with_length()),
        (".debug_rnglists", rnglists.with_length()),
    ])
}

#[test]
fn range_list_v5() {
    let map = rnglists_v5();
    let dwarf = dwarf(&map).unwrap();
    let mut ranges: Vec<_> = dwarf.ranges.iter().map(|r| (r.begin, r.end)).collect();
    ranges.sort_unstable();
    let expected = [
        (0x2000, 0x3000),
        (0x2010, 0x2020),
        (0x3000, 0x3010),
        (0x4000, 0x4010),
        (0x5000, 0x5008),
        (0x6000, 0x6004),
    ];
    assert_eq!(ranges, expected);
}

/// A DWARF 4 unit with `DW_AT_low_pc` 0x1000 (the base) and `DW_AT_ranges` in
/// `.debug_ranges`, with a base address selection entry.
#[test]
fn range_list_v4() {
    let mut abbrev = Bytes::default();
    abbrev
        .abbrev(1, 0x11, false, &[(0x11, 0x01), (0x55, 0x17)])
        .uleb(0);
    let mut info = Bytes::default();
    info.u16(4).u32(0).u8(8).uleb(1).u64(0x1000).u32(16);
    let mut ranges = Bytes::default();
    ranges.u64(0xffff).bytes(&[0; 16]); // another list's end: this one starts at 16
    ranges
        .u64(0x10)
        .u64(0x20)
        .u64(u64::MAX)
        .u64(0x8000)
        .u64(0)
        .u64(4);
    ranges.u64(5).u64(5).u64(0).u64(0).u64(0x30).u64(0x40); // an empty one, the end
    let map = Map::from([
        (".debug_info", info.with_length()),
        (".debug_abbrev", abbrev.0),
        (".debug_ranges", ranges.0[8..].to_vec()),
    ]);
    let dwarf = dwarf(&map).unwrap();
    let ranges: Vec<_> = dwarf.ranges.iter().map(|r| (r.begin, r.end)).collect();
    assert_eq!(ranges, [(0x1010, 0x1020), (0x8000, 0x8004)]);
}

/// Every section of the tree cut at every length, and bytes overwritten at random: never a
/// panic or an endless loop, and never more frames than the intact data gives.
#[test]
fn damaged_debug_info_gives_fewer_frames() {
    let frames = damage(&tree(), &[0x1000, 0x1008, 0x100d, 0x2000, 0x2111]);
    assert_eq!(frames, [1, 2, 3, 1, 1]);
}

/// The same for the DWARF 5 parts: range lists, indexed addresses, file tables.
#[test]
fn damaged_dwarf_5_gives_fewer_frames() {
    damage(&rnglists_v5(), &[0x2010, 0x3008, 0x6000]);
    let frames = damage(&super::lines::table_v5(), &[0x1000, 0x100c, 0x2111]);
    assert_eq!(frames, [1, 1, 1]);
}

/// Damages `intact` in every way described above, checking that no lookup at `probes`
/// finds more frames than in the intact data; returns those counts.
pub(super) fn damage(intact: &Map, probes: &[u64]) -> Vec<usize> {
    let most = |map: &Map| {
        let dwarf = dwarf(map);
        (probes.iter())
            .map(|&p| dwarf.as_ref().map_or(0, |d| d.find_frames(p).len()))
            .collect::<Vec<_>>()
    };
    let full = most(intact);
    let mut names: Vec<_> = intact.keys().copied().collect();
    names.sort_unstable();
    for &name in &names {
        for len in 0..intact[name].len() {
            let mut map = intact.clone();
            map.get_mut(name).unwrap().truncate(len);
            let got = most(&map);
            assert!(
                got.iter().zip(&full).all(|(g, f)| g <= f),
                "{name} cut at {len}"
            );
        }
    }
    let mut random = crate::tests::xorshift(0x2545_f491_4f6c_dd1d_u64);
    for _ in 0..3000 {
        let mut map = intact.clone();
        let name = names[random() as usize % names.len()];
        let section = map.get_mut(name).unwrap();
        for _ in 0..1 + random() % 3 {
            let i = random() as usize % section.len();
            section[i] = random() as u8;
        }
        // Corrupt data may name other lines: only the absence of panics and hangs is checked.
        most(&map);
    }
    full
}
