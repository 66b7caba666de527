//! The entries of `.eh_frame`: a CIE (common information entry) holds what the functions of
//! a compilation unit share (alignment factors, the return address register, the pointer
//! encoding, the initial rules), an FDE (frame description entry) one function's address range
//! and its own instructions. Laid out as the LSB describes `.eh_frame`: a length (32 bits, or
//! `0xffffffff` then 64 bits), then a 32-bit id that is 0 in a CIE and, in an FDE, the distance
//! back from that field to its CIE.

use super::reader::{Reader, OMIT};
use std::ops::Range;

/// `DW_EH_PE_absptr`: the pointer encoding of an FDE whose CIE names none.
const ABSPTR: u8 = 0x00;

/// What an FDE takes from its CIE.
pub(super) struct Cie {
    /// Multiplies the deltas of the `advance_loc` instructions.
    pub(super) code_align: u64,
    /// Multiplies the factored offsets of the register and CFA instructions.
    pub(super) data_align: i64,
    /// The register whose rule gives the return address (16, `rip`, on x86_64).
    pub(super) ra: u16,
    /// How the FDEs' addresses (`pc_begin`, `DW_CFA_set_loc`) are encoded.
    pub(super) fde_enc: u8,
    /// Whether the FDEs carry augmentation data behind a length (augmentation `z`).
    augmented: bool,
    /// Where the initial instructions lie in `.eh_frame`.
    pub(super) instructions: Range<usize>,
}

/// One function's entry.
pub(super) struct Fde {
    /// Its CIE.
    pub(super) cie: Cie,
    /// The first address it covers (SVMA).
    pub(super) pc_begin: u64,
    /// How many bytes it covers.
    pub(super) pc_range: u64,
    /// Where its instructions lie in `.eh_frame`.
    pub(super) instructions: Range<usize>,
}

/// The entry at `offset` of `.eh_frame` (read by `frame`, at any position): a reader of its
/// body after the id, limited to the entry, the position of the id, and the id. `None` for
/// the zero terminator and for an entry that runs past the section.
fn open<'a>(frame: &Reader<'a>, offset: usize) -> Option<(Reader<'a>, usize, u32)> {
    let mut r = frame.range(offset, frame.end())?;
    let len = match r.u32()? {
        0 => return None,
        0xffff_ffff => r.u64()?,
        len => u64::from(len),
    };
    let end = r.pos().checked_add(usize::try_from(len).ok()?)?;
    let mut body = frame.range(r.pos(), end)?;
    let at = body.pos();
    let id = body.u32()?;
    Some((body, at, id))
}

/// The FDE at `offset` of `.eh_frame`, with its CIE.
pub(super) fn fde(frame: &Reader<'_>, offset: usize) -> Option<Fde> {
    let (mut r, at, id) = open(frame, offset)?;
    if id == 0 {
        return None; // a CIE
    }
    let cie = cie(frame, at.checked_sub(usize::try_from(id).ok()?)?)?;
    let pc_begin = r.pointer(cie.fde_enc, None)?;
    // The range is a length, in the same format but relative to nothing.
    let pc_range = r.value(cie.fde_enc)?;
    if cie.augmented {
        // The LSDA pointer, when there is one, is not needed: skipped with the rest.
        let len = r.uleb()?;
        r.skip(len)?;
    }
    Some(Fde {
        cie,
        pc_begin,
        pc_range,
        instructions: r.pos()..r.end(),
    })
}

/// The CIE at `offset` of `.eh_frame`.
fn cie(frame: &Reader<'_>, offset: usize) -> Option<Cie> {
    let (mut r, _, id) = open(frame, offset)?;
    if id != 0 {
        return None; // an FDE
    }
    let version = r.u8()?;
    if !matches!(version, 1 | 3 | 4) {
        return None;
    }
    let augmentation = r.cstr()?;
    if version == 4 {
        // The address and segment selector sizes: 8 bytes, and no segments, here.
        let (address_size, segment_size) = (r.u8()?, r.u8()?);
        if address_size != 8 || segment_size != 0 {
            return None;
        }
    }
    let code_align = r.uleb()?;
    let data_align = r.sleb()?;
    let ra = if version == 1 {
        u64::from(r.u8()?)
    } else {
        r.uleb()?
    };
    let mut cie = Cie {
        code_align,
        data_align,
        ra: u16::try_from(ra).ok()?,
        fde_enc: ABSPTR,
        augmented: false,
        instructions: 0..0,
    };
    match augmentation {
        [] => {}
        [b'z', letters @ ..] => {
            cie.augmented = true;
            let len = r.uleb()?;
            let start = r.pos();
            r.skip(len)?;
            let mut data = r.range(start, r.pos())?;
            for letter in letters {
                match letter {
                    // The LSDA's encoding: the LSDA is not needed.
                    b'L' => drop(data.u8()?),
                    // The personality routine, not needed, but in the way.
                    b'P' => {
                        let enc = data.u8()?;
                        data.skip_pointer(enc)?;
                    }
                    b'R' => cie.fde_enc = data.u8()?,
                    // A signal frame (its pc is not a return address) or, on other
                    // architectures, a property with no data: nothing to read.
                    b'S' | b'B' | b'G' => {}
                    // Anything else: its data, and the rest, are skipped by the length.
                    _ => break,
                }
            }
            if cie.fde_enc == OMIT {
                return None;
            }
        }
        // Without `z` the augmentation's data cannot be skipped.
        _ => return None,
    }
    cie.instructions = r.pos()..r.end();
    Some(cie)
}
