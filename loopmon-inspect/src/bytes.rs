//! A bounds-checked cursor over a section's bytes, shared by the readers of `.eh_frame`
//! (`cfi`) and of the DWARF debug info (`dwarf`): every read returns `None` past the end, so
//! that truncated or corrupt tables end a parse instead of panicking.

/// Reads little-endian integers, LEB128 numbers and strings from a byte slice, moving forward.
#[derive(Clone, Debug)]
pub(crate) struct Bytes<'a> {
    /// The whole section (or the part being parsed): offsets are relative to its start.
    data: &'a [u8],
    /// Where the next read starts.
    pos: usize,
}

impl<'a> Bytes<'a> {
    /// A cursor at `pos` in `data` (reads fail at once if `pos` is past the end).
    pub(crate) fn at(data: &'a [u8], pos: usize) -> Bytes<'a> {
        Bytes { data, pos }
    }

    /// A cursor at `pos` in `data`, given as a 64-bit offset read from the debug info: `None`
    /// when it points past the end.
    pub(crate) fn at_u64(data: &'a [u8], pos: u64) -> Option<Bytes<'a>> {
        let pos = usize::try_from(pos).ok()?;
        (pos <= data.len()).then_some(Bytes { data, pos })
    }

    /// All the readable bytes, from the first (not from the next read).
    pub(crate) fn data(&self) -> &'a [u8] {
        self.data
    }

    /// The offset of the next read.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Where the data ends: the end of the unit or list when this cursor was split off.
    pub(crate) fn end(&self) -> usize {
        self.data.len()
    }

    /// Whether every byte has been read.
    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// A cursor over the next `len` bytes only (its offsets still count from the start of
    /// the data), and moves this one past them: a unit or a list cannot read beyond its length.
    pub(crate) fn split(&mut self, len: u64) -> Option<Bytes<'a>> {
        let end = self.pos.checked_add(usize::try_from(len).ok()?)?;
        let data = self.data.get(..end)?;
        let part = Bytes {
            data,
            pos: self.pos,
        };
        self.pos = end;
        Some(part)
    }

    /// The next `len` bytes.
    pub(crate) fn bytes(&mut self, len: u64) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(usize::try_from(len).ok()?)?;
        let bytes = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(bytes)
    }

    /// Moves past `len` bytes.
    pub(crate) fn skip(&mut self, len: u64) -> Option<()> {
        self.bytes(len).map(drop)
    }

    /// One byte.
    pub(crate) fn u8(&mut self) -> Option<u8> {
        let b = *self.data.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    /// A little-endian unsigned integer of `size` bytes (1 to 8).
    pub(crate) fn uint(&mut self, size: u8) -> Option<u64> {
        if size > 8 {
            return None;
        }
        let bytes = self.bytes(u64::from(size))?;
        Some(
            bytes
                .iter()
                .rev()
                .fold(0, |acc, &b| (acc << 8) | u64::from(b)),
        )
    }

    /// A little-endian `u16`.
    pub(crate) fn u16(&mut self) -> Option<u16> {
        self.uint(2).map(|v| v as u16)
    }

    /// A little-endian `u32`.
    pub(crate) fn u32(&mut self) -> Option<u32> {
        self.uint(4).map(|v| v as u32)
    }

    /// A little-endian `u64`.
    pub(crate) fn u64(&mut self) -> Option<u64> {
        self.uint(8)
    }

    /// An unsigned LEB128 number; `None` if it does not fit in 64 bits (padding, high groups
    /// of zeros, is fine).
    pub(crate) fn uleb(&mut self) -> Option<u64> {
        let (value, _, lost, _) = self.leb128()?;
        (!lost).then_some(value)
    }

    /// A signed LEB128 number (bits past the 64th are its sign's extension, not checked).
    pub(crate) fn sleb(&mut self) -> Option<i64> {
        let (value, shift, _, last) = self.leb128()?;
        let value = if shift < 64 && last & 0x40 != 0 {
            value | (u64::MAX << shift)
        } else {
            value
        };
        Some(value as i64)
    }

    /// The 7-bit groups of a LEB128 number, lowest first, up to the byte without the high bit:
    /// the bits that fit in 64, how many bits were written, whether any set bit did not fit,
    /// and the last byte (for its sign bit).
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

    /// A string ended by a NUL byte, without the NUL.
    pub(crate) fn cstr(&mut self) -> Option<&'a [u8]> {
        let rest = self.data.get(self.pos..)?;
        let len = rest.iter().position(|&b| b == 0)?;
        self.pos += len + 1;
        Some(&rest[..len])
    }

    /// A unit's initial length: the length that follows and the size of the offsets in the
    /// unit (4 in 32-bit DWARF, 8 in 64-bit DWARF).
    pub(crate) fn initial_length(&mut self) -> Option<(u64, u8)> {
        match self.u32()? {
            0xffff_ffff => Some((self.u64()?, 8)),
            // Reserved values: not a length.
            len if len >= 0xffff_fff0 => None,
            len => Some((u64::from(len), 4)),
        }
    }
}
