//! The ELF reader against the `object` crate, on the binaries this test process maps.

use super::super::elf::Elf;
use object::{Object, ObjectSection, ObjectSegment, ObjectSymbol, SymbolKind};
use std::fs::File;

/// The files with code mapped in this process: the test binary, libc, the dynamic loader...
fn mapped_binaries() -> Vec<String> {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let mut paths: Vec<String> = maps
        .lines()
        .filter(|l| l.split_whitespace().nth(1).is_some_and(|p| p.contains('x')))
        .filter_map(|l| l.split_whitespace().nth(5).map(str::to_owned))
        .filter(|p| p.starts_with('/'))
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

#[test]
fn segments_sections_and_functions_match_object() {
    let paths = mapped_binaries();
    assert!(
        paths.len() >= 2,
        "the test binary and libc at least: {paths:?}"
    );
    let mut functions = 0;
    for path in &paths {
        let ours = Elf::parse(File::open(path).unwrap()).expect(path);
        let data = std::fs::read(path).unwrap();
        let theirs = object::File::parse(&*data).unwrap();
        for seg in theirs.segments() {
            let (offset, size) = seg.file_range();
            let found = ours.segment_holding(offset).expect("a segment");
            if size > 0 {
                assert_eq!(
                    (found.offset, found.address),
                    (offset, seg.address()),
                    "{path}"
                );
            }
        }
        for name in [
            ".text",
            ".eh_frame",
            ".eh_frame_hdr",
            ".debug_info",
            ".debug_line",
            ".debug_abbrev",
            ".debug_str",
            ".dynstr",
        ] {
            let Some(s) = theirs.section_by_name(name) else {
                assert_eq!(ours.address_of(name), None, "{path} {name}");
                continue;
            };
            assert_eq!(ours.address_of(name), Some(s.address()), "{path} {name}");
            let compressed =
                s.compressed_file_range().unwrap().format != object::CompressionFormat::None;
            match ours.section(name) {
                Some((address, bytes)) => {
                    assert!(!compressed, "{path} {name}");
                    assert_eq!(address, s.address());
                    assert_eq!(bytes, s.data().unwrap(), "{path} {name}");
                }
                None => assert!(compressed || s.data().unwrap().is_empty(), "{path} {name}"),
            }
        }
        let mut expected: Vec<(u64, u64, String)> = theirs
            .symbols()
            .chain(theirs.dynamic_symbols())
            .filter(|s| s.kind() == SymbolKind::Text && s.address() != 0 && !s.is_undefined())
            .map(|s| (s.address(), s.size(), s.name().unwrap().to_owned()))
            .collect();
        let mut got: Vec<(u64, u64, String)> = ours
            .functions()
            .into_iter()
            .map(|(a, s, n)| (a, s, n.into()))
            .collect();
        expected.sort();
        got.sort();
        assert_eq!(got.len(), expected.len(), "{path}");
        assert!(got == expected, "{path}: function symbols differ");
        functions += got.len();
    }
    assert!(
        functions > 1000,
        "{functions} function symbols in {paths:?}"
    );
}

#[test]
fn malformed_files_give_none_or_nothing() {
    let dir = std::env::temp_dir().join(format!("loopmon-elf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        File::open(path).unwrap()
    };
    assert!(Elf::parse(write("empty", b"")).is_none());
    assert!(Elf::parse(write("text", b"#!/bin/sh\necho not elf\n")).is_none());
    // A header claiming 32-bit or big-endian.
    let mut header = vec![0u8; 64];
    header[..6].copy_from_slice(b"\x7fELF\x01\x01");
    assert!(Elf::parse(write("elf32", &header)).is_none());
    // A 64-bit header whose tables lie past the end of the file.
    header[..6].copy_from_slice(b"\x7fELF\x02\x01");
    header[0x20..0x28].copy_from_slice(&4096u64.to_le_bytes()); // program headers
    header[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
    header[0x38..0x3a].copy_from_slice(&3u16.to_le_bytes());
    assert!(Elf::parse(write("past_end", &header)).is_none());
    // No tables at all: parses, and has nothing.
    header[0x20..0x28].copy_from_slice(&0u64.to_le_bytes());
    header[0x38..0x3a].copy_from_slice(&0u16.to_le_bytes());
    let elf = Elf::parse(write("bare", &header)).unwrap();
    assert_eq!(elf.segment_holding(0), None);
    assert_eq!(elf.section(".text"), None);
    assert!(elf.functions().is_empty());
    // An absurd section count is refused rather than allocated.
    header[0x28..0x30].copy_from_slice(&64u64.to_le_bytes());
    header[0x3a..0x3c].copy_from_slice(&64u16.to_le_bytes());
    header[0x3c..0x3e].copy_from_slice(&0xffffu16.to_le_bytes());
    let elf = Elf::parse(write("many", &header));
    assert!(elf.is_none_or(|e| e.functions().is_empty()));
    std::fs::remove_dir_all(&dir).unwrap();
}
