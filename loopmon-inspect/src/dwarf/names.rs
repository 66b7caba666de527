//! The names of functions and inlined calls. A linkage (mangled) name is already qualified: it
//! is kept as it is and demangled later. A plain `DW_AT_name` is only the last part of the
//! path (`checksum_slowly`, `{async_fn#0}`), so it is qualified with the names of the entries
//! that enclose the entry carrying it (namespaces, structures, classes, unions, enumerations,
//! interfaces), outermost first: `mini_redis::cmd::ping::checksum_slowly`, as debuggers show it.
//!
//! Those enclosing names are gathered while a unit's tree is walked for its functions anyway
//! (see `Functions::parse`): for each function entry that has a plain name and no linkage
//! name, the prefix of its scopes is recorded by offset, siblings sharing one string.

use super::abbrev::Abbrev;
use super::die::{Entries, Value};
use super::functions::Functions;
use super::units::{at, Unit};
use super::{Dwarf, Sections};
use std::sync::Arc;

/// How many references (`DW_AT_abstract_origin`, `DW_AT_specification`) are followed to find
/// a name: a cycle in corrupt data must end.
const NAME_HOPS: usize = 16;
/// How many scopes deep a prefix is built: a deeper function (only in corrupt or very odd
/// data) keeps its plain name, so that a prefix's cost is bounded.
const MAX_SCOPES: usize = 64;
/// The longest prefix built, in bytes, for the same reason.
const MAX_PREFIX: usize = 4096;

/// Whether entries with `tag` give their name to the entries inside them: `DW_TAG_namespace`,
/// `structure_type`, `class_type`, `union_type`, `enumeration_type`, `interface_type`. rustc
/// puts closures in a namespace named after their function, and methods in `{impl#N}`
/// namespaces, so these are all it needs; it never nests a function in a function.
pub(super) fn is_scope(tag: u16) -> bool {
    matches!(tag, 0x39 | 0x13 | 0x02 | 0x17 | 0x04 | 0x38)
}

/// The prefixes of a unit's functions that have a plain name only.
#[derive(Debug, Default)]
pub(super) struct Prefixes {
    /// `(entry offset in the unit, enclosing names joined with "::")`, sorted by offset.
    list: Box<[(u64, Arc<str>)]>,
}

impl Prefixes {
    /// The prefix of the function entry at `offset`, if it has one.
    fn get(&self, offset: u64) -> Option<&str> {
        let i = self.list.binary_search_by_key(&offset, |p| p.0).ok()?;
        Some(&self.list[i].1)
    }
}

/// The scopes open at the current point of a walk over a unit's entries, in order.
#[derive(Debug, Default)]
pub(super) struct Scopes<'a> {
    /// `(depth of the scope's entry, its name)` of each scope enclosing the current entry.
    open: Vec<(isize, Option<&'a [u8]>)>,
    /// The prefix of `open`, built on first need and shared until a scope opens or closes.
    current: Option<Option<Arc<str>>>,
    /// The prefixes recorded, in the order of the walk (hence by offset).
    list: Vec<(u64, Arc<str>)>,
}

impl<'a> Scopes<'a> {
    /// Closes the scopes an entry at `depth` is not in; called before each entry is read.
    pub(super) fn at_depth(&mut self, depth: isize) {
        while self.open.last().is_some_and(|s| s.0 >= depth) {
            self.open.pop();
            self.current = None;
        }
    }

    /// Reads the attributes of the scope entry `abbrev` at `depth`, and opens it if it has
    /// children. `None` if a value cannot be read.
    pub(super) fn open(
        &mut self,
        e: &mut Entries<'a>,
        unit: &Unit,
        s: &'a Sections,
        abbrev: &Abbrev,
        depth: isize,
    ) -> Option<()> {
        let mut name = None;
        for spec in abbrev.attrs.iter() {
            let value = e.value(spec)?;
            if spec.name == at::NAME {
                name = unit.string(s, value);
            }
        }
        if abbrev.has_children {
            self.open.push((depth, name.filter(|n| !n.is_empty())));
            self.current = None;
        }
        Some(())
    }

    /// Records the prefix of the function entry `abbrev` at `offset`, when its name can only
    /// come from its own `DW_AT_name` (with a linkage name, that wins and is qualified).
    pub(super) fn function(&mut self, offset: u64, abbrev: &Abbrev) {
        let has = |name| abbrev.attrs.iter().any(|spec| spec.name == name);
        if !has(at::NAME) || has(at::LINKAGE_NAME) || has(at::MIPS_LINKAGE_NAME) {
            return;
        }
        let open = &self.open;
        let prefix = self.current.get_or_insert_with(|| build_prefix(open));
        if let Some(prefix) = prefix {
            self.list.push((offset, prefix.clone()));
        }
    }

    /// The prefixes recorded.
    pub(super) fn finish(self) -> Prefixes {
        let mut list = self.list;
        list.sort_by_key(|p| p.0); // already sorted, unless the data is odd
        Prefixes {
            list: list.into_boxed_slice(),
        }
    }
}

/// The named scopes of `open` joined with `::`, outermost first; none if there is no named
/// scope or the bounds are passed.
fn build_prefix(open: &[(isize, Option<&[u8]>)]) -> Option<Arc<str>> {
    if open.len() > MAX_SCOPES {
        return None;
    }
    let mut prefix = String::new();
    for name in open.iter().filter_map(|s| s.1) {
        if !prefix.is_empty() {
            prefix.push_str("::");
        }
        prefix.push_str(&String::from_utf8_lossy(name));
        if prefix.len() > MAX_PREFIX {
            return None;
        }
    }
    (!prefix.is_empty()).then(|| Arc::from(prefix))
}

/// A name found for a function or an inlined call.
#[derive(Debug, Clone, Copy)]
pub(super) enum Name<'a> {
    /// A linkage name, mangled: already qualified.
    Linkage(&'a [u8]),
    /// A plain `DW_AT_name`, of the entry at `offset` in `unit`.
    Plain {
        /// The name.
        name: &'a [u8],
        /// The unit of the entry carrying it.
        unit: &'a Unit,
        /// That entry's offset in its unit.
        offset: u64,
    },
}

impl Name<'_> {
    /// The name as text: a plain name qualified with its scopes. The unit of a plain name
    /// found through a reference into another unit has its tree walked, if not yet.
    pub(super) fn text(self, dwarf: &Dwarf) -> String {
        match self {
            Name::Linkage(name) => String::from_utf8_lossy(name).into_owned(),
            Name::Plain { name, unit, offset } => {
                let name = String::from_utf8_lossy(name);
                let functions = unit.functions.get_or_init(|| Functions::parse(dwarf, unit));
                match functions.prefixes.get(offset) {
                    Some(prefix) => format!("{prefix}::{name}"),
                    None => name.into_owned(),
                }
            }
        }
    }
}

/// Updates `name` with attribute `attr` of the function or inlined call at `offset` in `unit`:
/// its linkage name wins; else its name; else the name of the entry it refers to (the abstract
/// instance an inlined call or an out-of-line copy comes from, the declaration a definition
/// completes).
pub(super) fn read_name<'a>(
    dwarf: &'a Dwarf,
    unit: &'a Unit,
    offset: u64,
    attr: u16,
    value: Value<'a>,
    name: &mut Option<Name<'a>>,
) {
    match attr {
        at::LINKAGE_NAME | at::MIPS_LINKAGE_NAME => {
            if let Some(linkage) = unit.string(&dwarf.sections, value) {
                *name = Some(Name::Linkage(linkage));
            }
        }
        at::NAME if name.is_none() => {
            *name = (unit.string(&dwarf.sections, value)).map(|n| Name::Plain {
                name: n,
                unit,
                offset,
            });
        }
        at::ABSTRACT_ORIGIN | at::SPECIFICATION if name.is_none() => {
            *name = referenced_name(dwarf, unit, value, NAME_HOPS);
        }
        _ => {}
    }
}

/// The name of the entry `reference` points to, following its own references at most
/// `hops` times.
fn referenced_name<'a>(
    dwarf: &'a Dwarf,
    unit: &'a Unit,
    reference: Value<'a>,
    hops: usize,
) -> Option<Name<'a>> {
    let hops = hops.checked_sub(1)?;
    let (unit, offset) = match reference {
        Value::UnitRef(offset) => (unit, offset),
        Value::InfoRef(offset) => {
            let unit = dwarf.unit_at(offset)?;
            (unit, offset - unit.start as u64)
        }
        _ => return None,
    };
    let mut e = unit.entries_at(&dwarf.sections, offset)?;
    let abbrev = e.next_entry()??;
    let mut name = None;
    let mut next = None;
    for spec in abbrev.attrs.iter() {
        let value = e.value(spec)?;
        match spec.name {
            at::LINKAGE_NAME | at::MIPS_LINKAGE_NAME => {
                if let Some(linkage) = unit.string(&dwarf.sections, value) {
                    return Some(Name::Linkage(linkage));
                }
            }
            at::NAME => name = unit.string(&dwarf.sections, value).or(name),
            at::ABSTRACT_ORIGIN | at::SPECIFICATION => next = Some(value),
            _ => {}
        }
    }
    match name {
        Some(name) => Some(Name::Plain { name, unit, offset }),
        None => referenced_name(dwarf, unit, next?, hops),
    }
}
