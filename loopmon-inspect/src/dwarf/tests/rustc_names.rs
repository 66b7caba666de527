//! Names on programs rustc builds here: with `-Cdebuginfo=line-tables-only` (a common release
//! setting) and with full debug info, optimized so that calls are inlined.

use super::super::Dwarf;
use crate::elf::Elf;
use crate::symbols::is_path_of;

/// Nested modules, a method, a closure, a function inlined into another, and an unmangled
/// function in a module (its debug info has a plain name only, even in a full build).
const PROGRAM: &str = r#"
mod outer {
    pub mod inner {
        #[inline(always)]
        pub fn scaled(x: u64, k: u64) -> u64 { x.wrapping_mul(k).rotate_left(7) }
        pub struct Acc { pub total: u64 }
        impl Acc {
            #[inline(never)]
            pub fn add(&mut self, v: &[u64]) -> u64 {
                v.iter().for_each(|&x| self.total ^= std::hint::black_box(x).rotate_left(3));
                self.total
            }
        }
    }
    #[inline(never)]
    pub fn run(v: &[u64]) -> u64 {
        let mut s = 1u64;
        for &x in v { s ^= inner::scaled(std::hint::black_box(x), 3); }
        s
    }
}
pub mod ffi {
    #[no_mangle]
    #[inline(never)]
    pub extern "C" fn prog_exported(x: u64) -> u64 { std::hint::black_box(x) + 1 }
}
fn main() {
    let v: Vec<u64> = std::env::args().map(|a| a.len() as u64).collect();
    let mut acc = outer::inner::Acc { total: 0 };
    let (a, b) = (outer::run(std::hint::black_box(&v)), acc.add(&v));
    println!("{a} {b} {}", ffi::prog_exported(3));
}
"#;

/// A binary built from [`PROGRAM`]: its debug info and its function symbols, demangled.
struct Program {
    /// The reader.
    dwarf: Dwarf,
    /// `(address, size, demangled name without hash)`.
    symbols: Vec<(u64, u64, String)>,
}

impl Program {
    /// Builds [`PROGRAM`] as crate `prog` in `dir` with `debuginfo`, and reads it.
    fn build(dir: &std::path::Path, debuginfo: &str) -> Program {
        let source = dir.join("prog.rs");
        std::fs::write(&source, PROGRAM).unwrap();
        let out = dir.join(format!("prog-{debuginfo}"));
        let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
        let built = std::process::Command::new(&rustc)
            .arg(format!("-Cdebuginfo={debuginfo}"))
            .args(["-Copt-level=2", "-o"])
            .arg(&out)
            .arg(&source)
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            built,
            "{rustc} builds the program with -Cdebuginfo={debuginfo}"
        );
        let elf = Elf::parse(std::fs::File::open(&out).unwrap()).expect("an ELF file");
        let dwarf = Dwarf::new(|name| elf.section(name).map(|(_, data)| data.into()));
        let symbols = (elf.functions().into_iter())
            .map(|(a, n, name)| (a, n, format!("{:#}", rustc_demangle::demangle(&name))))
            .collect();
        Program {
            dwarf: dwarf.expect("debug info"),
            symbols,
        }
    }

    /// The names of the frames at every address of the function whose symbol is `symbol`,
    /// innermost first, the outermost named as `symbols.rs` names it (with the symbol's path
    /// when the debug info has none).
    fn chains(&self, symbol: &str) -> Vec<Vec<String>> {
        let &(start, size, _) = (self.symbols.iter())
            .find(|s| s.2 == symbol)
            .unwrap_or_else(|| panic!("a symbol {symbol}"));
        let mut chains: Vec<Vec<String>> = (start..start + size)
            .map(|probe| {
                let frames = self.dwarf.find_frames(probe).into_iter();
                let mut names: Vec<String> = frames.map(|f| f.name.unwrap_or_default()).collect();
                if let Some(outer) = names.last_mut().filter(|n| is_path_of(symbol, n)) {
                    *outer = symbol.to_owned();
                }
                names
            })
            .collect();
        chains.sort();
        chains.dedup();
        chains
    }
}

/// Whether some chain of `chains` has `inner` right inside `outer`.
fn inlined_into(chains: &[Vec<String>], inner: &str, outer: &str) -> bool {
    (chains.iter()).any(|c| c.windows(2).any(|w| w[0] == inner && w[1] == outer))
}

/// `name` demangled without its hash.
fn demangled(name: &str) -> String {
    format!("{:#}", rustc_demangle::demangle(name))
}

#[test]
fn names_of_line_tables_only_and_full_builds() {
    let dir = std::env::temp_dir().join(format!("loopmon-names-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    // Line tables only: LLVM writes each function's plain name and no namespace around it, so
    // an inlined call keeps its plain name (rustc 1.95: `scaled`; the qualified one, should a
    // later rustc write the namespaces); the function holding it takes its symbol's path.
    let lines = Program::build(&dir, "line-tables-only");
    let run = lines.chains("prog::outer::run");
    println!("line-tables-only, in run: {run:?}");
    let scaled = ["prog::outer::inner::scaled", "scaled"];
    assert!(
        scaled
            .iter()
            .any(|s| inlined_into(&run, s, "prog::outer::run")),
        "{run:?}"
    );
    let add = lines.chains("prog::outer::inner::Acc::add");
    println!("line-tables-only, in add: {add:?}");
    assert!(add
        .iter()
        .all(|c| c.last().unwrap() == "prog::outer::inner::Acc::add"));
    let closure = [
        "prog::outer::inner::{impl#0}::add::{closure#0}",
        "{closure#0}",
    ];
    // The closure runs inlined in `for_each`, itself inlined into `add`.
    let has_closure = |c: &Vec<String>| closure.iter().any(|n| c.iter().any(|m| m == n));
    assert!(add.iter().any(has_closure), "{add:?}");

    // Full debug info: linkage names, kept as they are (demangled later); the unmangled
    // function has a plain name, qualified with its module.
    let full = Program::build(&dir, "2");
    let run = full.chains("prog::outer::run");
    println!("full, in run: {run:?}");
    let linkage = |chain: &Vec<String>, i: usize, path: &str| {
        chain.len() > i && chain[i].starts_with("_ZN") && demangled(&chain[i]) == path
    };
    assert!(run
        .iter()
        .all(|c| linkage(c, c.len() - 1, "prog::outer::run")));
    let scaled_in_run =
        |c: &Vec<String>| c.len() >= 2 && linkage(c, c.len() - 2, "prog::outer::inner::scaled");
    assert!(run.iter().any(scaled_in_run), "{run:?}");
    let add = full.chains("prog::outer::inner::Acc::add");
    let closure = "prog::outer::inner::Acc::add::{{closure}}";
    assert!(
        add.iter()
            .any(|c| (c.iter()).any(|n| demangled(n) == closure)),
        "{add:?}"
    );
    let exported = full.chains("prog_exported");
    println!("full, in prog_exported: {exported:?}");
    assert!(
        (exported.iter()).all(|c| c.last().unwrap() == "prog::ffi::prog_exported"),
        "{exported:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
