//! Abbreviation tables (`.debug_abbrev`): each entry of `.debug_info` starts with a code naming
//! its abbreviation, which gives the entry's tag, whether it has children, and the name and
//! form of each of its attributes.

use super::reader::Reader;

/// One attribute of an abbreviation: its name (`DW_AT_*`), its form (`DW_FORM_*`) and, for
/// `DW_FORM_implicit_const`, its value, stored here rather than in the entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct AttrSpec {
    /// `DW_AT_*`.
    pub(super) name: u16,
    /// `DW_FORM_*`.
    pub(super) form: u16,
    /// The value of a `DW_FORM_implicit_const` attribute.
    pub(super) implicit: i64,
}

/// One abbreviation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Abbrev {
    /// The code entries use to name it.
    pub(super) code: u64,
    /// `DW_TAG_*`.
    pub(super) tag: u16,
    /// Whether entries with it are followed by children, ended by a null entry.
    pub(super) has_children: bool,
    /// Its attributes, in the order their values follow the code.
    pub(super) attrs: Box<[AttrSpec]>,
}

/// The abbreviations of one table, by code.
#[derive(Debug, Default)]
pub(super) struct Abbrevs {
    /// Sorted by code. Compilers number them 1, 2, 3...: then code `c` is at `c - 1`.
    list: Vec<Abbrev>,
    /// Whether `list[i].code == i + 1` for every `i`.
    dense: bool,
}

impl Abbrevs {
    /// Parses the table at `offset` in `.debug_abbrev`, up to its null entry. `None` if it is
    /// truncated or malformed.
    pub(super) fn parse(section: &[u8], offset: u64) -> Option<Abbrevs> {
        let mut r = Reader::at_u64(section, offset)?;
        let mut list = Vec::new();
        loop {
            let code = r.uleb()?;
            if code == 0 {
                break;
            }
            let tag = u16::try_from(r.uleb()?).ok()?;
            let has_children = r.u8()? != 0;
            let mut attrs = Vec::new();
            loop {
                let name = r.uleb()?;
                let form = r.uleb()?;
                if name == 0 && form == 0 {
                    break;
                }
                let implicit = if form == super::die::FORM_IMPLICIT_CONST {
                    r.sleb()?
                } else {
                    0
                };
                attrs.push(AttrSpec {
                    // Names and forms past 16 bits are vendor ones nothing here reads; their
                    // form is unknown to the reader, which stops at such an entry.
                    name: u16::try_from(name).unwrap_or(0),
                    form: u16::try_from(form).unwrap_or(u16::MAX),
                    implicit,
                });
            }
            list.push(Abbrev {
                code,
                tag,
                has_children,
                attrs: attrs.into_boxed_slice(),
            });
        }
        let dense = list.iter().enumerate().all(|(i, a)| a.code == i as u64 + 1);
        if !dense {
            list.sort_by_key(|a| a.code);
        }
        Some(Abbrevs { list, dense })
    }

    /// The abbreviation with `code`.
    pub(super) fn get(&self, code: u64) -> Option<&Abbrev> {
        if self.dense {
            return self.list.get(usize::try_from(code.checked_sub(1)?).ok()?);
        }
        let i = self.list.binary_search_by_key(&code, |a| a.code).ok()?;
        self.list.get(i)
    }
}
