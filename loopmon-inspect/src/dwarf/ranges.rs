//! The address ranges of a unit or a function: `DW_AT_low_pc` with `DW_AT_high_pc` (an end
//! address or a size), or `DW_AT_ranges`, a list in `.debug_ranges` (DWARF 2 to 4) or
//! `.debug_rnglists` (DWARF 5).
//!
//! Code the linker dropped keeps its entries with a "tombstone" address (all ones, or all
//! ones but one before DWARF 5) or as empty ranges: both are left out.

use super::die::Value;
use super::reader::Reader;
use super::units::{at, Unit};
use super::Sections;

/// An address attribute as stored: the address itself or an index into `.debug_addr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Addr {
    /// `DW_FORM_addr`.
    Direct(u64),
    /// `DW_FORM_addrx*`.
    Index(u64),
}

/// Where a `DW_AT_ranges` list is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ListRef {
    /// An offset into the range list section.
    Offset(u64),
    /// `DW_FORM_rnglistx`: an index into the unit's table of offsets.
    Index(u64),
}

/// The range attributes of one entry, gathered while its attributes are read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct RangeAttrs {
    /// `DW_AT_low_pc`.
    low_pc: Option<Addr>,
    /// `DW_AT_high_pc` given as an address.
    high_pc: Option<Addr>,
    /// `DW_AT_high_pc` given as a size (DWARF 4 and later, mostly).
    size: Option<u64>,
    /// `DW_AT_ranges`.
    list: Option<ListRef>,
}

impl RangeAttrs {
    /// Keeps the attribute `name` if it is one of the range attributes.
    pub(super) fn read(&mut self, name: u16, value: Value<'_>) {
        let addr = match value {
            Value::Addr(a) => Some(Addr::Direct(a)),
            Value::AddrIndex(i) => Some(Addr::Index(i)),
            _ => None,
        };
        match name {
            at::LOW_PC => self.low_pc = addr.or(self.low_pc),
            at::HIGH_PC => match addr {
                Some(addr) => self.high_pc = Some(addr),
                None => self.size = value.udata().or(self.size),
            },
            at::RANGES => match value {
                Value::SecOffset(o) | Value::Udata(o) => self.list = Some(ListRef::Offset(o)),
                Value::RngListIndex(i) => self.list = Some(ListRef::Index(i)),
                _ => {}
            },
            _ => {}
        }
    }

    /// Whether the entry has a `DW_AT_ranges` list.
    pub(super) fn has_list(&self) -> bool {
        self.list.is_some()
    }

    /// Calls `f` with each non-empty range `(begin, end)`, in order; returns whether there
    /// was any. A list is preferred to the low and high addresses, as compilers do.
    pub(super) fn for_each(&self, unit: &Unit, s: &Sections, mut f: impl FnMut(u64, u64)) -> bool {
        let mut any = false;
        let mut add = |begin: u64, end: u64| {
            if begin < end {
                f(begin, end);
                any = true;
            }
        };
        let resolve = |a: Addr| match a {
            Addr::Direct(a) => Some(a),
            Addr::Index(i) => unit.indexed_address(s, i),
        };
        if let Some(list) = self.list {
            for_each_listed(unit, s, list, &mut add);
        } else if let Some(low) = self.low_pc.and_then(resolve) {
            if let Some(high) = self.high_pc.and_then(resolve) {
                add(low, high);
            } else if let Some(size) = self.size {
                // A tombstone low address overflows here, and is left out as empty.
                add(low, low.wrapping_add(size));
            }
        }
        any
    }
}

/// All ones in an address of `size` bytes.
fn mask(size: u8) -> u64 {
    if size >= 8 {
        u64::MAX
    } else {
        (1u64 << (u32::from(size) * 8)) - 1
    }
}

/// Calls `add` with each range of the list `list` (empty ones too: `add` skips them). Stops at
/// the end of the list, or where it is malformed.
fn for_each_listed(unit: &Unit, s: &Sections, list: ListRef, add: &mut impl FnMut(u64, u64)) {
    let size = unit.enc.addr_size;
    let mask = mask(size);
    let mut base = unit.low_pc;
    if unit.enc.version <= 4 {
        let ListRef::Offset(offset) = list else {
            return;
        };
        let Some(mut r) = Reader::at_u64(&s.ranges, offset) else {
            return;
        };
        let tombstone = mask - 1;
        while let (Some(begin), Some(end)) = (r.uint(size), r.uint(size)) {
            match (begin, end) {
                (0, 0) => break,
                (b, e) if b == mask => base = e,
                _ if base == tombstone => {}
                (b, e) => {
                    let (b, e) = (base.wrapping_add(b) & mask, base.wrapping_add(e) & mask);
                    if b != tombstone {
                        add(b, e);
                    }
                }
            }
        }
        return;
    }
    let offset = match list {
        ListRef::Offset(offset) => Some(offset),
        ListRef::Index(index) => list_offset(unit, s, index),
    };
    let Some(mut r) = offset.and_then(|o| Reader::at_u64(&s.rnglists, o)) else {
        return;
    };
    let address = |i| unit.indexed_address(s, i);
    let tombstone = mask;
    let mut next = || -> Option<Option<(u64, u64)>> {
        Some(match r.u8()? {
            0 => return None, // end_of_list
            1 => {
                base = address(r.uleb()?)?; // base_addressx
                None
            }
            2 => Some((address(r.uleb()?)?, address(r.uleb()?)?)), // startx_endx
            3 => {
                let begin = address(r.uleb()?)?; // startx_length
                Some((begin, begin.wrapping_add(r.uleb()?) & mask))
            }
            4 => {
                let (b, e) = (r.uleb()?, r.uleb()?); // offset_pair
                if base == tombstone {
                    None
                } else {
                    Some((base.wrapping_add(b) & mask, base.wrapping_add(e) & mask))
                }
            }
            5 => {
                base = r.uint(size)?; // base_address
                None
            }
            6 => Some((r.uint(size)?, r.uint(size)?)), // start_end
            7 => {
                let begin = r.uint(size)?; // start_length
                Some((begin, begin.wrapping_add(r.uleb()?) & mask))
            }
            _ => return None,
        })
    };
    while let Some(entry) = next() {
        if let Some((b, e)) = entry.filter(|(b, _)| *b != tombstone) {
            add(b, e);
        }
    }
}

/// The offset in `.debug_rnglists` of list `index` of the unit (`DW_FORM_rnglistx`): the
/// unit's table of offsets starts at its `DW_AT_rnglists_base`, and its offsets count from
/// there.
fn list_offset(unit: &Unit, s: &Sections, index: u64) -> Option<u64> {
    let size = unit.enc.offset_size;
    let at = index
        .checked_mul(u64::from(size))?
        .checked_add(unit.rnglists_base)?;
    let offset = Reader::at_u64(&s.rnglists, at)?.uint(size)?;
    unit.rnglists_base.checked_add(offset)
}
