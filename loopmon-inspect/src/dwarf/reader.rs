//! The DWARF readers' cursor: the crate's bounds-checked one (`bytes.rs`), and the strings it
//! points to.

pub(super) use crate::bytes::Bytes as Reader;

/// The NUL-ended string at `offset` in a string section (`.debug_str`, `.debug_line_str`).
pub(super) fn str_at(section: &[u8], offset: u64) -> Option<&[u8]> {
    Reader::at_u64(section, offset)?.cstr()
}
