//! Units of `.debug_info`: their headers, and what their root entry says for the whole unit
//! (the bases of its indexes into shared sections, its directory, its line program, its
//! address ranges).

use super::abbrev::Abbrevs;
use super::die::{Encoding, Entries, Value};
use super::functions::Functions;
use super::lines::Lines;
use super::ranges::RangeAttrs;
use super::reader::{str_at, Reader};
use super::Sections;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// `DW_AT_*` names read here and in the other parts of the reader.
pub(super) mod at {
    /// The name of an entity.
    pub(crate) const NAME: u16 = 0x03;
    /// The unit's line program, an offset into `.debug_line`.
    pub(crate) const STMT_LIST: u16 = 0x10;
    /// The first address of the code.
    pub(crate) const LOW_PC: u16 = 0x11;
    /// The address past the code, or its size.
    pub(crate) const HIGH_PC: u16 = 0x12;
    /// The directory the unit was compiled in.
    pub(crate) const COMP_DIR: u16 = 0x1b;
    /// The abstract instance an inlined or out-of-line instance comes from.
    pub(crate) const ABSTRACT_ORIGIN: u16 = 0x31;
    /// The declaration a definition completes.
    pub(crate) const SPECIFICATION: u16 = 0x47;
    /// The address ranges of the code, a range list.
    pub(crate) const RANGES: u16 = 0x55;
    /// The file of an inlined call.
    pub(crate) const CALL_FILE: u16 = 0x58;
    /// The line of an inlined call.
    pub(crate) const CALL_LINE: u16 = 0x59;
    /// The mangled name.
    pub(crate) const LINKAGE_NAME: u16 = 0x6e;
    /// Where the unit's string offsets start.
    pub(crate) const STR_OFFSETS_BASE: u16 = 0x72;
    /// Where the unit's addresses start in `.debug_addr`.
    pub(crate) const ADDR_BASE: u16 = 0x73;
    /// Where the unit's range list offsets start.
    pub(crate) const RNGLISTS_BASE: u16 = 0x74;
    /// The mangled name, as older GCC wrote it.
    pub(crate) const MIPS_LINKAGE_NAME: u16 = 0x2007;
    /// `DW_AT_addr_base` of the GNU split-DWARF extension to DWARF 4.
    pub(crate) const GNU_ADDR_BASE: u16 = 0x2133;
}

/// One compile or partial unit, with its parsed parts built on first use.
#[derive(Debug)]
pub(super) struct Unit {
    /// Where its header starts in `.debug_info`: offsets of its entries count from there.
    pub(super) start: usize,
    /// Where it ends in `.debug_info`.
    pub(super) end: usize,
    /// Where its first entry starts.
    entries: usize,
    /// Its encoding.
    pub(super) enc: Encoding,
    /// Its abbreviations (shared by the units that share a table).
    abbrevs: Arc<Abbrevs>,
    /// `DW_AT_low_pc` of the root: the base address of its range lists.
    pub(super) low_pc: u64,
    /// Where its slice of `.debug_str_offsets` starts.
    str_offsets_base: u64,
    /// Where its slice of `.debug_addr` starts.
    addr_base: u64,
    /// Where its range list offsets start in `.debug_rnglists`.
    pub(super) rnglists_base: u64,
    /// `DW_AT_comp_dir`: relative file paths are relative to it.
    pub(super) comp_dir: Option<String>,
    /// Its line program's offset in `.debug_line`.
    pub(super) stmt_list: Option<u64>,
    /// Whether this is a compile unit (with code), not a partial unit (only referenced).
    pub(super) compile: bool,
    /// The root's address range attributes.
    pub(super) ranges: RangeAttrs,
    /// The line table, parsed on first use.
    pub(super) lines: OnceLock<Option<Lines>>,
    /// The functions, found on first use.
    pub(super) functions: OnceLock<Functions>,
}

/// Parses the headers of every unit of `.debug_info` and the root entry of each compile and
/// partial unit. Type units and units that cannot be parsed are left out; a length that runs
/// past the section ends the list.
pub(super) fn parse_all(s: &Sections) -> Vec<Unit> {
    let mut units = Vec::new();
    let mut tables: HashMap<u64, Arc<Abbrevs>> = HashMap::new();
    let mut r = Reader::at(&s.info, 0);
    while !r.is_empty() {
        let start = r.pos();
        let Some((len, offset_size)) = r.initial_length() else {
            break;
        };
        let Some(body) = r.split(len) else {
            break;
        };
        if let Some(unit) = parse_one(s, body, start, offset_size, &mut tables) {
            units.push(unit);
        }
    }
    units
}

/// Parses the unit whose header starts at `start` (its length read), `body` the rest of it.
fn parse_one(
    s: &Sections,
    mut body: Reader<'_>,
    start: usize,
    offset_size: u8,
    tables: &mut HashMap<u64, Arc<Abbrevs>>,
) -> Option<Unit> {
    let end = body.end();
    let version = body.u16()?;
    let (unit_type, abbrev_offset, addr_size) = match version {
        2..=4 => {
            let abbrev = body.uint(offset_size)?;
            (1, abbrev, body.u8()?)
        }
        5 => {
            let unit_type = body.u8()?;
            let addr_size = body.u8()?;
            let abbrev = body.uint(offset_size)?;
            match unit_type {
                // Compile, partial: nothing more. Skeleton, split compile: their id.
                1 | 3 => {}
                4 | 5 => body.skip(8)?,
                // Type units: never needed to name code.
                _ => return None,
            }
            (unit_type, abbrev, addr_size)
        }
        _ => return None,
    };
    if !(1..=8).contains(&addr_size) {
        return None; // no address fits in a u64
    }
    let abbrevs = match tables.get(&abbrev_offset) {
        Some(table) => table.clone(),
        None => {
            let table = Arc::new(Abbrevs::parse(&s.abbrev, abbrev_offset)?);
            tables.insert(abbrev_offset, table.clone());
            table
        }
    };
    let mut unit = Unit {
        start,
        end,
        entries: body.pos(),
        enc: Encoding {
            version,
            addr_size,
            offset_size,
        },
        abbrevs,
        low_pc: 0,
        str_offsets_base: 0,
        addr_base: 0,
        rnglists_base: 0,
        comp_dir: None,
        stmt_list: None,
        compile: unit_type != 3,
        ranges: RangeAttrs::default(),
        lines: OnceLock::new(),
        functions: OnceLock::new(),
    };
    unit.read_root(s)?;
    Some(unit)
}

impl Unit {
    /// Reads the root entry's attributes. The bases are read first, as the root's own
    /// indexed values (`DW_FORM_addrx`, `strx`) need them, wherever they come in it.
    fn read_root(&mut self, s: &Sections) -> Option<()> {
        let abbrevs = self.abbrevs.clone();
        let data = s.info.get(..self.end)?;
        let mut entries = Entries::new(data, self.start, self.root_offset(), &abbrevs, self.enc)?;
        let abbrev = entries.next_entry()??;
        let mut comp_dir = None;
        let mut low_pc = None;
        for spec in abbrev.attrs.iter() {
            let value = entries.value(spec)?;
            match (spec.name, value) {
                (at::COMP_DIR, v) => comp_dir = Some(v),
                (at::LOW_PC, v) => low_pc = Some(v),
                (at::STMT_LIST, Value::SecOffset(o) | Value::Udata(o)) => self.stmt_list = Some(o),
                (at::STR_OFFSETS_BASE, Value::SecOffset(o)) => self.str_offsets_base = o,
                (at::ADDR_BASE | at::GNU_ADDR_BASE, Value::SecOffset(o)) => self.addr_base = o,
                (at::RNGLISTS_BASE, Value::SecOffset(o)) => self.rnglists_base = o,
                _ => {}
            }
            self.ranges.read(spec.name, value);
        }
        self.comp_dir = comp_dir
            .and_then(|v| self.string(s, v))
            .map(|d| String::from_utf8_lossy(d).into_owned());
        if let Some(low_pc) = low_pc.and_then(|v| self.address(s, v)) {
            self.low_pc = low_pc;
        }
        Some(())
    }

    /// A cursor over the unit's entries, at `offset` from its start.
    pub(super) fn entries_at<'a>(&'a self, s: &'a Sections, offset: u64) -> Option<Entries<'a>> {
        let data = s.info.get(..self.end)?;
        Entries::new(data, self.start, offset, &self.abbrevs, self.enc)
    }

    /// The offset of the unit's root entry from its start.
    pub(super) fn root_offset(&self) -> u64 {
        (self.entries - self.start) as u64
    }

    /// The string a `DW_AT_name`, `DW_AT_comp_dir`... value gives, in whichever section.
    pub(super) fn string<'a>(&self, s: &'a Sections, value: Value<'a>) -> Option<&'a [u8]> {
        match value {
            Value::String(bytes) => Some(bytes),
            Value::Strp(offset) => str_at(&s.str, offset),
            Value::LineStrp(offset) => str_at(&s.line_str, offset),
            Value::StrIndex(index) => {
                let size = self.enc.offset_size;
                let at = index
                    .checked_mul(u64::from(size))?
                    .checked_add(self.str_offsets_base)?;
                let offset = Reader::at_u64(&s.str_offsets, at)?.uint(size)?;
                str_at(&s.str, offset)
            }
            _ => None,
        }
    }

    /// The address an address value gives: itself, or the one at its index in `.debug_addr`.
    pub(super) fn address(&self, s: &Sections, value: Value<'_>) -> Option<u64> {
        match value {
            Value::Addr(addr) => Some(addr),
            Value::AddrIndex(index) => self.indexed_address(s, index),
            _ => None,
        }
    }

    /// The address at `index` in the unit's slice of `.debug_addr`.
    pub(super) fn indexed_address(&self, s: &Sections, index: u64) -> Option<u64> {
        let size = self.enc.addr_size;
        let at = index
            .checked_mul(u64::from(size))?
            .checked_add(self.addr_base)?;
        Reader::at_u64(&s.addr, at)?.uint(size)
    }
}
