//! A reader of DWARF debug info (versions 2 to 5, as rustc, GCC and clang emit it, 32 and
//! 64-bit formats, little-endian): which function, file and line an address is in, with the
//! calls inlined there, innermost first, as debuggers show them.
//!
//! Building one reads only the units' headers, their root entries and `.debug_aranges`, so
//! that a binary of tens of megabytes is ready in milliseconds. A unit's line table and its
//! functions are parsed on the first lookup that lands in it, and kept; a function's inlined
//! calls and names, likewise, on the first lookup in it.
//!
//! Every read is bounds-checked: malformed data never panics or loops, it gives fewer frames.
//! Type units, split DWARF (`.dwo` files) and supplementary object files are not read.

mod abbrev;
mod die;
mod functions;
mod lines;
mod names;
mod program;
mod ranges;
mod reader;
mod units;

#[cfg(test)]
mod tests;

use functions::Functions;
use lines::Lines;
use reader::Reader;
use units::Unit;

/// The debug sections the reader uses; a missing one is empty.
#[derive(Debug, Default)]
pub(super) struct Sections {
    /// `.debug_info`: the units and their entries.
    info: Box<[u8]>,
    /// `.debug_abbrev`: the entries' layouts.
    abbrev: Box<[u8]>,
    /// `.debug_line`: the line programs.
    line: Box<[u8]>,
    /// `.debug_str`: strings referred to by offset or by index.
    str: Box<[u8]>,
    /// `.debug_line_str`: the strings of DWARF 5 line tables.
    line_str: Box<[u8]>,
    /// `.debug_ranges`: range lists before DWARF 5.
    ranges: Box<[u8]>,
    /// `.debug_rnglists`: range lists of DWARF 5.
    rnglists: Box<[u8]>,
    /// `.debug_addr`: addresses referred to by index (DWARF 5).
    addr: Box<[u8]>,
    /// `.debug_str_offsets`: string offsets referred to by index (DWARF 5).
    str_offsets: Box<[u8]>,
    /// `.debug_aranges`: each compile unit's address ranges.
    aranges: Box<[u8]>,
}

impl Sections {
    /// The sections `section` returns by name (`.debug_info`...).
    fn load(mut section: impl FnMut(&str) -> Option<Box<[u8]>>) -> Sections {
        let mut get = |name: &str| section(name).unwrap_or_default();
        Sections {
            info: get(".debug_info"),
            abbrev: get(".debug_abbrev"),
            line: get(".debug_line"),
            str: get(".debug_str"),
            line_str: get(".debug_line_str"),
            ranges: get(".debug_ranges"),
            rnglists: get(".debug_rnglists"),
            addr: get(".debug_addr"),
            str_offsets: get(".debug_str_offsets"),
            aranges: get(".debug_aranges"),
        }
    }
}

/// One frame at an address: the function (its linkage name, mangled, if it has one, else its
/// plain name qualified with its scopes, see `names.rs`) and the file and line being run in
/// it: for the innermost frame the address's own line, for the others the line of the call
/// inlined into them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DwarfFrame {
    /// The function's name: mangled, or qualified but not mangled.
    pub(super) name: Option<String>,
    /// The file's full path.
    pub(super) file: Option<String>,
    /// The line, if one is known.
    pub(super) line: Option<u32>,
}

/// An address range of a compile unit.
#[derive(Debug, Clone, Copy)]
struct UnitRange {
    /// The first address.
    begin: u64,
    /// The address just past the range.
    end: u64,
    /// The lowest `begin` of this range and those after it (in the order by `end`): a
    /// search for an address below it can stop.
    min_begin: u64,
    /// The unit, an index into `Dwarf::units`.
    unit: usize,
}

/// The debug info of one binary.
#[derive(Debug)]
pub(super) struct Dwarf {
    /// The sections, owned.
    sections: Sections,
    /// The compile and partial units, by offset.
    units: Vec<Unit>,
    /// The compile units' address ranges, sorted by end.
    ranges: Box<[UnitRange]>,
}

impl Dwarf {
    /// Reads the units of the debug info `section` returns by name. `None` if there is no
    /// unit to read.
    pub(super) fn new(section: impl FnMut(&str) -> Option<Box<[u8]>>) -> Option<Dwarf> {
        let sections = Sections::load(section);
        let units = units::parse_all(&sections);
        if units.is_empty() {
            return None;
        }
        let mut dwarf = Dwarf {
            sections,
            units,
            ranges: Box::default(),
        };
        dwarf.ranges = dwarf.unit_ranges();
        Some(dwarf)
    }

    /// The address ranges of each compile unit, from (by preference) its `DW_AT_ranges`, the
    /// unit's sets in `.debug_aranges`, its `DW_AT_low_pc`/`DW_AT_high_pc`, and last its line
    /// table's sequences.
    fn unit_ranges(&self) -> Box<[UnitRange]> {
        let aranges = aranges_sets(&self.sections.aranges);
        let mut ranges = Vec::new();
        for (index, unit) in self.units.iter().enumerate() {
            if !unit.compile {
                continue; // partial units: only referred to
            }
            let mut add = |begin, end| {
                ranges.push(UnitRange {
                    begin,
                    end,
                    min_begin: 0,
                    unit: index,
                })
            };
            let start = unit.start as u64;
            let first = aranges.partition_point(|a| a.0 < start);
            let sets = &aranges[first..];
            let sets = &sets[..sets.partition_point(|a| a.0 == start)];
            let found = if unit.ranges.has_list() || sets.is_empty() {
                unit.ranges.for_each(unit, &self.sections, &mut add)
            } else {
                let mut found = false;
                for &(_, offset) in sets {
                    found |= aranges_entries(&self.sections.aranges, offset, &mut add);
                }
                found
            };
            if !found {
                if let Some(lines) = self.lines(unit) {
                    for s in lines.sequences.iter() {
                        add(s.start, s.end);
                    }
                }
            }
        }
        ranges.sort_by_key(|r| r.end);
        let mut min = u64::MAX;
        for r in ranges.iter_mut().rev() {
            min = min.min(r.begin);
            r.min_begin = min;
        }
        ranges.into_boxed_slice()
    }

    /// The frames at `probe` (an address in the file, as the debug info has them), innermost
    /// first: each call inlined there, then the function that holds them. With no function
    /// known, the line alone, if known; else none.
    pub(super) fn find_frames(&self, probe: u64) -> Vec<DwarfFrame> {
        let first = match self.ranges.binary_search_by_key(&probe, |r| r.end) {
            Ok(i) => i + 1,
            Err(i) => i,
        };
        let candidates = self.ranges[first..]
            .iter()
            .take_while(|r| probe >= r.min_begin)
            .filter(|r| r.begin <= probe && probe < r.end);
        for range in candidates {
            let unit = &self.units[range.unit];
            let functions = unit.functions.get_or_init(|| Functions::parse(self, unit));
            let function = functions.find(self, unit, probe);
            let lines = self.lines(unit);
            let location = lines.and_then(|l| l.find(probe));
            let Some(function) = function else {
                if let Some((file, line)) = location {
                    let file = file.map(str::to_owned);
                    return vec![DwarfFrame {
                        name: None,
                        file,
                        line,
                    }];
                }
                continue;
            };
            let mut frames = Vec::new();
            let (mut file, mut line) = location.unwrap_or_default();
            for call in function.inlined_at(probe).iter().rev() {
                frames.push(DwarfFrame {
                    name: call.name.clone(),
                    file: file.map(str::to_owned),
                    line,
                });
                file = call.call_file.and_then(|f| lines?.file(f));
                line = (call.call_line != 0).then_some(call.call_line);
            }
            frames.push(DwarfFrame {
                name: function.name.clone(),
                file: file.map(str::to_owned),
                line,
            });
            return frames;
        }
        Vec::new()
    }

    /// The line table of `unit`, parsed on first use.
    fn lines<'a>(&'a self, unit: &'a Unit) -> Option<&'a Lines> {
        unit.lines
            .get_or_init(|| Lines::parse(unit, &self.sections, unit.stmt_list?))
            .as_ref()
    }

    /// The unit holding the entry at `offset` in `.debug_info`.
    fn unit_at(&self, offset: u64) -> Option<&Unit> {
        let i = match self.units.binary_search_by_key(&offset, |u| u.start as u64) {
            Ok(_) | Err(0) => return None, // a unit's header is no entry
            Err(i) => i - 1,
        };
        let unit = &self.units[i];
        (offset < unit.end as u64).then_some(unit)
    }
}

/// The sets of `.debug_aranges` as (unit offset in `.debug_info`, set offset), sorted by unit.
/// A set of an unknown version is left out; a malformed length ends the list.
fn aranges_sets(section: &[u8]) -> Vec<(u64, usize)> {
    let mut sets = Vec::new();
    let mut r = Reader::at(section, 0);
    while !r.is_empty() {
        let offset = r.pos();
        let Some((len, offset_size)) = r.initial_length() else {
            break;
        };
        let Some(mut set) = r.split(len) else {
            break;
        };
        if let (Some(2 | 3), Some(unit)) = (set.u16(), set.uint(offset_size)) {
            sets.push((unit, offset));
        }
    }
    sets.sort_by_key(|s| s.0);
    sets
}

/// Calls `add` with each non-empty range of the set at `offset` in `.debug_aranges`; returns
/// whether there was any.
fn aranges_entries(section: &[u8], offset: usize, add: &mut impl FnMut(u64, u64)) -> bool {
    let mut found = false;
    let mut entries = || -> Option<()> {
        let mut r = Reader::at(section, offset);
        let (len, offset_size) = r.initial_length()?;
        let mut set = r.split(len)?;
        set.skip(2 + u64::from(offset_size))?; // version, unit offset
        let addr_size = set.u8()?;
        if set.u8()? != 0 || !(1..=8).contains(&addr_size) {
            return None; // segmented addresses, or no address size
        }
        // The tuples start at a multiple of their size from the set's start.
        let tuple = 2 * usize::from(addr_size);
        let header = set.pos() - offset;
        set.skip(((tuple - header % tuple) % tuple) as u64)?;
        let tombstone = u64::MAX >> (64 - 8 * u32::from(addr_size));
        while set.end() - set.pos() >= tuple {
            let (begin, len) = (set.uint(addr_size)?, set.uint(addr_size)?);
            if begin == tombstone || len == 0 {
                continue; // dropped code, or a premature terminator
            }
            let end = begin.checked_add(len).filter(|e| *e <= tombstone)?;
            add(begin, end);
            found = true;
        }
        Some(())
    };
    entries();
    found
}
