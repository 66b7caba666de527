//! Threads running on the CPU, sampled by a signal (feature `cpu-stacks`): the user function
//! they spin in, named with its file, and its callers.

use super::*;

#[inline(never)]
fn spin_outer(ctx: &Ctx) -> u64 {
    spin_middle(ctx).wrapping_add(std::hint::black_box(1))
}

#[inline(never)]
fn spin_middle(ctx: &Ctx) -> u64 {
    spin_inner(ctx).wrapping_add(std::hint::black_box(1))
}

#[inline(never)]
fn spin_inner(ctx: &Ctx) -> u64 {
    let mut n = 0u64;
    while !ctx.stopped() {
        for _ in 0..1000 {
            n = std::hint::black_box(n.wrapping_mul(31).wrapping_add(7));
        }
    }
    n
}

/// Whether `snap` names `function` of this file.
fn names_here(snap: &ThreadSnapshot, function: &str) -> Option<usize> {
    let i = find(snap, function)?;
    let file = snap.frames[i].file.as_deref().unwrap_or_default();
    file.ends_with("src/tests/spinning.rs").then_some(i)
}

#[test]
fn a_spinning_thread_is_named_with_its_callers() {
    let t = Blocked::spawn(|ctx| {
        let _ = spin_outer(ctx);
    });
    let snap = t.inspect_until(|s| names_here(s, "spin_inner").is_some());
    assert_eq!(snap.activity, ThreadActivity::RunningOnCpu, "{snap}");
    assert_eq!(snap.stack_missing, None, "{snap}");
    let inner = names_here(&snap, "spin_inner").unwrap_or_else(|| panic!("{snap}"));
    let middle = names_here(&snap, "spin_middle").unwrap_or_else(|| panic!("{snap}"));
    let outer = names_here(&snap, "spin_outer").unwrap_or_else(|| panic!("{snap}"));
    assert!(inner < middle && middle < outer, "{snap}");
    assert!(
        inner <= 1,
        "the innermost user frame, or the library call in it: {snap}"
    );
    assert!(
        snap.to_string().starts_with("running on the CPU in "),
        "{snap}"
    );
}

#[inline(never)]
fn read_the_clock(ctx: &Ctx) -> u64 {
    let mut n = 0u64;
    while !ctx.stopped() {
        n = n.wrapping_add(std::hint::black_box(Instant::now()).elapsed().as_nanos() as u64);
    }
    n
}

/// A loop that reads the clock spends most of its time in the vDSO, where the binaries' tables
/// do not reach: those samples are taken again, so most inspections still name the loop.
#[test]
fn a_thread_reading_the_clock_is_named_too() {
    let t = Blocked::spawn(|ctx| {
        let _ = read_the_clock(ctx);
    });
    t.inspect_until(|s| s.activity == ThreadActivity::RunningOnCpu);
    let mut inspector = Inspector::new();
    let snaps: Vec<ThreadSnapshot> = (0..5).filter_map(|_| inspector.inspect(t.tid)).collect();
    let named = snaps
        .iter()
        .filter(|s| names_here(s, "read_the_clock").is_some())
        .count();
    let all: Vec<String> = snaps
        .iter()
        .map(|s| format!("{s} ({:?})", s.stack_missing))
        .collect();
    assert!(named >= 3, "{named} of 5 named the loop: {all:#?}");
}
