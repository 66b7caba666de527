//! Real debug info (the DWARF 5 program the oracle builds, with std's DWARF 4 units beside
//! it) damaged at random: lookups give fewer or other frames, never a panic (these tests run
//! with overflow checks) or an endless loop.

use super::super::Dwarf;
use super::oracle::{build_dwarf_5, load};
use std::collections::HashMap;
use std::sync::Arc;

#[test]
fn damaged_real_debug_info_never_panics() {
    let dir = std::env::temp_dir().join(format!("loopmon-damage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let binary = load(&build_dwarf_5(&dir));
    std::fs::remove_dir_all(&dir).unwrap();
    // Probes in the user's code (its unit is the first, and small) and spread over the rest.
    let mut symbols = binary.symbols.clone();
    symbols.sort_unstable();
    let probes: Vec<u64> = (symbols.iter().step_by((symbols.len() / 40).max(1)))
        .map(|&(a, n)| a + n / 2)
        .collect();
    let names: Vec<&'static str> = {
        let mut n: Vec<_> = binary.sections.keys().copied().collect();
        n.sort_unstable();
        n
    };
    let intact = |sections: &HashMap<&'static str, Arc<[u8]>>| {
        Dwarf::new(|name| sections.get(name).map(|s| Box::from(&s[..]))).map(|d| {
            (probes.iter())
                .map(|&p| d.find_frames(p).len())
                .sum::<usize>()
        })
    };
    assert!(intact(&binary.sections).is_some_and(|frames| frames >= probes.len()));
    let mut random = crate::tests::xorshift(0x9e37_79b9_7f4a_7c15_u64);
    for _ in 0..60 {
        let mut sections = binary.sections.clone();
        let name = names[random() as usize % names.len()];
        let mut bytes = sections[name].to_vec();
        if bytes.is_empty() {
            continue;
        }
        // A few bytes overwritten near the start (where the user's unit and the line tables'
        // first headers are, so that the probes reach them), or anywhere.
        let span = if random() % 2 == 0 {
            bytes.len().min(4096)
        } else {
            bytes.len()
        };
        for _ in 0..1 + random() % 4 {
            let at = random() as usize % span;
            bytes[at] = random() as u8;
        }
        sections.insert(name, Arc::from(bytes));
        let _ = intact(&sections);
    }
}
