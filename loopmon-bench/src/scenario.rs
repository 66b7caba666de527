//! The scenarios. Each has a `child` side (one measurement, in a fresh process) and a `run`
//! side (starts the children in alternation, aggregates, writes its section of the report).

pub(crate) mod accuracy;
pub(crate) mod buildtime;
pub(crate) mod detect;
pub(crate) mod http;
pub(crate) mod idle;
pub(crate) mod memory;
pub(crate) mod scaling;
pub(crate) mod stacks;
pub(crate) mod throughput;

use crate::child::{Args, Out};
use crate::peer::Peer;
use crate::python::Python;
use crate::report::Report;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::runtime::{Builder, Runtime};

/// The scenarios, in the order `all` runs them.
pub(crate) const NAMES: [&str; 9] = [
    "idle",
    "accuracy",
    "throughput",
    "scaling",
    "detect",
    "memory",
    "buildtime",
    "http",
    "stacks",
];

/// What every scenario's `run` side gets.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub(crate) quick: bool,
    pub(crate) python: Python,
    pub(crate) node: crate::node::Node,
    pub(crate) report: Report,
}

/// Runs one measurement in this process (the `child` subcommand).
pub(crate) fn child(scenario: &str, peer: Peer, args: &Args) -> Out {
    match scenario {
        "accuracy" => accuracy::child(peer, args),
        "idle" => idle::child(peer, args),
        "throughput" => throughput::child(peer, args),
        "scaling" => scaling::child(peer, args),
        "detect" => detect::child(peer, args),
        "memory" => memory::child(peer, args),
        "http" => http::child(peer, args),
        "tickmodel" => scaling::tick_model(args),
        other => panic!("unknown scenario `{other}`"),
    }
}

/// Runs one scenario's side of `all`.
pub(crate) fn run(scenario: &str, ctx: &mut Ctx) {
    match scenario {
        "accuracy" => accuracy::run(ctx),
        "idle" => idle::run(ctx),
        "throughput" => throughput::run(ctx),
        "scaling" => scaling::run(ctx),
        "detect" => detect::run(ctx),
        "memory" => memory::run(ctx),
        "buildtime" => buildtime::run(ctx),
        "stacks" => stacks::run(ctx),
        "http" => http::run(ctx),
        other => panic!("unknown scenario `{other}`; expected one of {NAMES:?}"),
    }
}

/// The two runtime flavors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// `current_thread`.
    Ct,
    /// `multi_thread` with 2 workers.
    Mt,
}

impl Flavor {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Flavor::Ct => "ct",
            Flavor::Mt => "mt",
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            Flavor::Ct => "current_thread",
            Flavor::Mt => "multi_thread (2 workers)",
        }
    }

    pub(crate) fn from_args(args: &Args) -> Flavor {
        match args.str("flavor") {
            "ct" => Flavor::Ct,
            "mt" => Flavor::Mt,
            other => panic!("`flavor={other}`: expected `ct` or `mt`"),
        }
    }

    pub(crate) fn workers(self) -> usize {
        match self {
            Flavor::Ct => 1,
            Flavor::Mt => 2,
        }
    }

    pub(crate) fn runtime(self) -> Runtime {
        match self {
            Flavor::Ct => Builder::new_current_thread().enable_all().build(),
            Flavor::Mt => Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build(),
        }
        .expect("a tokio runtime")
    }
}

/// Arguments for a child run: `<scenario> <peer> key=value ...`.
pub(crate) fn args(scenario: &str, peer: &str, kv: &[(&str, String)]) -> Vec<String> {
    let mut v = vec![scenario.to_string(), peer.to_string()];
    v.extend(kv.iter().map(|(k, val)| format!("{k}={val}")));
    v
}

/// Arguments for the Python driver: `<scenario> key=value ...`.
pub(crate) fn py_args(scenario: &str, kv: &[(&str, String)]) -> Vec<String> {
    let mut v = vec![scenario.to_string()];
    v.extend(kv.iter().map(|(k, val)| format!("{k}={val}")));
    v
}

/// Stalls every worker of the current runtime for `len` with `std::thread::sleep` in spawned
/// tasks, and returns the span (ns since `t0`) during which all of them were blocked.
pub(crate) async fn stall(workers: usize, len: Duration, t0: Instant) -> (u64, u64) {
    let arrived = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let arrived = arrived.clone();
            tokio::spawn(async move {
                // Meet the other blockers (each on its own worker) before blocking.
                arrived.fetch_add(1, Ordering::AcqRel);
                let wait = Instant::now();
                while arrived.load(Ordering::Acquire) < workers
                    && wait.elapsed() < Duration::from_millis(20)
                {
                    std::hint::spin_loop();
                }
                let s = t0.elapsed();
                std::thread::sleep(len);
                (s, t0.elapsed())
            })
        })
        .collect();
    let (mut s, mut e) = (Duration::ZERO, Duration::MAX);
    for t in tasks {
        let (ts, te) = t.await.expect("blocker");
        s = s.max(ts);
        e = e.min(te);
    }
    let ns = crate::recorder::nanos;
    (ns(s), ns(e.max(s)))
}

/// A small deterministic generator for random phases.
#[derive(Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// Uniform in `[0, d)`.
    pub(crate) fn below(&mut self, d: Duration) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        let frac = (self.0 >> 11) as f64 / (1u64 << 53) as f64;
        d.mul_f64(frac)
    }
}

/// How one configuration is run.
#[derive(Debug, Clone)]
pub(crate) enum Runner {
    /// This binary: `child <args>`.
    Rust(Vec<String>),
    /// The Python original: `driver.py <args>`.
    Python(Vec<String>),
    /// Node: `eld.js <args>`.
    Node(Vec<String>),
}

/// One configuration of a scenario, run `reps` times.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub(crate) key: String,
    pub(crate) runner: Runner,
    pub(crate) reps: usize,
}

impl Job {
    pub(crate) fn rust(key: impl Into<String>, args: Vec<String>, reps: usize) -> Job {
        Job {
            key: key.into(),
            runner: Runner::Rust(args),
            reps,
        }
    }

    pub(crate) fn python(key: impl Into<String>, args: Vec<String>, reps: usize) -> Job {
        Job {
            key: key.into(),
            runner: Runner::Python(args),
            reps,
        }
    }

    pub(crate) fn node(key: impl Into<String>, args: Vec<String>, reps: usize) -> Job {
        Job {
            key: key.into(),
            runner: Runner::Node(args),
            reps,
        }
    }
}

/// The runs of one configuration: their results, or why they failed.
#[derive(Debug, Default, Clone)]
pub(crate) struct Runs {
    pub(crate) ok: Vec<crate::child::Record>,
    pub(crate) err: Option<String>,
}

impl Runs {
    /// One figure from every run.
    pub(crate) fn vals(&self, key: &str) -> Vec<f64> {
        self.ok.iter().filter_map(|r| r.f(key)).collect()
    }

    /// A list figure from every run, concatenated.
    pub(crate) fn all(&self, key: &str) -> Vec<f64> {
        self.ok.iter().flat_map(|r| r.list(key)).collect()
    }

    /// `f` over the runs, per run.
    pub(crate) fn each(&self, f: impl Fn(&crate::child::Record) -> Option<f64>) -> Vec<f64> {
        self.ok.iter().filter_map(f).collect()
    }

    /// A cell saying why there is nothing to show, if there is nothing.
    pub(crate) fn missing(&self) -> Option<String> {
        match (&self.err, self.ok.is_empty()) {
            (Some(e), true) => Some(format!("not measured: {}", short(e))),
            (None, true) => Some("not run".to_string()),
            _ => None,
        }
    }
}

fn short(e: &str) -> String {
    let e = e.replace('|', "/");
    if e.len() > 160 {
        format!(
            "{}…",
            &e[..e.char_indices().nth(157).map_or(e.len(), |(i, _)| i)]
        )
    } else {
        e
    }
}

/// Runs the jobs in alternation: round `r` runs every job that wants more than `r` runs, in
/// order (A B C A B C …).
pub(crate) fn run_jobs(ctx: &Ctx, jobs: &[Job]) -> std::collections::HashMap<String, Runs> {
    let mut out: std::collections::HashMap<String, Runs> = std::collections::HashMap::new();
    let rounds = jobs.iter().map(|j| j.reps).max().unwrap_or(0);
    for round in 0..rounds {
        for job in jobs.iter().filter(|j| j.reps > round) {
            let t = Instant::now();
            let result = match &job.runner {
                Runner::Rust(args) => crate::child::run_self(args),
                Runner::Python(args) => {
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    ctx.python.run(&args)
                }
                Runner::Node(args) => {
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    ctx.node.run(&args)
                }
            };
            let runs = out.entry(job.key.clone()).or_default();
            match result {
                Ok(r) => runs.ok.push(r),
                Err(e) => {
                    eprintln!("  {}: {e}", job.key);
                    runs.err = Some(e);
                }
            }
            eprintln!(
                "  {} (run {}) {:.1} s",
                job.key,
                round + 1,
                t.elapsed().as_secs_f64()
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_phases_stay_inside_the_interval() {
        let mut rng = Rng::new(42);
        let iv = Duration::from_millis(10);
        let v: Vec<Duration> = (0..1000).map(|_| rng.below(iv)).collect();
        assert!(v.iter().all(|d| *d < iv));
        // Spread over the interval, not stuck in one corner.
        assert!(v.iter().any(|d| *d < iv / 10) && v.iter().any(|d| *d > iv * 9 / 10));
    }

    #[test]
    fn a_stall_blocks_every_worker_together() {
        let rt = Flavor::Mt.runtime();
        let t0 = Instant::now();
        let (s, e) = rt.block_on(stall(2, Duration::from_millis(200), t0));
        // Both workers were blocked at once for most of the stall (a generous margin: on a
        // loaded 2-core machine one blocker may start a few scheduler slices late).
        assert!(e - s >= 100_000_000, "overlap {} ns", e - s);
    }
}
