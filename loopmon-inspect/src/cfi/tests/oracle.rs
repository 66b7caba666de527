//! The parser against `gimli` on the binaries this test process maps (itself, libc, the
//! dynamic loader, ...), loaded as the unwinder loads them: at the start, middle and last byte
//! of every row of every FDE, and just outside each FDE, the same CFA rule and the same rules
//! for the return address and `rbp`, or no row from either.

use super::super::{Cfa, Cfi, Row, Rule};
use crate::modules::Modules;
use crate::proc;
use gimli::{
    BaseAddresses, CfaRule, CieOrFde, EhFrame, EhFrameHdr, EndianSlice, LittleEndian, RegisterRule,
    UnwindContext, UnwindSection, X86_64,
};
use std::path::Path;

/// What was compared, and where the two disagreed.
#[derive(Default)]
struct Tally {
    /// FDEs whose rows were compared.
    fdes: usize,
    /// Addresses looked up.
    addresses: usize,
    /// Addresses with no row from either.
    neither: usize,
    /// The disagreements: (binary, address, ours, gimli's).
    mismatches: Vec<(String, u64, Option<Row>, Option<Row>)>,
}

/// A gimli register rule as the unwinder reads it.
fn rule(r: RegisterRule<usize>) -> Rule {
    match r {
        RegisterRule::Undefined => Rule::Undefined,
        RegisterRule::SameValue => Rule::SameValue,
        RegisterRule::Offset(o) => Rule::Offset(o),
        _ => Rule::Other,
    }
}

/// Compares the rows of every FDE of `cfi` with gimli's, through its own search table.
fn compare(path: &str, cfi: &Cfi, tally: &mut Tally) {
    let bases = BaseAddresses::default()
        .set_eh_frame_hdr(cfi.hdr_addr)
        .set_eh_frame(cfi.frame_addr);
    let hdr = EhFrameHdr::new(&cfi.hdr, LittleEndian)
        .parse(&bases, 8)
        .expect("gimli reads the header we read");
    let table = hdr.table().expect("a search table");
    let frame = EhFrame::new(&cfi.frame, LittleEndian);
    let mut ctx = UnwindContext::new();
    let theirs = |ctx: &mut UnwindContext<usize>, svma: u64| {
        let row = table
            .unwind_info_for_address(&frame, &bases, ctx, svma, |f, b, o| f.cie_from_offset(b, o))
            .ok()?;
        Some(Row {
            cfa: match *row.cfa() {
                CfaRule::RegisterAndOffset { register, offset } => Cfa::RegOffset {
                    reg: register.0,
                    offset,
                },
                CfaRule::Expression(_) => Cfa::Expression,
            },
            ra: rule(row.register(X86_64::RA)),
            rbp: rule(row.register(X86_64::RBP)),
        })
    };
    let mut entries = frame.entries(&bases);
    while let Ok(Some(entry)) = entries.next() {
        let CieOrFde::Fde(partial) = entry else {
            continue;
        };
        let Ok(fde) = partial
            .parse(|f: &EhFrame<EndianSlice<'_, LittleEndian>>, b, o| f.cie_from_offset(b, o))
        else {
            continue;
        };
        let (start, end) = (fde.initial_address(), fde.end_address());
        let mut spans = Vec::new();
        match fde.rows(&frame, &bases, &mut ctx) {
            Ok(mut rows) => loop {
                match rows.next_row() {
                    Ok(Some(row)) => spans.push((row.start_address(), row.end_address())),
                    Ok(None) => break,
                    Err(_) => {
                        spans.push((start, end));
                        break;
                    }
                }
            },
            Err(_) => spans.push((start, end)),
        }
        tally.fdes += 1;
        let mut addresses = vec![start.wrapping_sub(1), end];
        for (a, b) in spans.into_iter().filter(|(a, b)| a < b) {
            addresses.extend([a, a + (b - a) / 2, b - 1]);
        }
        for svma in addresses {
            let (ours, theirs) = (cfi.row(svma), theirs(&mut ctx, svma));
            tally.addresses += 1;
            tally.neither += usize::from(ours.is_none() && theirs.is_none());
            if ours != theirs {
                tally.mismatches.push((path.to_owned(), svma, ours, theirs));
            }
        }
    }
}

#[test]
fn rows_match_gimli_s_on_the_binaries_of_this_process() {
    let maps = proc::maps(Path::new("/proc/self")).expect("Linux");
    let mut modules = Modules::default();
    let mut tally = Tally::default();
    let mut compared: Vec<(String, usize, usize)> = Vec::new();
    for m in maps
        .iter()
        .filter(|m| m.executable && m.path.starts_with('/'))
    {
        if compared.iter().any(|c| c.0 == m.path) {
            continue;
        }
        let Some((module, _)) = modules.find(&maps, m.start) else {
            continue;
        };
        let Some(cfi) = &module.unwind else {
            continue;
        };
        let (fdes, addresses) = (tally.fdes, tally.addresses);
        compare(&m.path, cfi, &mut tally);
        compared.push((
            m.path.clone(),
            tally.fdes - fdes,
            tally.addresses - addresses,
        ));
    }
    for (path, fdes, addresses) in &compared {
        eprintln!("{path}: {fdes} FDEs, {addresses} addresses");
    }
    eprintln!(
        "{} addresses compared ({} without a row from either), {} mismatches",
        tally.addresses,
        tally.neither,
        tally.mismatches.len()
    );
    for (path, svma, ours, theirs) in tally.mismatches.iter().take(20) {
        eprintln!("{path} {svma:#x}: ours {ours:?}, gimli {theirs:?}");
    }
    let exe = std::fs::read_link("/proc/self/exe").expect("the test binary");
    let exe = exe.to_str().expect("a UTF-8 path");
    assert!(
        compared.iter().any(|c| c.0 == exe && c.1 > 1000),
        "the test binary"
    );
    assert!(
        compared
            .iter()
            .any(|c| c.0.contains("/libc.so") && c.1 > 1000),
        "libc"
    );
    assert!(tally.mismatches.is_empty());
}
