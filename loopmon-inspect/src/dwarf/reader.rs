//! A bounds-checked cursor over a section's bytes: every read returns `None` past the end, so
//! that truncated or corrupt debug info ends a parse instead of panicking.

/// Reads little-endian integers, LEB128 numbers and strings from a byte slice, moving forward.
#[derive(Clone, Debug)]
pub(super) struct Reader<'a> {
    /// The whole section (or the part being parsed): offsets are relative to its start.
    data: &'a [u8],
    /// Where the next read starts.
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A cursor at `pos` in `data` (reads fail at once if `pos` is past the end).
    pub(super) fn at(data: &'a [u8], pos: usize) -> Reader<'a> {
        Reader { data, pos }
    }

    /// A cursor at `pos` in `data`, given as a 64-bit offset read from the debug info: `None`
    /// when it points past the end.
    pub(super) fn at_u64(data: &'a [u8], pos: u64) -> Option<Reader<'a>> {
        let pos = usize::try_from(pos).ok()?;
        (pos <= data.len()).then_some(Reader { data, pos })
    }

    /// The offset of the next read.
    pub(super) fn pos(&self) -> usize {
        self.pos
    }

    /// Where the data ends: the end of the unit or list when this cursor was split off.
    pub(super) fn end(&self) -> usize {
        self.data.len()
    }

    /// Whether every byte has been read.
    pub(super) fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// A cursor over the next `len` bytes only (its offsets still count from the start of
    /// the data), and moves this one past them: a unit or a list cannot read beyond its length.
    pub(super) fn split(&mut self, len: u64) -> Option<Reader<'a>> {
        let end = self.pos.checked_add(usize::try_from(len).ok()?)?;
        let data = self.data.get(..end)?;
        let part = Reader {
            data,
            pos: self.pos,
        };
        self.pos = end;
        Some(part)
    }

    /// The next `len` bytes.
    pub(super) fn bytes(&mut self, len: u64) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(usize::try_from(len).ok()?)?;
        let bytes = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(bytes)
    }

    /// Moves past `len` bytes.
    pub(super) fn skip(&mut self, len: u64) -> Option<()> {
        self.bytes(len).map(drop)
    }

    /// One byte.
    pub(super) fn u8(&mut self) -> Option<u8> {
        let b = *self.data.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    /// A little-endian unsigned integer of `size` bytes (1 to 8).
    pub(super) fn uint(&mut self, size: u8) -> Option<u64> {
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
    pub(super) fn u16(&mut self) -> Option<u16> {
        self.uint(2).map(|v| v as u16)
    }

    /// A little-endian `u32`.
    pub(super) fn u32(&mut self) -> Option<u32> {
        self.uint(4).map(|v| v as u32)
    }

    /// A little-endian `u64`.
    pub(super) fn u64(&mut self) -> Option<u64> {
        self.uint(8)
    }

    /// An unsigned LEB128 number. Bits past the 64th are dropped, as no valid value has them.
    pub(super) fn uleb(&mut self) -> Option<u64> {
        self.leb().map(|(value, _, _)| value)
    }

    /// A signed LEB128 number.
    pub(super) fn sleb(&mut self) -> Option<i64> {
        let (value, bits, last) = self.leb()?;
        let mut value = value as i64;
        if bits < 64 && last & 0x40 != 0 {
            value |= -1i64 << bits; // the sign bit: extend it
        }
        Some(value)
    }

    /// The low 64 bits of a LEB128 number, how many bits it was written with, and its last
    /// byte (whose bit 6 is the sign of a signed one).
    fn leb(&mut self) -> Option<(u64, u32, u8)> {
        let mut value = 0u64;
        let mut bits = 0u32;
        loop {
            let byte = self.u8()?;
            if bits < 64 {
                value |= u64::from(byte & 0x7f) << bits;
            }
            bits = bits.saturating_add(7);
            if byte & 0x80 == 0 {
                return Some((value, bits, byte));
            }
        }
    }

    /// A string ended by a NUL byte, without the NUL.
    pub(super) fn cstr(&mut self) -> Option<&'a [u8]> {
        let rest = self.data.get(self.pos..)?;
        let len = rest.iter().position(|&b| b == 0)?;
        self.pos += len + 1;
        Some(&rest[..len])
    }

    /// A unit's initial length: the length that follows and the size of the offsets in the
    /// unit (4 in 32-bit DWARF, 8 in 64-bit DWARF).
    pub(super) fn initial_length(&mut self) -> Option<(u64, u8)> {
        match self.u32()? {
            0xffff_ffff => Some((self.u64()?, 8)),
            // Reserved values: not a length.
            len if len >= 0xffff_fff0 => None,
            len => Some((u64::from(len), 4)),
        }
    }
}

/// The NUL-ended string at `offset` in a string section (`.debug_str`, `.debug_line_str`).
pub(super) fn str_at(section: &[u8], offset: u64) -> Option<&[u8]> {
    Reader::at_u64(section, offset)?.cstr()
}
