//! Just enough of the ELF format to read a mapped binary's tables: its loadable segments (to
//! place the file in memory), its sections by name, and its function symbols.
//!
//! Only little-endian 64-bit files are read (the `stacks` feature's one target is x86_64
//! Linux). The file is read with positioned reads, never memory-mapped: a binary replaced or
//! truncated on disk while it runs cannot fault the process, it only fails to parse. Every
//! offset and size taken from the file is checked before use; a malformed file gives `None`
//! or fewer symbols, never a panic.

use std::fs::File;
use std::os::unix::fs::FileExt;

/// A section's flag: its contents are compressed (`SHF_COMPRESSED`).
const SHF_COMPRESSED: u64 = 0x800;
/// Section types: symbol tables, and a section with no bytes in the file (`.bss`, or a debug
/// section of a binary whose debug info was split off).
const SHT_SYMTAB: u32 = 2;
const SHT_NOBITS: u32 = 8;
const SHT_DYNSYM: u32 = 11;
/// A loadable segment's program header type.
const PT_LOAD: u32 = 1;
/// Symbol types naming code: a function, and an indirect function (resolved at load time).
const STT_FUNC: u8 = 2;
const STT_GNU_IFUNC: u8 = 10;
/// The largest table read into memory: headers and symbol tables of real binaries are far
/// smaller; a larger size means a corrupt file.
const MAX_TABLE: u64 = 1 << 30;

/// An opened ELF file: its segments and section headers, read once.
pub(super) struct Elf {
    file: File,
    segments: Vec<Segment>,
    sections: Vec<SectionHeader>,
    /// The section name string table.
    names: Vec<u8>,
}

/// A loadable segment (`PT_LOAD`): where its bytes are in the file and at which address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Segment {
    /// Offset of its first byte in the file.
    pub(super) offset: u64,
    /// Its address in the file's address space (SVMA).
    pub(super) address: u64,
    /// Its size in the file.
    pub(super) size: u64,
}

#[derive(Debug, Clone, Copy)]
struct SectionHeader {
    name: u32,
    kind: u32,
    flags: u64,
    address: u64,
    offset: u64,
    size: u64,
    link: u32,
}

/// A little-endian field reader over a header's bytes; reads past the end give `None`.
struct Fields<'a>(&'a [u8]);

impl Fields<'_> {
    fn bytes<const N: usize>(&self, at: usize) -> Option<[u8; N]> {
        self.0.get(at..at.checked_add(N)?)?.try_into().ok()
    }
    fn u16(&self, at: usize) -> Option<u16> {
        self.bytes(at).map(u16::from_le_bytes)
    }
    fn u32(&self, at: usize) -> Option<u32> {
        self.bytes(at).map(u32::from_le_bytes)
    }
    fn u64(&self, at: usize) -> Option<u64> {
        self.bytes(at).map(u64::from_le_bytes)
    }
}

impl Elf {
    /// Reads the headers of `file`; `None` if it is not a little-endian 64-bit ELF file or its
    /// headers are out of bounds.
    pub(super) fn parse(file: File) -> Option<Elf> {
        let header = read(&file, 0, 64)?;
        let h = Fields(&header);
        if header.get(..6)? != b"\x7fELF\x02\x01" {
            return None; // not ELF, or not 64-bit little-endian
        }
        let (phoff, shoff) = (h.u64(0x20)?, h.u64(0x28)?);
        let (phentsize, phnum) = (h.u16(0x36)?, h.u16(0x38)?);
        let (shentsize, shnum, shstrndx) = (h.u16(0x3a)?, h.u16(0x3c)?, h.u16(0x3e)?);
        let segments = if phnum == 0 || phentsize < 56 {
            Vec::new()
        } else {
            let table = read(&file, phoff, u64::from(phentsize) * u64::from(phnum))?;
            table
                .chunks_exact(usize::from(phentsize))
                .filter_map(|p| {
                    let p = Fields(p);
                    (p.u32(0)? == PT_LOAD).then_some(())?;
                    Some(Segment {
                        offset: p.u64(0x08)?,
                        address: p.u64(0x10)?,
                        size: p.u64(0x20)?,
                    })
                })
                .collect()
        };
        let (mut sections, mut names_at) = (Vec::new(), usize::from(shstrndx));
        if shoff != 0 && shentsize >= 64 {
            // With more sections than fit in 16 bits, their count and the index of their names
            // are in the first (null) section header.
            let first = section_header(&read(&file, shoff, 64)?)?;
            let count = if shnum == 0 {
                first.size
            } else {
                u64::from(shnum)
            };
            if shstrndx == 0xffff {
                names_at = first.link as usize;
            }
            let table = read(&file, shoff, u64::from(shentsize).checked_mul(count)?)?;
            sections = table
                .chunks_exact(usize::from(shentsize))
                .filter_map(section_header)
                .collect();
        }
        let mut elf = Elf {
            file,
            segments,
            sections,
            names: Vec::new(),
        };
        if let Some(names) = elf.sections.get(names_at).copied() {
            elf.names = elf.contents(&names).unwrap_or_default();
        }
        Some(elf)
    }

    /// The loadable segment whose bytes in the file hold offset `offset`.
    pub(super) fn segment_holding(&self, offset: u64) -> Option<Segment> {
        self.segments
            .iter()
            .copied()
            .find(|s| s.offset <= offset && offset < s.offset.saturating_add(s.size.max(1)))
    }

    /// The address of section `name`, whether or not it has bytes in the file.
    pub(super) fn address_of(&self, name: &str) -> Option<u64> {
        self.header(name).map(|s| s.address)
    }

    /// Section `name`'s address and bytes; `None` if there is no such section, it has no
    /// bytes in the file, or they are compressed (not supported).
    pub(super) fn section(&self, name: &str) -> Option<(u64, Vec<u8>)> {
        let s = self.header(name)?;
        if s.kind == SHT_NOBITS || s.flags & SHF_COMPRESSED != 0 {
            return None;
        }
        Some((s.address, self.contents(s)?))
    }

    /// The defined function symbols of the symbol table and the dynamic symbol table:
    /// (address, size, mangled name), in table order.
    pub(super) fn functions(&self) -> Vec<(u64, u64, Box<str>)> {
        let mut out = Vec::new();
        for table in self
            .sections
            .iter()
            .filter(|s| s.kind == SHT_SYMTAB || s.kind == SHT_DYNSYM)
        {
            let Some(strings) = self.sections.get(table.link as usize) else {
                continue;
            };
            let (Some(symbols), Some(strings)) = (self.contents(table), self.contents(strings))
            else {
                continue;
            };
            for sym in symbols.chunks_exact(24) {
                let f = Fields(sym);
                let (Some(name), Some([info]), Some(shndx)) = (f.u32(0), f.bytes(4), f.u16(6))
                else {
                    continue;
                };
                let (Some(address), Some(size)) = (f.u64(8), f.u64(16)) else {
                    continue;
                };
                let kind = info & 0xf;
                if (kind != STT_FUNC && kind != STT_GNU_IFUNC) || shndx == 0 || address == 0 {
                    continue;
                }
                if let Some(name) = string_at(&strings, name) {
                    out.push((address, size, name.into()));
                }
            }
        }
        out
    }

    fn header(&self, name: &str) -> Option<&SectionHeader> {
        self.sections
            .iter()
            .find(|s| string_at(&self.names, s.name) == Some(name))
    }

    fn contents(&self, s: &SectionHeader) -> Option<Vec<u8>> {
        if s.kind == SHT_NOBITS {
            return Some(Vec::new());
        }
        read(&self.file, s.offset, s.size)
    }
}

fn section_header(bytes: &[u8]) -> Option<SectionHeader> {
    let f = Fields(bytes);
    Some(SectionHeader {
        name: f.u32(0x00)?,
        kind: f.u32(0x04)?,
        flags: f.u64(0x08)?,
        address: f.u64(0x10)?,
        offset: f.u64(0x18)?,
        size: f.u64(0x20)?,
        link: f.u32(0x28)?,
    })
}

/// `len` bytes of `file` from `offset`; `None` past the file's end or for an absurd size.
fn read(file: &File, offset: u64, len: u64) -> Option<Vec<u8>> {
    if len > MAX_TABLE {
        return None;
    }
    let mut data = vec![0; usize::try_from(len).ok()?];
    file.read_exact_at(&mut data, offset).ok()?;
    Some(data)
}

/// The NUL-terminated UTF-8 string at `at` in a string table.
fn string_at(table: &[u8], at: u32) -> Option<&str> {
    let rest = table.get(at as usize..)?;
    let end = rest.iter().position(|&b| b == 0)?;
    std::str::from_utf8(&rest[..end]).ok()
}
