//! The reader against `addr2line` on real binaries: the frames at the start and inside every
//! function symbol, and at the return addresses of a stack captured from a blocked thread,
//! must be the same (names, files, lines, count; a plain name addr2line gives may be qualified
//! in ours); and how long each takes, printed.

use super::super::{Dwarf, DwarfFrame};
use crate::elf::Elf;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The sections both readers use.
const NAMES: [&str; 10] = [
    ".debug_info",
    ".debug_abbrev",
    ".debug_line",
    ".debug_str",
    ".debug_line_str",
    ".debug_ranges",
    ".debug_rnglists",
    ".debug_addr",
    ".debug_str_offsets",
    ".debug_aranges",
];

/// A binary's debug sections, read as `modules.rs` reads them (with `elf.rs`), and its
/// function symbols: (address, size).
pub(super) struct Binary {
    /// By name.
    pub(super) sections: HashMap<&'static str, Arc<[u8]>>,
    /// Function symbols with a size.
    pub(super) symbols: Vec<(u64, u64)>,
}

/// Reads the binary at `path`.
pub(super) fn load(path: &str) -> Binary {
    let file = std::fs::File::open(path).expect("open the binary");
    let elf = Elf::parse(file).expect("an ELF file");
    let sections = (NAMES.iter())
        .filter_map(|&name| Some((name, Arc::from(elf.section(name)?.1))))
        .collect();
    let symbols = (elf.functions().into_iter())
        .filter(|s| s.0 != 0 && s.1 > 0)
        .map(|s| (s.0, s.1))
        .collect();
    Binary { sections, symbols }
}

type Context = addr2line::Context<gimli::EndianArcSlice<gimli::RunTimeEndian>>;

impl Binary {
    /// The reader under test.
    fn ours(&self) -> Dwarf {
        Dwarf::new(|name| self.sections.get(name).map(|s| Box::from(&s[..]))).expect("debug info")
    }

    /// The oracle.
    fn theirs(&self) -> Context {
        let dwarf = gimli::Dwarf::load(|id| -> Result<_, ()> {
            let data = self.sections.get(id.name()).cloned();
            let data = data.unwrap_or_else(|| Arc::from(&[][..]));
            Ok(gimli::EndianArcSlice::new(
                data,
                gimli::RunTimeEndian::Little,
            ))
        })
        .unwrap();
        addr2line::Context::from_dwarf(dwarf).unwrap()
    }

    /// The start of every function symbol, and a few addresses inside it; or, in a small
    /// binary (under a million bytes of functions), every address of every function.
    fn probes(&self) -> Vec<u64> {
        let code: u64 = self.symbols.iter().map(|s| s.1).sum();
        let mut probes: Vec<u64> = if code < 1 << 20 {
            (self.symbols.iter()).flat_map(|&(a, n)| a..a + n).collect()
        } else {
            (self.symbols.iter())
                .flat_map(|&(a, n)| [a, a + n / 3, a + n / 2, a + n - 1])
                .collect()
        };
        probes.sort_unstable();
        probes.dedup();
        probes
    }
}

/// `addr2line`'s frames at `probe`, as `symbols.rs` read them before.
fn theirs_at(ctx: &Context, probe: u64) -> Vec<DwarfFrame> {
    let mut frames = Vec::new();
    if let Ok(mut iter) = ctx.find_frames(probe).skip_all_loads() {
        while let Ok(Some(f)) = iter.next() {
            let name = f.function.as_ref().and_then(|n| n.raw_name().ok());
            let location = f.location.as_ref();
            frames.push(DwarfFrame {
                name: name.map(|n| n.into_owned()),
                file: location.and_then(|l| l.file).map(str::to_owned),
                line: location.and_then(|l| l.line),
            });
        }
    }
    frames
}

/// What a comparison found.
#[derive(Debug, Default)]
struct Tally {
    /// Addresses compared.
    addresses: usize,
    /// Frames compared (addr2line's).
    frames: usize,
    /// Frames whose plain name we qualified.
    qualified: usize,
    /// By class (count, name, file, line), how many and the first example.
    mismatches: BTreeMap<&'static str, (usize, String)>,
}

/// Whether our name `ours` is addr2line's `theirs`: the same, or, for a plain name (addr2line
/// does not qualify them), `theirs` qualified with its scopes (`app::cmd::{impl#0}::apply`
/// for `apply`). A linkage name must be the same.
fn same_name(ours: Option<&str>, theirs: Option<&str>) -> bool {
    match (ours, theirs) {
        (Some(ours), Some(theirs)) => {
            ours == theirs
                || (ours.strip_suffix(theirs)).is_some_and(|scopes| scopes.ends_with("::"))
        }
        (ours, theirs) => ours == theirs,
    }
}

/// Compares the frames of both readers at each of `probes`.
fn compare(ours: &Dwarf, theirs: &Context, probes: &[u64]) -> Tally {
    let mut tally = Tally::default();
    for &probe in probes {
        let (a, b) = (ours.find_frames(probe), theirs_at(theirs, probe));
        tally.addresses += 1;
        tally.frames += b.len();
        let mut classes = Vec::new();
        if a.len() != b.len() {
            classes.push("frame count");
        }
        for (x, y) in a.iter().zip(&b) {
            if !same_name(x.name.as_deref(), y.name.as_deref()) {
                classes.push("name");
            } else if x.name != y.name {
                tally.qualified += 1;
            }
            if x.file != y.file {
                classes.push("file");
            }
            if x.line != y.line {
                classes.push("line");
            }
        }
        classes.dedup();
        for class in classes {
            let entry = tally.mismatches.entry(class).or_default();
            entry.0 += 1;
            if entry.1.is_empty() {
                entry.1 = format!("{probe:#x}: ours {a:?}, addr2line {b:?}");
            }
        }
    }
    tally
}

/// Compares the readers on `path` and prints the figures; returns the mismatches.
fn check(path: &str, extra: &[u64]) -> Tally {
    let binary = load(path);
    let t = Instant::now();
    let ours = binary.ours();
    let build_ours = t.elapsed();
    let t = Instant::now();
    let theirs = binary.theirs();
    let build_theirs = t.elapsed();
    let probes = binary.probes();
    // Timings on a fresh pair: the first lookup, 1000 more spread over the binary (parsing the
    // units they land in), the same 1000 again (parsed).
    let spread: Vec<u64> = (probes.iter().step_by((probes.len() / 1000).max(1)))
        .copied()
        .take(1000)
        .collect();
    let time = |f: &dyn Fn(u64) -> usize, probes: &[u64]| {
        let t = Instant::now();
        let n: usize = probes.iter().map(|&p| f(p)).sum();
        (t.elapsed(), n)
    };
    let ours_at = |p| ours.find_frames(p).len();
    let theirs_at = |p| theirs_at(&theirs, p).len();
    let first = probes.len() / 2;
    let first = &probes[first..first + 1];
    let report = |who: &str, build: Duration, f: &dyn Fn(u64) -> usize| {
        let (one, _) = time(f, first);
        let (cold, n) = time(f, &spread);
        let (warm, _) = time(f, &spread);
        println!(
            "{who:>9}: built in {build:?}, first lookup {one:?}, {} lookups {cold:?} then \
             {warm:?} again ({n} frames)",
            spread.len()
        );
    };
    println!("{path}: {} function symbols", binary.symbols.len());
    report("inspect", build_ours, &ours_at);
    report("addr2line", build_theirs, &theirs_at);
    let t = Instant::now();
    let mut tally = compare(&ours, &theirs, &probes);
    let stack = compare(&ours, &theirs, extra);
    tally.addresses += stack.addresses;
    tally.frames += stack.frames;
    tally.qualified += stack.qualified;
    tally.mismatches.extend(stack.mismatches);
    println!(
        "compared {} addresses ({} of a captured stack), {} frames ({} plain names qualified), \
         in {:?}: mismatches {:?}",
        tally.addresses,
        extra.len(),
        tally.frames,
        tally.qualified,
        t.elapsed(),
        tally.mismatches
    );
    tally
}

/// The addresses in this executable (as in the file) of the return addresses of a thread
/// blocked a few calls deep in a channel's receive, as the inspector captures it.
fn captured_stack() -> Vec<u64> {
    use crate::{current_tid, modules, proc, Inspector};
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        tid_tx.send(current_tid().unwrap()).unwrap();
        blocked_outer(&rx);
    });
    let tid = tid_rx.recv().unwrap();
    let exe = std::fs::read_link("/proc/self/exe").unwrap();
    let exe = exe.to_str().unwrap();
    let maps = proc::maps(std::path::Path::new("/proc/self")).unwrap();
    let mut modules = modules::Modules::default();
    let mut inspector = Inspector::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut probes = Vec::new();
    while probes.len() < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        let Some(snap) = inspector.inspect(tid) else {
            continue;
        };
        let mut addresses: Vec<u64> = snap.frames.iter().map(|f| f.address).collect();
        addresses.dedup();
        probes = (addresses.iter().enumerate())
            .map(|(i, &a)| if i == 0 { a } else { a - 1 })
            .filter(|&a| modules::executable_at(&maps, a).is_some_and(|m| m.path == exe))
            .filter_map(|a| modules.find(&maps, a).map(|(_, svma)| svma))
            .collect();
    }
    drop(tx);
    thread.join().unwrap();
    assert!(probes.len() >= 3, "a stack with frames in this binary");
    probes
}

/// The caller of the blocking call, a frame of its own.
#[inline(never)]
fn blocked_outer(rx: &std::sync::mpsc::Receiver<()>) {
    blocked_inner(rx);
    std::hint::black_box(());
}

/// Blocks until the sender is dropped.
#[inline(never)]
fn blocked_inner(rx: &std::sync::mpsc::Receiver<()>) {
    let _ = rx.recv();
    std::hint::black_box(());
}

#[test]
fn same_frames_as_addr2line_in_this_binary() {
    let stack = captured_stack();
    let tally = check("/proc/self/exe", &stack);
    assert!(tally.addresses > 10_000, "{tally:?}");
    assert!(tally.mismatches.is_empty(), "{:#?}", tally.mismatches);
}

/// A program with inlined calls, generics and closures, built by rustc with DWARF 5 (this test
/// binary has DWARF 4): its string offsets, address indexes, range lists and the line tables'
/// entry formats are the other half of what the reader reads.
const PROGRAM: &str = r#"
#[inline(always)]
fn scaled<T: Into<u64>>(x: T, k: u64) -> u64 { x.into().wrapping_mul(k) }
#[inline(never)]
fn fold(v: &[u32]) -> u64 { v.iter().map(|&x| scaled(x, 3)).fold(1, |a, b| a ^ b.rotate_left(5)) }
fn main() {
    let v: Vec<u32> = std::env::args().map(|a| a.len() as u32).collect();
    println!("{}", fold(std::hint::black_box(&v)));
}
"#;

/// Builds [`PROGRAM`] with DWARF 5 and optimizations (so that calls are inlined) in `dir`.
pub(super) fn build_dwarf_5(dir: &std::path::Path) -> String {
    let source = dir.join("main.rs");
    std::fs::write(&source, PROGRAM).unwrap();
    let out = dir.join("dwarf5");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let build = |flag: &str| {
        std::process::Command::new(&rustc)
            .args(["-g", "-Copt-level=2", flag, "-o"])
            .arg(&out)
            .arg(&source)
            // `-Zdwarf-version` on toolchains where the flag is not stable yet.
            .env("RUSTC_BOOTSTRAP", "1")
            .status()
            .is_ok_and(|s| s.success())
    };
    assert!(
        build("-Cdwarf-version=5") || build("-Zdwarf-version=5"),
        "{rustc} builds a DWARF 5 binary"
    );
    out.to_str().unwrap().to_owned()
}

/// A DWARF 5 binary rustc builds here, and any others named in `LOOPMON_DWARF_ORACLE`
/// (separated by `:`): built by GCC or clang with `-gdwarf-5`, `-gdwarf-4`, `-O2`..., or split.
#[test]
fn same_frames_as_addr2line_in_other_binaries() {
    let dir = std::env::temp_dir().join(format!("loopmon-dwarf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut paths = vec![build_dwarf_5(&dir)];
    let more = std::env::var("LOOPMON_DWARF_ORACLE").unwrap_or_default();
    paths.extend(more.split(':').filter(|p| !p.is_empty()).map(str::to_owned));
    for path in &paths {
        let tally = check(path, &[]);
        assert!(tally.addresses > 1000, "{path}: {tally:?}");
        assert!(
            tally.mismatches.is_empty(),
            "{path}: {:#?}",
            tally.mismatches
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
