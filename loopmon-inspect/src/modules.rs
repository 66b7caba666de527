//! The binaries mapped into the process (the executable, libc, ...): their unwind tables,
//! symbols and line tables, parsed on first use and kept.
//!
//! Files are read with plain reads (see `elf.rs`), never memory-mapped, and only the sections
//! needed are kept.

use super::cfi::Cfi;
use super::dwarf::Dwarf;
use super::elf::Elf;
use super::proc::Mapping;
use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;

/// One binary, as mapped in this process.
pub(super) struct Module {
    /// Added to an address in the file (SVMA) to get the address in memory.
    pub(super) bias: u64,
    /// The unwind tables, when the binary has `.eh_frame` and its search table.
    pub(super) unwind: Option<Cfi>,
    /// Function symbols: (address, size, mangled name), sorted by address.
    symbols: Vec<(u64, u64, Box<str>)>,
    /// Line tables and inlined calls, when the binary has DWARF.
    pub(super) dwarf: Option<Dwarf>,
}

impl Module {
    /// The mangled name of the function symbol covering `svma`.
    pub(super) fn symbol(&self, svma: u64) -> Option<&str> {
        self.covering(svma).map(|s| &*s.2)
    }

    /// The address (in the file) where the function symbol covering `svma` begins.
    pub(super) fn symbol_start(&self, svma: u64) -> Option<u64> {
        self.covering(svma).map(|s| s.0)
    }

    /// The function symbol covering `svma`: the last one starting at or before it, if its size
    /// reaches it (or is unknown).
    fn covering(&self, svma: u64) -> Option<&(u64, u64, Box<str>)> {
        let i = self
            .symbols
            .partition_point(|s| s.0 <= svma)
            .checked_sub(1)?;
        let symbol = &self.symbols[i];
        (symbol.1 == 0 || svma < symbol.0.saturating_add(symbol.1)).then_some(symbol)
    }

    /// Whether the binary has any way to name its functions.
    pub(super) fn has_names(&self) -> bool {
        !self.symbols.is_empty() || self.dwarf.is_some()
    }
}

/// The modules parsed so far, by file and load address. A file that cannot be parsed is
/// remembered as `None`, so it is not read again.
#[derive(Default)]
pub(super) struct Modules {
    loaded: HashMap<(String, u64, u64), Option<Box<Module>>>,
}

impl Modules {
    /// The module whose code is at `addr`, and the address of `addr` in its file.
    pub(super) fn find(&mut self, maps: &[Mapping], addr: u64) -> Option<(&Module, u64)> {
        let m = executable_at(maps, addr)?;
        // The file's lowest mapping fixes its load address.
        let first = maps
            .iter()
            .find(|f| f.path == m.path && f.inode == m.inode)?;
        let key = (m.path.clone(), m.inode, first.start);
        let module = self
            .loaded
            .entry(key)
            .or_insert_with(|| load(first).map(Box::new))
            .as_deref()?;
        let svma = addr.wrapping_sub(module.bias);
        Some((module, svma))
    }
}

/// The executable file mapping that holds `addr`.
pub(super) fn executable_at(maps: &[Mapping], addr: u64) -> Option<&Mapping> {
    let i = maps.partition_point(|m| m.start <= addr).checked_sub(1)?;
    let m = &maps[i];
    (m.contains(addr) && m.executable && m.path.starts_with('/')).then_some(m)
}

fn load(first: &Mapping) -> Option<Module> {
    let file = std::fs::File::open(&first.path).ok()?;
    if file.metadata().ok()?.ino() != first.inode {
        return None; // replaced on disk since it was mapped
    }
    let elf = Elf::parse(file)?;
    let seg = elf.segment_holding(first.offset)?;
    let svma = seg.address.wrapping_add(first.offset - seg.offset);
    let unwind = (|| {
        let (hdr_addr, hdr) = elf.section(".eh_frame_hdr")?;
        let (frame_addr, frame) = elf.section(".eh_frame")?;
        Cfi::new(hdr, hdr_addr, frame, frame_addr)
    })();
    let mut symbols = elf.functions();
    symbols.sort_unstable_by_key(|s| (s.0, std::cmp::Reverse(s.1)));
    symbols.dedup_by_key(|s| s.0);
    let dwarf = elf
        .address_of(".debug_info")
        .and_then(|_| Dwarf::new(|name| elf.section(name).map(|(_, data)| data.into())));
    Some(Module {
        bias: first.start.wrapping_sub(svma),
        unwind,
        symbols,
        dwarf,
    })
}
