//! The harness runs every measurement in a fresh child process (its own binary, or the Python
//! interpreter), so CPU time, memory and allocations belong to one contestant alone. A child
//! takes `key=value` arguments and prints one line `RESULT key=value ...`.

use std::collections::HashMap;
use std::fmt::Display;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// A child's `key=value` arguments.
#[derive(Debug, Default)]
pub(crate) struct Args(HashMap<String, String>);

impl Args {
    pub(crate) fn parse<I: IntoIterator<Item = String>>(it: I) -> Result<Args, String> {
        let mut map = HashMap::new();
        for kv in it {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| format!("expected `key=value`, found `{kv}`"))?;
            map.insert(k.to_string(), v.to_string());
        }
        Ok(Args(map))
    }

    pub(crate) fn str(&self, key: &str) -> &str {
        self.0
            .get(key)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("missing argument `{key}=`"))
    }

    pub(crate) fn u64(&self, key: &str) -> u64 {
        let v = self.str(key);
        v.parse()
            .unwrap_or_else(|_| panic!("`{key}={v}`: expected a whole number"))
    }

    pub(crate) fn f64(&self, key: &str) -> f64 {
        let v = self.str(key);
        v.parse()
            .unwrap_or_else(|_| panic!("`{key}={v}`: expected a number"))
    }

    pub(crate) fn ms(&self, key: &str) -> Duration {
        Duration::from_millis(self.u64(key))
    }

    pub(crate) fn list(&self, key: &str) -> Vec<u64> {
        self.str(key)
            .split(',')
            .map(|x| x.parse().expect("a comma-separated list of numbers"))
            .collect()
    }
}

/// A child's result line, being built.
#[derive(Debug, Default)]
pub(crate) struct Out(String);

impl Out {
    pub(crate) fn put(&mut self, key: &str, value: impl Display) -> &mut Self {
        self.0.push_str(&format!(" {key}={value}"));
        self
    }

    pub(crate) fn list(&mut self, key: &str, values: &[u64]) -> &mut Self {
        let joined: Vec<String> = values.iter().map(u64::to_string).collect();
        self.put(key, joined.join(","))
    }

    pub(crate) fn line(&self) -> String {
        format!("RESULT{}", self.0)
    }
}

/// A child's parsed result.
#[derive(Debug, Default, Clone)]
pub(crate) struct Record(HashMap<String, String>);

impl Record {
    fn parse(stdout: &str) -> Option<Record> {
        let line = stdout.lines().rev().find(|l| l.starts_with("RESULT"))?;
        let map = line
            .split_whitespace()
            .skip(1)
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Some(Record(map))
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub(crate) fn f(&self, key: &str) -> Option<f64> {
        self.get(key)?.parse().ok()
    }

    pub(crate) fn list(&self, key: &str) -> Vec<f64> {
        self.get(key)
            .map(|v| {
                v.split(',')
                    .filter(|x| !x.is_empty())
                    .filter_map(|x| x.parse().ok())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Runs this binary as `child <args>`.
pub(crate) fn run_self(args: &[String]) -> Result<Record, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find own binary: {e}"))?;
    let mut cmd = Command::new(exe);
    cmd.arg("child").args(args);
    run(cmd)
}

/// Runs a prepared command and parses its result line.
pub(crate) fn run(mut cmd: Command) -> Result<Record, String> {
    let shown = format!("{cmd:?}");
    let out = cmd.output().map_err(|e| format!("{shown}: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    match Record::parse(&stdout) {
        Some(r) if out.status.success() => Ok(r),
        _ => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let last = stderr.lines().last().unwrap_or("").to_string();
            Err(format!("{shown} failed ({}): {last}", out.status))
        }
    }
}

/// A child that serves while the harness drives it (scenario 9): started as `child <args>`, it
/// prints `LISTEN <address>` once it accepts connections, then its `RESULT` line when it ends.
/// Its stderr is the harness's.
#[derive(Debug)]
pub(crate) struct Serving {
    child: Child,
    stdout: BufReader<ChildStdout>,
    /// Where it listens.
    pub(crate) addr: std::net::SocketAddr,
}

impl Serving {
    /// Starts this binary as `child <args>` and waits for its `LISTEN` line.
    pub(crate) fn start(args: &[String]) -> Result<Serving, String> {
        let exe = std::env::current_exe().map_err(|e| format!("cannot find own binary: {e}"))?;
        let mut child = Command::new(exe)
            .arg("child")
            .args(args)
            // The monitored entry points read these: the runs must get what they were built for.
            .env_remove("LOOPMON")
            .env_remove("LOOPMON_INTERVAL")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start `child {}`: {e}", args.join(" ")))?;
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        // Bounded: the child prints this line or ends (it exits by itself, see scenario 9).
        let _ = stdout.read_line(&mut line);
        let addr = line
            .strip_prefix("LISTEN ")
            .and_then(|a| a.trim().parse().ok());
        match addr {
            Some(addr) => Ok(Serving {
                child,
                stdout,
                addr,
            }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!(
                    "`child {}` did not listen: {line:?}",
                    args.join(" ")
                ))
            }
        }
    }

    /// Waits up to `within` for the child to end (then kills it) and parses its result line.
    pub(crate) fn finish(mut self, within: Duration) -> Result<Record, String> {
        let deadline = Instant::now() + within;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(2))
                }
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    return Err(format!("the server did not end within {within:?}"));
                }
            }
        };
        let mut rest = String::new();
        let _ = self.stdout.read_to_string(&mut rest);
        match Record::parse(&rest) {
            Some(r) if status.success() => Ok(r),
            _ => Err(format!("the server failed ({status}): {rest:?}")),
        }
    }

    /// Ends the child now (a run that failed on the harness's side).
    pub(crate) fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_line_round_trips() {
        let mut out = Out::default();
        out.put("cpu_ns", 1500).list("lat_ns", &[1, 2, 3]);
        let stdout = format!("noise before\n{}\n", out.line());
        let r = Record::parse(&stdout).unwrap();
        assert_eq!(r.f("cpu_ns"), Some(1500.0));
        assert_eq!(r.list("lat_ns"), vec![1.0, 2.0, 3.0]);
        assert_eq!(r.f("missing"), None);
        assert!(Record::parse("no result here").is_none());
    }

    #[test]
    fn arguments_parse_and_reject_garbage() {
        let a = Args::parse(["interval_ms=10".to_string(), "blocks=1,2".into()]).unwrap();
        assert_eq!(a.ms("interval_ms"), Duration::from_millis(10));
        assert_eq!(a.list("blocks"), vec![1, 2]);
        let err = Args::parse(["oops".to_string()]).unwrap_err();
        assert_eq!(err, "expected `key=value`, found `oops`");
    }
}
