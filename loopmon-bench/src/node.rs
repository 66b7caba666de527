//! Node's `perf_hooks.monitorEventLoopDelay`, the optional peer: driven by `node/eld.js`
//! (embedded in this binary and written under `target/`), if `node` is on the `PATH`.

use crate::child::{self, Record};
use std::path::PathBuf;
use std::process::Command;

const DRIVER: &str = include_str!("../node/eld.js");

/// The `node` interpreter and the driver script, or why they are not available.
#[derive(Debug)]
pub(crate) struct Node {
    driver: Result<PathBuf, String>,
    /// `Node v20.x`, or the reason it is missing.
    pub(crate) describe: String,
}

impl Node {
    /// Looks for `node` and writes the driver into `dir`. Never fails: a failure is kept and
    /// shown in the rows that would have had Node.
    pub(crate) fn setup(dir: PathBuf) -> Node {
        let version = Command::new("node")
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
        let path = dir.join("eld.js");
        let driver = match version {
            None => Err("`node` not found on the PATH".to_string()),
            Some(_) => std::fs::write(&path, DRIVER)
                .map(|()| path)
                .map_err(|e| format!("cannot write the Node driver: {e}")),
        };
        let describe = match &driver {
            Ok(_) => format!(
                "- Node {} (`perf_hooks.monitorEventLoopDelay`)",
                version.unwrap_or_default()
            ),
            Err(e) => format!("- Node: **not available**: {e}"),
        };
        Node { driver, describe }
    }

    /// Runs `node eld.js <args>`.
    pub(crate) fn run(&self, args: &[&str]) -> Result<Record, String> {
        let driver = self.driver.as_ref().map_err(Clone::clone)?;
        let mut cmd = Command::new("node");
        cmd.arg(driver).args(args);
        child::run(cmd)
    }
}
