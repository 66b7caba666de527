//! The Python original, loopmon 1.0.1: installed into a virtualenv under `target/`, driven by
//! `py/driver.py` (embedded in this binary and written next to the virtualenv).

use crate::child::{self, Record};
use std::path::PathBuf;
use std::process::Command;

const DRIVER: &str = include_str!("../py/driver.py");
const PACKAGE: &str = "loopmon==1.0.1";

/// The original's interpreter, or why it is not available.
#[derive(Debug)]
pub(crate) struct Python {
    exe: Result<PathBuf, String>,
    driver: PathBuf,
    /// `Python 3.x, loopmon 1.0.1`, or the reason it is missing.
    pub(crate) describe: String,
}

impl Python {
    /// Creates (or reuses) the virtualenv in `dir` and installs the original into it. Never
    /// fails: a failure is kept and shown in every table that would have had a Python row.
    pub(crate) fn setup(dir: PathBuf) -> Python {
        let venv = dir.join("venv");
        let driver = dir.join("driver.py");
        let exe = install(&venv).and_then(|exe| {
            std::fs::write(&driver, DRIVER)
                .map_err(|e| format!("cannot write {}: {e}", driver.display()))?;
            Ok(exe)
        });
        let mut py = Python {
            exe,
            driver,
            describe: String::new(),
        };
        py.describe = match py.run(&["env"]) {
            Ok(r) => format!(
                "- Python original: CPython {}, loopmon {} (PyPI), in `{}`",
                r.get("python").unwrap_or("?"),
                r.get("loopmon").unwrap_or("?"),
                venv.display()
            ),
            Err(e) => format!("- Python original: **not available**: {e}"),
        };
        py
    }

    /// Runs `driver.py <args>`.
    pub(crate) fn run(&self, args: &[&str]) -> Result<Record, String> {
        let exe = self.exe.as_ref().map_err(Clone::clone)?;
        let mut cmd = Command::new(exe);
        cmd.arg(&self.driver).args(args);
        child::run(cmd)
    }
}

fn install(venv: &std::path::Path) -> Result<PathBuf, String> {
    let py = venv.join("bin").join("python");
    let ready = |py: &PathBuf| {
        Command::new(py)
            .args(["-c", "import loopmon"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if ready(&py) {
        return Ok(py);
    }
    eprintln!(
        "installing the Python original ({PACKAGE}) into {}",
        venv.display()
    );
    let step = |cmd: &mut Command| -> Result<(), String> {
        let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            let err = String::from_utf8_lossy(&out.stderr);
            Err(format!(
                "{cmd:?} failed: {}",
                err.lines().last().unwrap_or("no output")
            ))
        }
    };
    step(Command::new("python3").args(["-m", "venv"]).arg(venv))?;
    step(Command::new(&py).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        PACKAGE,
    ]))?;
    if ready(&py) {
        Ok(py)
    } else {
        Err(format!("{PACKAGE} installed but cannot be imported"))
    }
}
