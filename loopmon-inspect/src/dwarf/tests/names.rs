//! Plain names qualified with their scopes, on hand-built units: namespaces and types around
//! a function, an unnamed namespace, a reference into another unit, and a linkage name, which
//! is kept as it is.

use super::tree::damage;
use super::*;

/// A unit with `app::{unnamed}::Conn::poll` (declared, no code), `app::Conn::close` with a
/// linkage name (0x2800..0x2810), `app::run` (0x1000..0x1040, with `poll` inlined at
/// 0x1008..0x1010 and `other::helper` of the second unit at 0x1010..0x1018) and `top`
/// (0x2000..0x2100) at the root; and a second unit with `other::helper`, declared.
fn scoped() -> Map {
    let mut a = Bytes::default();
    let (name, ranges) = ((0x03, 0x08), [(0x11, 0x01), (0x12, 0x06)]);
    let call = [(0x58, 0x0b), (0x59, 0x0b)];
    a.abbrev(10, 0x39, true, &[name]); // namespace
    a.abbrev(11, 0x39, true, &[]); // unnamed namespace
    a.abbrev(12, 0x13, true, &[name]); // structure
    a.abbrev(13, 0x2e, false, &[name]); // declared function
    a.abbrev(14, 0x2e, true, &[name, ranges[0], ranges[1]]);
    let origin = |form| [(0x31, form), ranges[0], ranges[1], call[0], call[1]];
    a.abbrev(15, 0x1d, false, &origin(0x13)); // abstract_origin, ref4
    a.abbrev(16, 0x1d, false, &origin(0x10)); // abstract_origin, ref_addr
    a.abbrev(17, 0x2e, false, &[name, (0x6e, 0x08), ranges[0], ranges[1]]);
    let mut d = Bytes::default();
    d.uleb(10).str("app").uleb(11).uleb(12).str("Conn");
    let poll = CHILDREN_V4 + d.len() as u32;
    d.uleb(13).str("poll");
    d.uleb(17)
        .str("close")
        .str("_ZN3app4Conn5close")
        .u64(0x2800)
        .u32(0x10);
    d.u8(0).u8(0); // end of Conn's, then of the unnamed namespace's children
    d.uleb(14).str("run").u64(0x1000).u32(0x40);
    d.uleb(15).u32(poll).u64(0x1008).u32(8).u8(1).u8(42);
    let patch = CHILDREN_V4 as usize + d.len() + 1;
    d.uleb(16).u32(0).u64(0x1010).u32(8).u8(1).u8(43);
    d.u8(0).u8(0); // end of run's, then of app's children
    d.uleb(14).str("top").u64(0x2000).u32(0x100).u8(0);
    let mut map = sections(4, line_program(4, &tables_v4(), &program()), &d, &a);
    // The second unit: root, namespace `other`, `helper`.
    let mut other = Bytes::default();
    other.u16(4).u32(0).u8(8);
    other.uleb(1).str("/work").u32(0).u64(0x5000).u32(0x10);
    other.uleb(10).str("other");
    let info = map.get_mut(".debug_info").unwrap();
    let helper = (info.len() + 4 + other.len()) as u32;
    other.uleb(13).str("helper").u8(0).u8(0);
    info[patch..patch + 4].copy_from_slice(&helper.to_le_bytes());
    info.extend(other.with_length());
    map
}

/// The names of the frames at `probe`.
fn names(dwarf: &Dwarf, probe: u64) -> Vec<String> {
    (dwarf.find_frames(probe).into_iter())
        .map(|f| f.name.unwrap_or_default())
        .collect()
}

#[test]
fn plain_names_are_qualified_with_their_scopes() {
    let dwarf = dwarf(&scoped()).unwrap();
    assert_eq!(names(&dwarf, 0x1000), ["app::run"]);
    assert_eq!(names(&dwarf, 0x1008), ["app::Conn::poll", "app::run"]);
    assert_eq!(names(&dwarf, 0x1010), ["other::helper", "app::run"]);
    assert_eq!(names(&dwarf, 0x2000), ["top"]);
    assert_eq!(names(&dwarf, 0x2800), ["_ZN3app4Conn5close"]);
}

/// Cut short or overwritten: never a panic, never more frames than the intact data gives.
#[test]
fn damaged_scopes_give_fewer_frames() {
    let frames = damage(&scoped(), &[0x1000, 0x1008, 0x1010, 0x2000, 0x2800]);
    assert_eq!(frames, [1, 2, 2, 1, 1]);
}
