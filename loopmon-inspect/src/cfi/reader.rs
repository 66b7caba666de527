//! A bounds-checked cursor over a section's bytes (little-endian), with the LEB128 numbers and
//! the pointer encodings (`DW_EH_PE_*`) that `.eh_frame` and `.eh_frame_hdr` are written in.

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
/// pc-relative pointers can be resolved. Every read returns `None` past the end, and consumes
/// at least one byte when it succeeds, so that a loop over reads always ends.
#[derive(Clone)]
pub(super) struct Reader<'a> {
    /// The bytes readable: the section, or the prefix of it that ends an entry.
    data: &'a [u8],
    /// The next byte to read, as an index into `data` (and the section).
    pos: usize,
    /// The address of `data[0]`.
    addr: u64,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `data`, a section loaded at `addr`.
    pub(super) fn new(data: &'a [u8], addr: u64) -> Reader<'a> {
        Reader { data, pos: 0, addr }
    }

    /// The same section, read from `pos` and only up to `end` (an entry's bounds).
    pub(super) fn range(&self, pos: usize, end: usize) -> Option<Reader<'a>> {
        let data = self.data.get(..end)?;
        (pos <= end).then_some(Reader {
            data,
            pos,
            addr: self.addr,
        })
    }

    /// Where the next read starts.
    pub(super) fn pos(&self) -> usize {
        self.pos
    }

    /// Where the readable bytes end.
    pub(super) fn end(&self) -> usize {
        self.data.len()
    }

    /// Whether every byte has been read.
    pub(super) fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// The next `N` bytes.
    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let bytes = self.data.get(self.pos..self.pos.checked_add(N)?)?;
        self.pos += N;
        bytes.try_into().ok()
    }

    /// One byte.
    pub(super) fn u8(&mut self) -> Option<u8> {
        self.array::<1>().map(|b| b[0])
    }

    /// A little-endian `u16`.
    pub(super) fn u16(&mut self) -> Option<u16> {
        self.array().map(u16::from_le_bytes)
    }

    /// A little-endian `u32`.
    pub(super) fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_le_bytes)
    }

    /// A little-endian `u64`.
    pub(super) fn u64(&mut self) -> Option<u64> {
        self.array().map(u64::from_le_bytes)
    }

    /// The 7-bit groups of a LEB128 number, lowest first, up to the byte without the high bit:
    /// the bits that fit in 64, whether any did not, and the last byte (for its sign bit).
    fn leb128(&mut self) -> Option<(u64, u32, bool, u8)> {
        let (mut value, mut shift, mut lost) = (0u64, 0u32, false);
        loop {
            let byte = self.u8()?;
            let bits = u64::from(byte & 0x7f);
            if shift < 64 {
                value |= bits << shift;
                lost |= shift > 57 && bits >> (64 - shift) != 0;
            } else {
                lost |= bits != 0;
            }
            shift = shift.saturating_add(7);
            if byte & 0x80 == 0 {
                return Some((value, shift, lost, byte));
            }
        }
    }

    /// An unsigned LEB128 number; `None` if it does not fit in 64 bits.
    pub(super) fn uleb(&mut self) -> Option<u64> {
        let (value, _, lost, _) = self.leb128()?;
        (!lost).then_some(value)
    }

    /// A signed LEB128 number (bits past the 64th are its sign's extension, not checked).
    pub(super) fn sleb(&mut self) -> Option<i64> {
        let (value, shift, _, last) = self.leb128()?;
        let value = if shift < 64 && last & 0x40 != 0 {
            value | (u64::MAX << shift)
        } else {
            value
        };
        Some(value as i64)
    }

    /// Moves past `len` bytes.
    pub(super) fn skip(&mut self, len: u64) -> Option<()> {
        let end = self.pos.checked_add(usize::try_from(len).ok()?)?;
        (end <= self.data.len()).then(|| self.pos = end)
    }

    /// A NUL-terminated string, without its NUL.
    pub(super) fn cstr(&mut self) -> Option<&'a [u8]> {
        let rest = self.data.get(self.pos..)?;
        let len = rest.iter().position(|&b| b == 0)?;
        self.pos += len + 1;
        Some(&rest[..len])
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
        let here = self.addr.wrapping_add(self.pos as u64);
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
