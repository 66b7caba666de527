//! loopmon's side-by-side benchmark harness.
//!
//! ```text
//! cargo run --release -p loopmon-bench -- all            # every scenario, writes BENCHMARKS.md
//! cargo run --release -p loopmon-bench -- all --quick    # a smoke run (< 1 min), for CI
//!     [--out PATH] [--only idle,accuracy,...]
//! ```
//!
//! Each measurement runs in a fresh child process (`loopmon-bench child <scenario> <peer>
//! key=value ...`, or the Python original's interpreter), so CPU time, memory and allocations
//! belong to one contestant.

mod alloc_count;
mod child;
mod node;
mod peer;
mod python;
mod recorder;
mod report;
mod rusage;
mod scenario;
mod stats;

use std::path::PathBuf;
use std::time::Instant;

#[global_allocator]
static ALLOCATOR: alloc_count::Counting = alloc_count::Counting;

const USAGE: &str = "usage: loopmon-bench all [--quick] [--out PATH] [--only SCENARIO,...]\n\
                     scenarios: idle (noise + CPU), accuracy, throughput, scaling, detect, memory, buildtime, http, stacks";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("child") => child_main(&args[1..]),
        Some("all") => all_main(&args[1..]),
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    }
}

fn child_main(args: &[String]) {
    let (scenario, peer) = match args {
        [s, p, ..] => (s.as_str(), p.as_str()),
        _ => panic!("usage: loopmon-bench child <scenario> <peer> key=value ..."),
    };
    let peer = peer::Peer::parse(peer).unwrap_or_else(|| panic!("unknown peer `{peer}`"));
    let kv = child::Args::parse(args[2..].iter().cloned()).unwrap_or_else(|e| panic!("{e}"));
    println!("{}", scenario::child(scenario, peer, &kv).line());
}

fn all_main(args: &[String]) {
    let mut quick = false;
    let mut out: Option<PathBuf> = None;
    let mut only: Vec<String> = scenario::NAMES.iter().map(|s| s.to_string()).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--out" => out = it.next().map(PathBuf::from),
            "--only" => {
                only = it
                    .next()
                    .map(|s| s.split(',').map(str::to_string).collect())
                    .unwrap_or_default()
            }
            other => {
                eprintln!("unknown argument `{other}`\n{USAGE}");
                std::process::exit(2);
            }
        }
    }
    let target = target_dir();
    let out = out.unwrap_or_else(|| {
        if quick {
            target.join("BENCHMARKS-quick.md")
        } else {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../BENCHMARKS.md"))
        }
    });
    let started = Instant::now();
    let load_before = report::load_average();
    let python = python::Python::setup(target.clone());
    let node = node::Node::setup(target);
    eprintln!("{}\n{}", python.describe, node.describe);
    let mut ctx = scenario::Ctx {
        quick,
        python,
        node,
        report: report::Report::default(),
    };
    for name in &only {
        let t = Instant::now();
        eprintln!("== {name}");
        scenario::run(name, &mut ctx);
        eprintln!("== {name}: {:.1} s", t.elapsed().as_secs_f64());
    }
    let mut command = String::from("cargo run --release -p loopmon-bench -- all");
    for a in args.iter().filter(|a| *a != "--out") {
        if !a.ends_with(".md") {
            command.push(' ');
            command.push_str(a);
        }
    }
    let load = format!(
        "{load_before} when the run began, {} when it ended (2 cores: above 2 means other \
         processes were competing for the CPU)",
        report::load_average()
    );
    let text = ctx.report.render(
        &command,
        started.elapsed().as_secs_f64(),
        &format!("{}\n{}", ctx.python.describe, ctx.node.describe),
        &load,
    );
    std::fs::write(&out, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
    println!("{}", ctx.report.targets_table());
    eprintln!(
        "wrote {} in {:.0} s",
        out.display(),
        started.elapsed().as_secs_f64()
    );
}

/// `target/loopmon-bench/` next to this binary (`target/release/loopmon-bench`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("own binary");
    let dir = exe
        .parent()
        .and_then(|p| p.parent())
        .map_or_else(|| PathBuf::from("target"), PathBuf::from)
        .join("loopmon-bench");
    std::fs::create_dir_all(&dir).expect("create target/loopmon-bench");
    dir
}
