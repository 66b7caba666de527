//! The functions of a unit (`DW_TAG_subprogram` with code) and, in each, the calls inlined
//! into it (`DW_TAG_inlined_subroutine`, nested as deep as the inlining went), with their
//! address ranges, names and call sites.

use super::die::Entries;
use super::names::{is_scope, read_name, Prefixes, Scopes};
use super::ranges::RangeAttrs;
use super::units::{at, Unit};
use super::Dwarf;
use std::cmp::Ordering;
use std::sync::OnceLock;

/// `DW_TAG_subprogram`.
const TAG_SUBPROGRAM: u16 = 0x2e;
/// `DW_TAG_inlined_subroutine`.
const TAG_INLINED_SUBROUTINE: u16 = 0x1d;
/// How deep inlined calls are followed: deeper ones (only in corrupt data) are left out, so
/// that the recursion is bounded.
const MAX_INLINE_DEPTH: usize = 256;

/// The functions of a unit, by address.
#[derive(Debug, Default)]
pub(super) struct Functions {
    /// `(begin, end, function)`, sorted by `begin`.
    addresses: Box<[(u64, u64, usize)]>,
    /// Each function's entry offset in the unit, and its details, read on first use.
    functions: Box<[(u64, OnceLock<Function>)]>,
    /// The scopes of the functions named by `DW_AT_name` alone, to qualify their names.
    pub(super) prefixes: Prefixes,
}

/// One function's name and inlined calls.
#[derive(Debug, Default)]
pub(super) struct Function {
    /// Its linkage (mangled) name if it has one, else its name qualified with its scopes.
    pub(super) name: Option<String>,
    /// The calls inlined into it, at any depth.
    inlined: Box<[Inlined]>,
    /// `(depth, begin, end, inlined call)`, sorted by depth then `begin`: at each depth the
    /// ranges do not overlap, so the call covering an address is found by binary search.
    addresses: Box<[(usize, u64, u64, usize)]>,
}

/// One inlined call.
#[derive(Debug)]
pub(super) struct Inlined {
    /// The name of the function inlined, as [`Function::name`].
    pub(super) name: Option<String>,
    /// The file of the call, an index into the unit's file table.
    pub(super) call_file: Option<u64>,
    /// The line of the call, 0 if unknown.
    pub(super) call_line: u32,
}

impl Functions {
    /// Finds every function of `unit` with code, and the scopes of functions with a plain name.
    pub(super) fn parse(dwarf: &Dwarf, unit: &Unit) -> Functions {
        let s = &dwarf.sections;
        let mut addresses = Vec::new();
        let mut functions = Vec::new();
        let mut scopes = Scopes::default();
        let Some(mut e) = unit.entries_at(s, unit.root_offset()) else {
            return Functions::default();
        };
        // A value that cannot be read leaves the reader lost in the unit: the walk ends there.
        while !e.is_empty() {
            let (offset, depth) = (e.offset(), e.next_depth());
            let Some(entry) = e.next_entry() else {
                break;
            };
            let Some(abbrev) = entry else {
                continue;
            };
            scopes.at_depth(depth);
            if abbrev.tag != TAG_SUBPROGRAM {
                let read = if is_scope(abbrev.tag) {
                    scopes.open(&mut e, unit, s, abbrev, depth)
                } else {
                    e.skip_attrs(abbrev)
                };
                if read.is_none() {
                    break;
                }
                continue;
            }
            scopes.function(offset, abbrev);
            let mut ranges = RangeAttrs::default();
            let read = abbrev.attrs.iter().try_for_each(|spec| {
                ranges.read(spec.name, e.value(spec)?);
                Some(())
            });
            if read.is_none() {
                break;
            }
            let index = functions.len();
            if ranges.for_each(unit, s, |b, e| addresses.push((b, e, index))) {
                functions.push((offset, OnceLock::new()));
            }
        }
        addresses.sort_by_key(|a| a.0);
        Functions {
            addresses: addresses.into_boxed_slice(),
            functions: functions.into_boxed_slice(),
            prefixes: scopes.finish(),
        }
    }

    /// The function whose code covers `probe`, its details read if not yet.
    pub(super) fn find(&self, dwarf: &Dwarf, unit: &Unit, probe: u64) -> Option<&Function> {
        let i = self
            .addresses
            .binary_search_by(|&(begin, end, _)| {
                if probe < begin {
                    Ordering::Greater
                } else if probe >= end {
                    Ordering::Less
                } else {
                    Ordering::Equal
                }
            })
            .ok()?;
        let (offset, details) = self.functions.get(self.addresses[i].2)?;
        Some(details.get_or_init(|| Function::parse(dwarf, unit, *offset).unwrap_or_default()))
    }
}

/// What the walk over a function's children gathers.
struct Walk<'a> {
    /// The reader, positioned at the next child.
    e: Entries<'a>,
    /// The whole debug info, for names in other units.
    dwarf: &'a Dwarf,
    /// The function's unit.
    unit: &'a Unit,
    /// The calls found.
    inlined: Vec<Inlined>,
    /// Their ranges.
    addresses: Vec<(usize, u64, u64, usize)>,
}

impl Function {
    /// Reads the function whose entry is at `offset` in `unit`.
    fn parse(dwarf: &Dwarf, unit: &Unit, offset: u64) -> Option<Function> {
        let mut e = unit.entries_at(&dwarf.sections, offset)?;
        let depth = e.next_depth();
        let abbrev = e.next_entry()??;
        let mut name = None;
        for spec in abbrev.attrs.iter() {
            let value = e.value(spec)?;
            read_name(dwarf, unit, offset, spec.name, value, &mut name);
        }
        let mut walk = Walk {
            e,
            dwarf,
            unit,
            inlined: Vec::new(),
            addresses: Vec::new(),
        };
        walk.children(depth, 0);
        walk.addresses.sort_by_key(|a| (a.0, a.1));
        Some(Function {
            name: name.map(|n| n.text(dwarf)),
            inlined: walk.inlined.into_boxed_slice(),
            addresses: walk.addresses.into_boxed_slice(),
        })
    }

    /// The calls inlined at `probe`, outermost first.
    pub(super) fn inlined_at(&self, probe: u64) -> Vec<&Inlined> {
        let mut found = Vec::new();
        let mut rest = &self.addresses[..];
        loop {
            let depth = found.len();
            let search = rest.binary_search_by(|&(d, begin, end, _)| {
                d.cmp(&depth).then(if begin > probe {
                    Ordering::Greater
                } else if end <= probe {
                    Ordering::Less
                } else {
                    Ordering::Equal
                })
            });
            let Ok(i) = search else {
                return found;
            };
            if let Some(call) = self.inlined.get(rest[i].3) {
                found.push(call);
            }
            rest = &rest[i + 1..];
        }
    }
}

impl Walk<'_> {
    /// Reads the entries below the one at `depth`: inlined calls are kept (their own
    /// children one inlining deeper), nested functions skipped whole, other entries (lexical
    /// blocks...) walked through.
    fn children(&mut self, depth: isize, inline_depth: usize) -> Option<()> {
        loop {
            let (offset, entry_depth) = (self.e.offset(), self.e.next_depth());
            if entry_depth <= depth {
                return Some(());
            }
            let Some(abbrev) = self.e.next_entry()? else {
                continue;
            };
            match abbrev.tag {
                TAG_SUBPROGRAM => {
                    self.e.skip_attrs(abbrev)?;
                    while self.e.next_depth() > entry_depth {
                        if let Some(abbrev) = self.e.next_entry()? {
                            self.e.skip_attrs(abbrev)?;
                        }
                    }
                }
                TAG_INLINED_SUBROUTINE if inline_depth < MAX_INLINE_DEPTH => {
                    let mut ranges = RangeAttrs::default();
                    let mut name = None;
                    let mut call = Inlined {
                        name: None,
                        call_file: None,
                        call_line: 0,
                    };
                    for spec in abbrev.attrs.iter() {
                        let value = self.e.value(spec)?;
                        ranges.read(spec.name, value);
                        read_name(self.dwarf, self.unit, offset, spec.name, value, &mut name);
                        match spec.name {
                            // File 0 is "no file" before DWARF 5, the unit's first after.
                            at::CALL_FILE => {
                                call.call_file = value
                                    .udata()
                                    .filter(|&f| f > 0 || self.unit.enc.version >= 5);
                            }
                            at::CALL_LINE => call.call_line = value.udata().unwrap_or(0) as u32,
                            _ => {}
                        }
                    }
                    call.name = name.map(|n| n.text(self.dwarf));
                    let index = self.inlined.len();
                    self.inlined.push(call);
                    let addresses = &mut self.addresses;
                    ranges.for_each(self.unit, &self.dwarf.sections, |b, e| {
                        addresses.push((inline_depth, b, e, index));
                    });
                    self.children(entry_depth, inline_depth + 1)?;
                }
                _ => self.e.skip_attrs(abbrev)?,
            }
        }
    }
}
