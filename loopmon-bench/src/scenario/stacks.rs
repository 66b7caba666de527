//! Scenario 10: what a stall report says blocked, against a reference. Runs the `stacks` binary
//! of this package (`cargo run --release -p loopmon-bench --bin stacks -- N`): six threads
//! blocked in known places, loopmon's snapshot of each against gdb's `thread apply all bt` on
//! the same threads, and the capture's cost (first, later, CPU, memory). Its table goes into
//! the report as it prints it.

use super::Ctx;
use std::process::Command;

pub(crate) fn run(ctx: &mut Ctx) {
    let captures = if ctx.quick { "3" } else { "50" };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "run",
            "--release",
            "-q",
            "-p",
            "loopmon-bench",
            "--bin",
            "stacks",
            "--",
        ])
        .arg(captures)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    let table = match out {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
        Ok(out) => format!(
            "not measured: the `stacks` binary failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => format!("not measured: cannot run cargo: {e}"),
    };
    let matched = table
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| pattern"))
        .map(|l| l.split(" | ").nth(4).is_some_and(|e| e.starts_with("yes")))
        .collect::<Vec<_>>();
    let equal = matched.iter().filter(|&&m| m).count();
    ctx.report.section(format!(
        "## 10. What blocked: loopmon's stacks against gdb\n\n\
         Six threads of one process blocked in known places, each a few user frames deep; \
         loopmon's snapshot of each (read from `/proc` and the binary's unwind tables, as the \
         watchdog does) against gdb's `thread apply all bt` on the same threads. `cold` is the \
         first capture of the thread (the first of the process parses the binary's tables), \
         `warm` the later ones.\n\n{table}\n"
    ));
    ctx.report.target(
        "a stuck thread's user frames, loopmon against gdb (6 blocking patterns)",
        "equal for ≥ 5 patterns",
        format!("equal for {equal} of {}", matched.len()),
        (!matched.is_empty()).then_some(equal >= 5),
    );
}
