//! Line tables (`.debug_line`): a unit's line program, run into sequences of rows (address,
//! file, line), so that the row covering an address can be found by binary search.

use super::die::{read_value, Encoding};
use super::reader::Reader;
use super::units::Unit;
use super::Sections;

/// One row: from `address` up to the next row's address, the code is for `line` of `file`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Row {
    /// The first address of the row.
    pub(super) address: u64,
    /// An index into the unit's file table.
    pub(super) file: u64,
    /// The line, 0 when no line applies (compiler-generated code).
    pub(super) line: u32,
}

/// A run of contiguous code: its rows, sorted by address, and where it ends.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Sequence {
    /// The first row's address.
    pub(super) start: u64,
    /// The address just past the sequence.
    pub(super) end: u64,
    /// Its rows; rows at the same address are merged into the last one.
    pub(super) rows: Box<[Row]>,
}

/// A unit's line table.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Lines {
    /// The file table, as full paths, by index.
    pub(super) files: Box<[String]>,
    /// The sequences, sorted by start address.
    pub(super) sequences: Box<[Sequence]>,
}

/// A file entry of the header, before its path is joined to its directory.
#[derive(Debug, Clone, Copy)]
struct FileEntry<'a> {
    /// The file's name, or its path.
    path: &'a [u8],
    /// The index of its directory in the table of directories.
    dir: u64,
}

/// The header fields the program's opcodes depend on.
#[derive(Debug)]
pub(super) struct Header {
    /// The line program's version, 2 to 5.
    pub(super) version: u16,
    /// The size of an address in `DW_LNE_set_address`.
    pub(super) addr_size: u8,
    /// The unit of address advances.
    pub(super) min_inst_len: u8,
    /// More than 1 for VLIW machines only: operations per instruction.
    pub(super) max_ops: u8,
    /// The smallest line advance of a special opcode.
    pub(super) line_base: i8,
    /// How many line advances special opcodes encode.
    pub(super) line_range: u8,
    /// The first special opcode.
    pub(super) opcode_base: u8,
}

impl Lines {
    /// Parses and runs the line program at `offset` in `.debug_line`. `None` if it is
    /// malformed anywhere: a table read wrongly would name wrong lines.
    pub(super) fn parse(unit: &Unit, s: &Sections, offset: u64) -> Option<Lines> {
        let mut r = Reader::at_u64(&s.line, offset)?;
        let (len, offset_size) = r.initial_length()?;
        let mut r = r.split(len)?;
        let version = r.u16()?;
        if !(2..=5).contains(&version) {
            return None;
        }
        let mut addr_size = unit.enc.addr_size;
        if version >= 5 {
            addr_size = r.u8()?;
            r.u8()?; // segment selector size
        }
        let header_len = r.uint(offset_size)?;
        let mut program = r.clone();
        program.skip(header_len)?;
        let min_inst_len = r.u8()?;
        let max_ops = if version >= 4 { r.u8()? } else { 1 };
        r.u8()?; // default_is_stmt
        let line_base = r.u8()? as i8;
        let line_range = r.u8()?;
        let opcode_base = r.u8()?;
        let std_lengths = r.bytes(u64::from(opcode_base.saturating_sub(1)))?;
        if line_range == 0 || min_inst_len == 0 || max_ops == 0 || !(1..=8).contains(&addr_size) {
            return None;
        }
        let header = Header {
            version,
            addr_size,
            min_inst_len,
            max_ops,
            line_base,
            line_range,
            opcode_base,
        };
        let enc = Encoding {
            version,
            addr_size,
            offset_size,
        };
        let (dirs, mut files) = if version >= 5 {
            let dirs = entries_v5(&mut r, unit, s, enc)?;
            let files = entries_v5(&mut r, unit, s, enc)?;
            (dirs.into_iter().map(|f| f.path).collect(), files)
        } else {
            tables_v4(&mut r)?
        };
        let mut define_file = |path, dir| files.push(FileEntry { path, dir });
        let sequences = super::program::run(&mut program, &header, std_lengths, &mut define_file)?;
        let render = |f: &FileEntry<'_>| render(unit, &header, &dirs, f);
        let mut paths: Vec<String> = Vec::with_capacity(files.len() + 1);
        if version < 5 {
            paths.push(String::new()); // file 0 means none before DWARF 5
        }
        paths.extend(files.iter().map(render));
        Some(Lines {
            files: paths.into_boxed_slice(),
            sequences,
        })
    }

    /// The file and line of the row covering `probe`: `None` if no sequence covers it.
    pub(super) fn find(&self, probe: u64) -> Option<(Option<&str>, Option<u32>)> {
        let seq = self
            .sequences
            .binary_search_by(|s| {
                if probe < s.start {
                    std::cmp::Ordering::Greater
                } else if probe >= s.end {
                    std::cmp::Ordering::Less
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .ok()?;
        let rows = &self.sequences[seq].rows;
        let i = match rows.binary_search_by(|row| row.address.cmp(&probe)) {
            Ok(i) => i,
            Err(i) => i.checked_sub(1)?,
        };
        let row = rows[i];
        Some((self.file(row.file), (row.line != 0).then_some(row.line)))
    }

    /// The path of file `index`.
    pub(super) fn file(&self, index: u64) -> Option<&str> {
        self.files
            .get(usize::try_from(index).ok()?)
            .map(String::as_str)
    }
}

/// The directory and file tables of DWARF 2 to 4: NUL-ended strings, each list ended by an
/// empty one; a file's directory index, modification time and size follow its name.
fn tables_v4<'a>(r: &mut Reader<'a>) -> Option<(Vec<&'a [u8]>, Vec<FileEntry<'a>>)> {
    let mut dirs = Vec::new();
    loop {
        let dir = r.cstr()?;
        if dir.is_empty() {
            break;
        }
        dirs.push(dir);
    }
    let mut files = Vec::new();
    loop {
        let path = r.cstr()?;
        if path.is_empty() {
            break;
        }
        let dir = r.uleb()?;
        r.uleb()?; // modification time
        r.uleb()?; // size
        files.push(FileEntry { path, dir });
    }
    Some((dirs, files))
}

/// `DW_LNCT_path`.
const LNCT_PATH: u64 = 1;
/// `DW_LNCT_directory_index`.
const LNCT_DIRECTORY_INDEX: u64 = 2;

/// A DWARF 5 table of directories or files: a list of (content, form) pairs, then the
/// entries, each a value per pair. Contents other than the path and the directory index (the
/// MD5 sum, the size...) are skipped by their form.
fn entries_v5<'a>(
    r: &mut Reader<'a>,
    unit: &Unit,
    s: &'a Sections,
    enc: Encoding,
) -> Option<Vec<FileEntry<'a>>> {
    let format_count = r.u8()?;
    let mut format = Vec::with_capacity(usize::from(format_count));
    for _ in 0..format_count {
        format.push((r.uleb()?, r.uleb()?));
    }
    let count = r.uleb()?;
    let mut entries = Vec::new();
    for _ in 0..count {
        // An entry of no bytes (no format, or only forms without data) would let a corrupt
        // count loop for ever: it ends the table.
        let start = r.pos();
        let mut entry = FileEntry { path: &[], dir: 0 };
        for &(content, form) in &format {
            let value = read_value(r, form, 0, enc)?;
            match content {
                LNCT_PATH => entry.path = unit.string(s, value)?,
                LNCT_DIRECTORY_INDEX => entry.dir = value.udata()?,
                _ => {}
            }
        }
        if r.pos() == start {
            return None;
        }
        entries.push(entry);
    }
    Some(entries)
}

/// A file's full path: the unit's directory, joined with the file's directory (unless it is
/// directory 0, the unit's own), joined with its name; an absolute part replaces what comes
/// before it.
fn render(unit: &Unit, header: &Header, dirs: &[&[u8]], file: &FileEntry<'_>) -> String {
    let mut path = unit.comp_dir.clone().unwrap_or_default();
    if file.dir != 0 {
        // Before DWARF 5 directory 1 is the first listed: 0 was the unit's.
        let index = if header.version >= 5 {
            file.dir
        } else {
            file.dir - 1
        };
        if let Some(dir) = usize::try_from(index).ok().and_then(|i| dirs.get(i)) {
            push(&mut path, &String::from_utf8_lossy(dir));
        }
    }
    push(&mut path, &String::from_utf8_lossy(file.path));
    path
}

/// Appends `part` to `path` with a separator, or replaces `path` with it if it is absolute.
fn push(path: &mut String, part: &str) {
    let windows_root = |p: &str| p.starts_with('\\') || p.get(1..3) == Some(":\\");
    if part.starts_with('/') || windows_root(part) {
        *path = part.to_owned();
        return;
    }
    let separator = if windows_root(path) { '\\' } else { '/' };
    if !path.is_empty() && !path.ends_with(separator) {
        path.push(separator);
    }
    path.push_str(part);
}
