//! Scenario 8: what adopting loopmon costs a user's build. Four fresh crates, side by side: a
//! tokio hello world with `#[tokio::main]`, the same with `#[loopmon::main]` (a path
//! dependency on this checkout, with its default features, whatever they are today), the
//! same without loopmon's default `stacks` feature, and the floor: `#[tokio::main]` with the
//! packages loopmon's design requires (chrono, tokio's `time`) but none of loopmon's code.
//! Each is
//! built with a plain `cargo build` (debug) into an emptied target directory, alternately
//! (tokio, loopmon, tokio, loopmon, …), offline from the same registry cache after one fetch,
//! with this checkout's `Cargo.lock` so both resolve the versions the workspace is tested with.
//! Also counts the `syn`s in the loopmon crate's dependency tree (`cargo tree -i syn`).
//! `LOOPMON_CHECKOUT=/path` measures another checkout of loopmon instead of this one.

use super::Ctx;
use crate::rusage;
use crate::stats::{show, Summary};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const TOKIO: &str = r#"tokio = { version = "1.54", features = ["macros", "rt-multi-thread"] }"#;

const FLOOR_TOKIO: &str =
    r#"tokio = { version = "1.54", features = ["macros", "rt-multi-thread", "time"] }"#;
const CHRONO: &str =
    r#"chrono = { version = "0.4.38", default-features = false, features = ["now"] }"#;

/// The crates: name, dependency lines, the attribute on `main`. The third is loopmon without
/// its default `stacks` feature (no stack symbolizer); the fourth is the floor, the packages
/// loopmon requires without loopmon.
fn crates(checkout: &Path) -> [(&'static str, String, &'static str); 4] {
    let path = checkout.display().to_string();
    let loopmon = format!("{TOKIO}\nloopmon = {{ path = {path:?} }}");
    let lean = format!(
        "{TOKIO}\nloopmon = {{ path = {path:?}, default-features = false, features = [\"macros\"] }}"
    );
    [
        ("hello-tokio", TOKIO.to_string(), "#[tokio::main]"),
        ("hello-loopmon", loopmon, "#[loopmon::main]"),
        ("hello-loopmon-lean", lean, "#[loopmon::main]"),
        (
            "hello-floor",
            format!("{FLOOR_TOKIO}\n{CHRONO}"),
            "#[tokio::main]",
        ),
    ]
}

/// Writes a crate `name` under `dir` (fresh each time); returns its directory.
fn write_crate(dir: &Path, name: &str, dep: &str, attr: &str, lock: &Path) -> PathBuf {
    let root = dir.join(name);
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("src")).expect("create the crate");
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\n{dep}\n\n[workspace]\n"
    );
    let main = format!("{attr}\nasync fn main() {{\n    println!(\"hello\");\n}}\n");
    std::fs::write(root.join("Cargo.toml"), manifest).expect("write Cargo.toml");
    std::fs::write(root.join("src/main.rs"), main).expect("write main.rs");
    std::fs::copy(lock, root.join("Cargo.lock")).expect("copy Cargo.lock");
    root
}

fn cargo(root: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .current_dir(root)
        .env("CARGO_TARGET_DIR", root.join("target"))
        .env_remove("RUSTFLAGS")
        .output()
        .map_err(|e| format!("cargo {args:?}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        Err(format!("cargo {args:?} in {}: {err}", root.display()))
    }
}

/// One clean debug build: seconds of wall-clock time, and of CPU time (cargo and its rustcs).
fn clean_build(root: &Path) -> Result<(f64, f64), String> {
    let _ = std::fs::remove_dir_all(root.join("target"));
    let (t, cpu) = (Instant::now(), rusage::children().cpu);
    cargo(root, &["build", "--offline", "-q"])?;
    let cpu = rusage::children().cpu.saturating_sub(cpu);
    Ok((t.elapsed().as_secs_f64(), cpu.as_secs_f64()))
}

/// Wall-clock and CPU seconds of each build, per crate.
type Secs = [(Vec<f64>, Vec<f64>); 4];

/// Builds the crates `pairs` times, alternating; returns the seconds of each build, per crate,
/// and the `syn` versions in the loopmon crate's tree.
fn measure(pairs: usize) -> Result<(Secs, Vec<String>), String> {
    // This checkout, or another one to compare with (`LOOPMON_CHECKOUT=/path/to/loopmon`).
    let checkout = std::env::var_os("LOOPMON_CHECKOUT").map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .expect("the checkout")
                .to_path_buf()
        },
        PathBuf::from,
    );
    let dir = crate::target_dir().join("buildtime");
    let lock = checkout.join("Cargo.lock");
    let roots: Vec<PathBuf> = crates(&checkout)
        .iter()
        .map(|(name, dep, attr)| write_crate(&dir, name, dep, attr, &lock))
        .collect();
    for root in &roots {
        // The one online step: anything the cache lacks is downloaded here, outside the timing.
        cargo(root, &["fetch", "-q"])?;
    }
    let mut secs: Secs = Default::default();
    for pair in 0..pairs {
        for (i, root) in roots.iter().enumerate() {
            let (wall, cpu) = clean_build(root)?;
            let name = crates(&checkout)[i].0;
            eprintln!(
                "  buildtime: {name} (pair {}) {wall:.1} s, CPU {cpu:.1} s",
                pair + 1
            );
            secs[i].0.push(wall);
            secs[i].1.push(cpu);
        }
    }
    let tree = cargo(
        &roots[1],
        &[
            "tree",
            "--offline",
            "-e",
            "normal,build",
            "--prefix",
            "none",
            "-f",
            "{p}",
        ],
    )?;
    let mut syns: Vec<String> = tree
        .lines()
        .filter(|l| l.starts_with("syn v"))
        .map(|l| l.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
        .collect();
    syns.sort();
    syns.dedup();
    Ok((secs, syns))
}

/// The per-pair ratios `a[i] / b[i]`.
fn ratios(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(a, b)| a / b).collect()
}

pub(crate) fn run(ctx: &mut Ctx) {
    let pairs = if ctx.quick { 1 } else { 5 };
    let ([(tw, tc), (lw, lc), (nw, nc), (fw, fc)], syns) = match measure(pairs) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("  buildtime: {e}");
            ctx.report.section(format!(
                "## 8. Build time of adoption\n\nnot measured: {e}\n"
            ));
            return;
        }
    };
    let (wall, cpu) = (ratios(&lw, &tw), ratios(&lc, &tc));
    let (lean_wall, lean_cpu) = (ratios(&nw, &tw), ratios(&nc, &tc));
    let (floor_wall, floor_cpu) = (ratios(&fw, &tw), ratios(&fc, &tc));
    let (over_wall, over_cpu) = (ratios(&lw, &fw), ratios(&lc, &fc));
    let syns = if syns.is_empty() {
        "none".to_string()
    } else {
        syns.join(", ")
    };
    ctx.report.section(format!(
        "## 8. Build time of adoption\n\nFour fresh crates, built side by side in this run: a \
         tokio hello world with `#[tokio::main]`, the same with `#[loopmon::main]` (a path \
         dependency on this checkout, default features), and the same without loopmon's \
         `stacks` feature, all with `{TOKIO}`; and the floor, `#[tokio::main]` with the \
         packages loopmon's design requires but none of its code: `{FLOOR_TOKIO}` and \
         `{CHRONO}` (the timestamps' type). Each build is a \
         clean `cargo build` (debug) into an emptied target directory, offline from the same \
         registry cache, with this checkout's `Cargo.lock`; the crates alternate, {pairs} \
         rounds. \
         Wall-clock time is what a user waits; CPU time (cargo and its rustcs, user + system) \
         is less disturbed by other processes on a shared machine.\n\n\
         | crate | wall clock, s | CPU, s |\n|---|---|---|\n\
         | `#[tokio::main]` | {} | {} |\n| `#[loopmon::main]` | {} | {} |\n\
         | ratio loopmon / tokio, per pair | {} | {} |\n\
         | `#[loopmon::main]`, `default-features = false, features = [\"macros\"]` (no stacks) | {} | {} |\n\
         | ratio loopmon without stacks / tokio, per pair | {} | {} |\n\
         | floor: `#[tokio::main]` + chrono + tokio's `time`, no loopmon | {} | {} |\n\
         | ratio floor / tokio, per pair | {} | {} |\n\
         | ratio loopmon / floor, per pair: loopmon's own code and choices | {} | {} |\n\n\
         `syn` in the loopmon crate's tree (`cargo tree -e normal,build`): {syns}.\n",
        show(&tw, 1),
        show(&tc, 1),
        show(&lw, 1),
        show(&lc, 1),
        show(&wall, 2),
        show(&cpu, 2),
        show(&nw, 1),
        show(&nc, 1),
        show(&lean_wall, 2),
        show(&lean_cpu, 2),
        show(&fw, 1),
        show(&fc, 1),
        show(&floor_wall, 2),
        show(&floor_cpu, 2),
        show(&over_wall, 2),
        show(&over_cpu, 2),
    ));
    let (w, c) = (Summary::of(&wall), Summary::of(&cpu));
    let lean = Summary::of(&lean_wall);
    ctx.report.target(
        "clean debug build of a hello world, loopmon without `stacks` / `#[tokio::main]`",
        "≤ 1.25 × (wall clock)",
        lean.map_or_else(|| "—".into(), |l| format!("{} × wall clock", l.show(2))),
        lean.map(|l| l.median <= 1.25),
    );
    ctx.report.target(
        "clean debug build of a hello world, `#[loopmon::main]` / `#[tokio::main]`",
        "≤ 1.25 × (wall clock), one `syn`",
        match (w, c) {
            (Some(w), Some(c)) => format!(
                "{} × wall clock, {} × CPU ({} pairs); syn: {syns}",
                w.show(2),
                c.show(2),
                w.n
            ),
            _ => "—".into(),
        },
        w.map(|w| w.median <= 1.25 && !syns.contains(',') && syns != "none"),
    );
}
