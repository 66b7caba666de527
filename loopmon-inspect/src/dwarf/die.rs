//! Debugging information entries (DIEs): walking a unit's tree of entries and reading or
//! skipping their attribute values in every form DWARF 2 to 5 defines. An attribute nothing
//! here needs must still be skipped by the exact size of its form, or every entry after it
//! would be misread: an unknown form ends the walk instead.

use super::abbrev::{Abbrev, Abbrevs, AttrSpec};
use super::reader::Reader;

/// `DW_FORM_implicit_const`: the value is in the abbreviation, none in the entry.
pub(super) const FORM_IMPLICIT_CONST: u64 = 0x21;

/// What the size of a unit's values depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Encoding {
    /// The DWARF version, 2 to 5.
    pub(super) version: u16,
    /// The size of an address, 8 on x86_64.
    pub(super) addr_size: u8,
    /// The size of a section offset: 4 in 32-bit DWARF, 8 in 64-bit DWARF.
    pub(super) offset_size: u8,
}

/// An attribute's value, by what it means rather than by its exact form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Value<'a> {
    /// A target address (`DW_FORM_addr`).
    Addr(u64),
    /// An index into the unit's slice of `.debug_addr` (`DW_FORM_addrx*`).
    AddrIndex(u64),
    /// An unsigned constant (`DW_FORM_data1/2/4/8`, `udata`).
    Udata(u64),
    /// A signed constant (`DW_FORM_sdata`, `implicit_const`).
    Sdata(i64),
    /// A string stored in the entry (`DW_FORM_string`).
    String(&'a [u8]),
    /// An offset into `.debug_str` (`DW_FORM_strp`).
    Strp(u64),
    /// An offset into `.debug_line_str` (`DW_FORM_line_strp`).
    LineStrp(u64),
    /// An index into the unit's slice of `.debug_str_offsets` (`DW_FORM_strx*`).
    StrIndex(u64),
    /// An entry of the same unit, by its offset from the unit's start (`DW_FORM_ref1/2/4/8`,
    /// `ref_udata`).
    UnitRef(u64),
    /// An entry anywhere in `.debug_info`, by its offset there (`DW_FORM_ref_addr`).
    InfoRef(u64),
    /// An offset into another section (`DW_FORM_sec_offset`).
    SecOffset(u64),
    /// An index into the unit's range list offsets (`DW_FORM_rnglistx`).
    RngListIndex(u64),
    /// Anything else (blocks, flags, references into other files...): nothing here reads it.
    Other,
}

impl Value<'_> {
    /// The value as an unsigned constant: `DW_AT_call_line`, a `DW_AT_high_pc` that is a
    /// size... A negative one is none.
    pub(super) fn udata(self) -> Option<u64> {
        match self {
            Value::Udata(v) => Some(v),
            Value::Sdata(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }
}

/// Reads a value of `form` (with `implicit`, the value of a `DW_FORM_implicit_const`). `None`
/// if the data ends first or the form is unknown: its size, hence where the next value
/// starts, cannot be known.
pub(super) fn read_value<'a>(
    r: &mut Reader<'a>,
    mut form: u64,
    implicit: i64,
    enc: Encoding,
) -> Option<Value<'a>> {
    // `DW_FORM_indirect` gives the form in the data, once or (pointlessly) more.
    while form == 0x16 {
        form = r.uleb()?;
    }
    let offset = |r: &mut Reader<'a>| r.uint(enc.offset_size);
    Some(match form {
        0x01 => Value::Addr(r.uint(enc.addr_size)?),
        0x03 => {
            let len = r.u16()?;
            block(r, u64::from(len))?
        }
        0x04 => {
            let len = r.u32()?;
            block(r, u64::from(len))?
        }
        0x05 => Value::Udata(u64::from(r.u16()?)),
        0x06 => Value::Udata(u64::from(r.u32()?)),
        0x07 => Value::Udata(r.u64()?),
        0x08 => Value::String(r.cstr()?),
        0x09 | 0x18 => {
            let len = r.uleb()?;
            block(r, len)?
        }
        0x0a => {
            let len = r.u8()?;
            block(r, u64::from(len))?
        }
        0x0b => Value::Udata(u64::from(r.u8()?)),
        0x0c => skip(r, 1)?,
        0x0d => Value::Sdata(r.sleb()?),
        0x0e => Value::Strp(offset(r)?),
        0x0f => Value::Udata(r.uleb()?),
        // In DWARF 2 a reference to another unit has the size of an address.
        0x10 if enc.version == 2 => Value::InfoRef(r.uint(enc.addr_size)?),
        0x10 => Value::InfoRef(offset(r)?),
        0x11 => Value::UnitRef(u64::from(r.u8()?)),
        0x12 => Value::UnitRef(u64::from(r.u16()?)),
        0x13 => Value::UnitRef(u64::from(r.u32()?)),
        0x14 => Value::UnitRef(r.u64()?),
        0x15 => Value::UnitRef(r.uleb()?),
        0x17 => Value::SecOffset(offset(r)?),
        0x19 => Value::Other, // flag_present: no data
        0x1a => Value::StrIndex(r.uleb()?),
        0x1b => Value::AddrIndex(r.uleb()?),
        0x1c => skip(r, 4)?,                            // ref_sup4: another file
        0x1d | 0x1f20 | 0x1f21 => skip_offset(r, enc)?, // strp_sup, GNU_ref_alt, GNU_strp_alt
        0x1e => skip(r, 16)?,                           // data16
        0x1f => Value::LineStrp(offset(r)?),
        0x20 => skip(r, 8)?, // ref_sig8: a type unit, never needed for names
        0x21 => Value::Sdata(implicit),
        0x22 => {
            r.uleb()?; // loclistx
            Value::Other
        }
        0x23 => Value::RngListIndex(r.uleb()?),
        0x24 => skip(r, 8)?, // ref_sup8
        0x25 => Value::StrIndex(u64::from(r.u8()?)),
        0x26 => Value::StrIndex(u64::from(r.u16()?)),
        0x27 => Value::StrIndex(r.uint(3)?),
        0x28 => Value::StrIndex(u64::from(r.u32()?)),
        0x29 => Value::AddrIndex(u64::from(r.u8()?)),
        0x2a => Value::AddrIndex(u64::from(r.u16()?)),
        0x2b => Value::AddrIndex(r.uint(3)?),
        0x2c => Value::AddrIndex(u64::from(r.u32()?)),
        0x1f01 => Value::AddrIndex(r.uleb()?), // GNU_addr_index (split DWARF before v5)
        0x1f02 => Value::StrIndex(r.uleb()?),  // GNU_str_index
        _ => return None,
    })
}

/// Moves past a block of `len` bytes.
fn block<'a>(r: &mut Reader<'a>, len: u64) -> Option<Value<'a>> {
    skip(r, len)
}

/// Moves past `len` bytes of a value nothing reads.
fn skip<'a>(r: &mut Reader<'a>, len: u64) -> Option<Value<'a>> {
    r.skip(len)?;
    Some(Value::Other)
}

/// Moves past an offset nothing reads.
fn skip_offset<'a>(r: &mut Reader<'a>, enc: Encoding) -> Option<Value<'a>> {
    skip(r, u64::from(enc.offset_size))
}

/// A cursor over the entries of one unit, keeping track of their depth in the tree.
#[derive(Debug)]
pub(super) struct Entries<'a> {
    /// Bounded by the end of the unit.
    r: Reader<'a>,
    /// Where the unit starts in `.debug_info`: entry offsets in the unit count from there.
    unit_start: usize,
    /// The unit's abbreviations.
    abbrevs: &'a Abbrevs,
    /// The unit's encoding.
    enc: Encoding,
    /// The depth of the next entry, relative to the first one read.
    depth: isize,
}

impl<'a> Entries<'a> {
    /// A cursor at `offset` from the unit's start. `unit` is `.debug_info` cut where the unit
    /// ends, so that no read goes past it; `unit_start` is where the unit's header starts.
    pub(super) fn new(
        unit: &'a [u8],
        unit_start: usize,
        offset: u64,
        abbrevs: &'a Abbrevs,
        enc: Encoding,
    ) -> Option<Entries<'a>> {
        let at = u64::try_from(unit_start).ok()?.checked_add(offset)?;
        Some(Entries {
            r: Reader::at_u64(unit, at)?,
            unit_start,
            abbrevs,
            enc,
            depth: 0,
        })
    }

    /// The depth the next entry will have.
    pub(super) fn next_depth(&self) -> isize {
        self.depth
    }

    /// Whether the unit has no more entries.
    pub(super) fn is_empty(&self) -> bool {
        self.r.is_empty()
    }

    /// The offset of the next entry from the unit's start.
    pub(super) fn offset(&self) -> u64 {
        (self.r.pos() - self.unit_start) as u64
    }

    /// Reads the next entry's abbreviation: `Some(None)` for a null entry (the end of a list
    /// of children), `None` when the data ends or names no abbreviation. Its attributes must
    /// then be read or skipped, in order.
    pub(super) fn next_entry(&mut self) -> Option<Option<&'a Abbrev>> {
        let code = self.r.uleb()?;
        if code == 0 {
            self.depth -= 1;
            return Some(None);
        }
        let abbrev = self.abbrevs.get(code)?;
        if abbrev.has_children {
            self.depth += 1;
        }
        Some(Some(abbrev))
    }

    /// Reads the value of the current entry's next attribute.
    pub(super) fn value(&mut self, spec: &AttrSpec) -> Option<Value<'a>> {
        read_value(&mut self.r, u64::from(spec.form), spec.implicit, self.enc)
    }

    /// Moves past the current entry's attributes.
    pub(super) fn skip_attrs(&mut self, abbrev: &Abbrev) -> Option<()> {
        for spec in abbrev.attrs.iter() {
            self.value(spec)?;
        }
        Some(())
    }
}
