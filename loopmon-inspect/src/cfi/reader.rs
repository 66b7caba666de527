//! A bounds-checked cursor over a section's bytes (little-endian), with the LEB128 numbers and
//! the pointer encodings (`DW_EH_PE_*`) that `.eh_frame` and `.eh_frame_hdr` are written in.

use crate::bytes::Bytes;

/// `DW_EH_PE_omit`: the value is not there at all.
pub(super) const OMIT: u8 = 0xff;
/// `DW_EH_PE_indirect`: the decoded address holds the pointer. Following it would mean reading
/// the process's memory, so such pointers are given up on.
const INDIRECT: u8 = 0x80;
/// The application bits of an encoding: what the value is relative to.
const APPLICATION: u8 = 0x70;
/// `DW_EH_PE_pcrel`: relative to the address of the encoded value itself.
const PCREL: u8 = 0x10;
/// `DW_EH_PE_datarel`: relative to a base the section defines (`.eh_frame_hdr`'s start, in
/// that section).
const DATAREL: u8 = 0x30;
/// `DW_EH_PE_aligned`: the value starts at the next address-size boundary.
const ALIGNED: u8 = 0x50;

/// A read position in a section, whose first byte is at address `addr` (SVMA), so that
/// pc-relative pointers can be resolved: the crate's bounds-checked cursor (`bytes.rs`, whose
/// reads it offers through `Deref`) with the pointer encodings on top.
#[derive(Clone)]
pub(super) struct Reader<'a> {
    /// The bytes readable (the section, or the prefix of it that ends an entry) and the next
    /// one to read, as an index into the section.
    bytes: Bytes<'a>,
    /// The address of the section's first byte.
    addr: u64,
}

impl<'a> std::ops::Deref for Reader<'a> {
    type Target = Bytes<'a>;
    fn deref(&self) -> &Bytes<'a> {
        &self.bytes
    }
}

impl std::ops::DerefMut for Reader<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.bytes
    }
}

impl<'a> Reader<'a> {
    /// A reader at the start of `data`, a section loaded at `addr`.
    pub(super) fn new(data: &'a [u8], addr: u64) -> Reader<'a> {
        Reader {
            bytes: Bytes::at(data, 0),
            addr,
        }
    }

    /// The same section, read from `pos` and only up to `end` (an entry's bounds).
    pub(super) fn range(&self, pos: usize, end: usize) -> Option<Reader<'a>> {
        (pos <= end).then_some(())?;
        let bytes = Bytes::at(self.bytes.data().get(..end)?, pos);
        Some(Reader {
            bytes,
            addr: self.addr,
        })
    }

    /// A DWARF expression (a ULEB128 length, then that many bytes), skipped: the expressions
    /// are not evaluated, only stepped over.
    pub(super) fn skip_block(&mut self) -> Option<()> {
        let len = self.uleb()?;
        self.skip(len)
    }

    /// A value in the format (the low four bits) of encoding `enc`, not applied to any base;
    /// signed formats are sign-extended to 64 bits. `absptr` is 8 bytes (ELF64).
    pub(super) fn value(&mut self, enc: u8) -> Option<u64> {
        Some(match enc & 0x0f {
            0x00 | 0x04 | 0x08 | 0x0c => self.u64()?,
            0x01 => self.uleb()?,
            0x02 => u64::from(self.u16()?),
            0x03 => u64::from(self.u32()?),
            0x09 => self.sleb()? as u64,
            0x0a => i64::from(self.u16()? as i16) as u64,
            0x0b => i64::from(self.u32()? as i32) as u64,
            _ => return None,
        })
    }

    /// An address encoded as `enc` says, applied to its base: the value's own address for
    /// `pcrel`, `datarel` for `datarel` (`None` where the section defines no such base).
    /// `None` for an omitted or indirect pointer, and for the bases not used on x86_64 Linux
    /// (`textrel`, `funcrel`, `aligned`).
    pub(super) fn pointer(&mut self, enc: u8, datarel: Option<u64>) -> Option<u64> {
        if enc == OMIT || enc & INDIRECT != 0 {
            return None;
        }
        let here = self.addr.wrapping_add(self.pos() as u64);
        let base = match enc & APPLICATION {
            0 => 0,
            PCREL => here,
            DATAREL => datarel?,
            _ => return None,
        };
        Some(base.wrapping_add(self.value(enc)?))
    }

    /// Steps over a pointer that is not needed (the personality routine's), which still has
    /// to be decoded to know its length. Its base and indirection do not change the length;
    /// alignment would, and is not supported.
    pub(super) fn skip_pointer(&mut self, enc: u8) -> Option<()> {
        if enc == OMIT || enc & APPLICATION == ALIGNED {
            return None;
        }
        self.value(enc).map(drop)
    }
}

/// The size of a fixed-size value in the format of encoding `enc`; `None` for the LEB128
/// formats (a search table needs fixed-size entries) and unknown ones.
pub(super) fn fixed_size(enc: u8) -> Option<usize> {
    match enc & 0x0f {
        0x00 | 0x04 | 0x08 | 0x0c => Some(8),
        0x02 | 0x0a => Some(2),
        0x03 | 0x0b => Some(4),
        _ => None,
    }
}
