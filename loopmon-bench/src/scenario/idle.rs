//! Scenarios 2 and 3, from the same runs: the contestant alone on an idle runtime for a window
//! of W seconds. Scenario 2 reads the lag it reported (p50 / p99 / max); scenario 3 reads the
//! process's CPU time (`getrusage`) and the ticks it really made, and compares per tick against
//! the floor measured in the same run.

mod pairs;

use super::{args, py_args, run_jobs, Ctx, Flavor, Job, Runs};
use crate::child::{Args, Out};
use crate::peer::{Cb, Peer, Probe};
use crate::report::Table;
use crate::stats::{self, ms, percentile, show, Summary};
use crate::{recorder::nanos, rusage};
use std::collections::HashMap;
use std::time::Duration;

/// One measurement: `idle <peer> flavor= interval_ms= secs= cb=`.
pub(crate) fn child(peer: Peer, a: &Args) -> Out {
    let flavor = Flavor::from_args(a);
    let iv = a.ms("interval_ms");
    let window = Duration::from_secs_f64(a.f64("secs"));
    let cb = Cb::parse(a.str("cb")).expect("cb=none|noop|record|async");
    flavor.runtime().block_on(async {
        let capacity = (window.as_secs_f64() * 1.5 / iv.as_secs_f64()) as usize + 1000;
        let probe = Probe::start(peer, iv, cb, capacity, false);
        tokio::time::sleep((iv * 2).max(Duration::from_millis(50))).await;
        if let Some(h) = probe.eld() {
            h.reset();
        }
        let (u0, k0, w0) = (rusage::now(), probe.ticks(), probe.t0.elapsed());
        tokio::time::sleep(window).await;
        let (u1, k1, w1) = (rusage::now(), probe.ticks(), probe.t0.elapsed());
        probe.stop();
        let mut out = Out::default();
        out.put("cpu_ns", nanos(u1.cpu - u0.cpu))
            .put("ticks", k1 - k0)
            .put("wall_ns", nanos(w1 - w0))
            .put("vcsw", u1.vcsw - u0.vcsw);
        let lags: Vec<u64> = if let Some(h) = probe.eld() {
            if !h.is_empty() {
                out.put("n", h.len())
                    .put("p50", h.value_at_percentile(50.0))
                    .put("p99", h.value_at_percentile(99.0))
                    .put("max", h.max());
            }
            Vec::new()
        } else {
            let (w0, w1) = (nanos(w0), nanos(w1));
            let mut v: Vec<u64> = probe
                .rec
                .samples()
                .into_iter()
                .filter(|(at, _)| (w0..=w1).contains(at))
                .map(|(_, lag)| lag)
                .collect();
            v.sort_unstable();
            v
        };
        if peer == Peer::Loopmon {
            let mut early = probe.early();
            early.sort_unstable();
            if !early.is_empty() {
                out.put("early_p50", percentile(&early, 50.0))
                    .put("early_max", early[early.len() - 1]);
            }
        }
        if !lags.is_empty() && peer != Peer::Metrics {
            out.put("n", lags.len())
                .put("p50", percentile(&lags, 50.0))
                .put("p99", percentile(&lags, 99.0))
                .put("max", lags[lags.len() - 1]);
        }
        out
    })
}

/// A configuration of this scenario.
#[derive(Debug, Clone, Copy)]
struct Cfg {
    who: Who,
    flavor: Flavor,
    iv: u64,
    reps: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Rust(Peer, Cb),
    /// The original with one callback (stores the lag).
    Py,
    /// The original's floor: a bare asyncio sleep loop.
    PyBare,
    /// Node's `monitorEventLoopDelay` at the interval as its resolution.
    Node,
}

impl Who {
    fn label(self) -> String {
        match self {
            Who::Rust(Peer::Loopmon, Cb::None) => "**loopmon**, no callback".into(),
            Who::Rust(Peer::Loopmon, Cb::Record) => {
                "**loopmon** + 1 sync callback (stores the lag)".into()
            }
            Who::Rust(Peer::Loopmon, Cb::Noop) => "**loopmon** + 1 sync no-op callback".into(),
            Who::Rust(Peer::Loopmon, Cb::AsyncNoop) => {
                "**loopmon** + 1 async no-op callback (its own task)".into()
            }
            Who::Rust(p, _) => p.label().into(),
            Who::Py => "Python loopmon 1.0.1 + 1 callback".into(),
            Who::PyBare => "Python floor: bare asyncio sleep loop".into(),
            Who::Node => "Node `monitorEventLoopDelay` (figure includes the resolution)".into(),
        }
    }
}

impl Cfg {
    fn key(&self) -> String {
        format!("{:?}/{}/{}", self.who, self.flavor.name(), self.iv)
    }

    fn job(&self, secs: f64) -> Job {
        let kv = |cb: &str| {
            vec![
                ("flavor", self.flavor.name().to_string()),
                ("interval_ms", self.iv.to_string()),
                ("secs", secs.to_string()),
                ("cb", cb.to_string()),
            ]
        };
        match self.who {
            Who::Rust(p, cb) => Job::rust(
                self.key(),
                args("idle", p.name(), &kv(cb.name())),
                self.reps,
            ),
            Who::Py => Job::python(self.key(), py_args("idle", &kv("record")), self.reps),
            Who::PyBare => Job::python(self.key(), py_args("idle", &kv("bare")), self.reps),
            Who::Node => Job::node(self.key(), py_args("idle", &kv("none")), self.reps),
        }
    }
}

fn configs(quick: bool) -> Vec<Cfg> {
    let lm = |cb| Who::Rust(Peer::Loopmon, cb);
    let mut v = Vec::new();
    let intervals: &[u64] = if quick { &[1, 10] } else { &[1, 10, 100] };
    let reps = if quick { 1 } else { 2 };
    for &iv in intervals {
        let ct = |who, reps| Cfg {
            who,
            flavor: Flavor::Ct,
            iv,
            reps,
        };
        // At 1 ms the floor and the callbacks alternate for the pairs of `pairs.rs`.
        let pairs = if quick { 1 } else { pairs::PAIRS };
        v.push(ct(
            Who::Rust(Peer::Floor, Cb::None),
            if iv == 1 { pairs } else { reps },
        ));
        if iv == 1 {
            v.push(ct(lm(Cb::AsyncNoop), pairs));
        }
        v.push(ct(lm(Cb::Record), if iv == 1 { pairs } else { reps }));
        v.push(ct(lm(Cb::None), reps));
        v.push(ct(Who::Rust(Peer::Naive, Cb::None), 1));
        if !quick {
            v.push(ct(Who::Rust(Peer::Eld, Cb::None), 1));
            v.push(ct(Who::Rust(Peer::Metrics, Cb::None), 1));
            v.push(ct(Who::PyBare, 1));
        }
        v.push(ct(Who::Py, 1));
        if !quick {
            v.push(ct(Who::Node, 1));
        }
        if iv == 10 {
            let mt = |who, reps| Cfg {
                who,
                flavor: Flavor::Mt,
                iv,
                reps,
            };
            v.push(ct(Who::Rust(Peer::OsThread, Cb::None), reps));
            if !quick {
                v.push(ct(Who::Rust(Peer::None, Cb::None), 1));
                v.push(mt(Who::Rust(Peer::Floor, Cb::None), reps));
            }
            v.push(mt(lm(Cb::Record), reps));
            v.push(mt(Who::Rust(Peer::Naive, Cb::None), 1));
        }
    }
    v
}

pub(crate) fn run(ctx: &mut Ctx) {
    let secs = if ctx.quick { 1.0 } else { 5.0 };
    let cfgs = configs(ctx.quick);
    let jobs: Vec<Job> = cfgs.iter().map(|c| c.job(secs)).collect();
    let res = run_jobs(ctx, &jobs);
    noise_section(ctx, &cfgs, &res, secs);
    cpu_section(ctx, &cfgs, &res, secs);
}

fn flavor_label(c: &Cfg) -> &'static str {
    match c.who {
        Who::Py | Who::PyBare => "asyncio",
        Who::Node => "libuv",
        Who::Rust(Peer::OsThread, _) => "no runtime",
        _ => c.flavor.label(),
    }
}

fn get<'a>(res: &'a HashMap<String, Runs>, c: &Cfg) -> &'a Runs {
    static EMPTY: std::sync::OnceLock<Runs> = std::sync::OnceLock::new();
    res.get(&c.key())
        .unwrap_or_else(|| EMPTY.get_or_init(Runs::default))
}

fn noise_section(ctx: &mut Ctx, cfgs: &[Cfg], res: &HashMap<String, Runs>, secs: f64) {
    let mut body = format!(
        "## 2. Idle noise\n\nThe contestant alone on an idle runtime; the lag it reported over a \
         {secs} s window, per run (loopmon: {} runs pooled in the ranges). The naive probe and \
         loopmon report lateness; tokio-eld reports the delay of one `yield_now` after its tick \
         (not lateness); tokio-metrics has no lag figure on stable tokio (not listed); Node's \
         `monitorEventLoopDelay` records the time between its timer's callbacks, so its figure \
         includes the resolution (idle ≈ resolution + lateness). \
         Ticks/s shows the real period: a probe that sets each deadline from \"now\" drifts. \
         The reference row is an OS thread sleeping to the same deadlines with \
         `std::thread::sleep`: its lateness is the machine's own scheduling noise (other \
         processes included), a floor under every contestant's p99 and max. loopmon arms its \
         timer up to 2 ms early and reports lateness against the true deadline; the last column \
         shows how early it really ran.\n\n",
        if ctx.quick { 1 } else { 2 }
    );
    let mut t = Table::new(&[
        "interval",
        "flavor",
        "contestant",
        "ticks/s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "loopmon p50 / this p50",
        "loopmon ran before its deadline by, ms: p50 / max",
    ]);
    let mut by_iv: HashMap<(u64, &str), Vec<f64>> = HashMap::new();
    for c in cfgs {
        if let Who::Rust(Peer::Loopmon, Cb::Record) = c.who {
            by_iv.insert((c.iv, c.flavor.name()), get(res, c).vals("p50"));
        }
    }
    for c in cfgs.iter().filter(|c| {
        matches!(
            c.who,
            Who::Py
                | Who::Node
                | Who::Rust(Peer::Loopmon, Cb::Record)
                | Who::Rust(Peer::Naive | Peer::Eld | Peer::OsThread, _)
        )
    }) {
        let r = get(res, c);
        let mut row = vec![
            format!("{} ms", c.iv),
            flavor_label(c).into(),
            c.who.label(),
        ];
        if let Some(m) = r.missing() {
            row.push(m);
            row.extend((0..5).map(|_| String::new()));
        } else {
            let rate: Vec<f64> = r.each(|x| Some(x.f("ticks")? / (x.f("wall_ns")? / 1e9)));
            let lag = |k: &str| show(&r.vals(k).into_iter().map(ms).collect::<Vec<_>>(), 3);
            let lm = by_iv
                .get(&(c.iv, c.flavor.name()))
                .cloned()
                .unwrap_or_default();
            row.extend([
                show(&rate, 0),
                lag("p50"),
                lag("p99"),
                lag("max"),
                if matches!(c.who, Who::Rust(Peer::Loopmon, _)) {
                    "—".into()
                } else {
                    stats::ratio(&lm, &r.vals("p50"))
                },
                if matches!(c.who, Who::Rust(Peer::Loopmon, _)) {
                    let e = |k: &str| show(&r.vals(k).into_iter().map(ms).collect::<Vec<_>>(), 3);
                    format!("{} / {}", e("early_p50"), e("early_max"))
                } else {
                    "—".into()
                },
            ]);
        }
        t.row(row);
    }
    body.push_str(&t.render());
    ctx.report.section(body);
    let reference_p99: Vec<f64> = cfgs
        .iter()
        .find(|c| c.iv == 10 && c.who == Who::Rust(Peer::OsThread, Cb::None))
        .map(|c| get(res, c).vals("p99").into_iter().map(ms).collect())
        .unwrap_or_default();
    for flavor in [Flavor::Ct, Flavor::Mt] {
        let c = cfgs.iter().find(|c| {
            c.iv == 10 && c.flavor == flavor && c.who == Who::Rust(Peer::Loopmon, Cb::Record)
        });
        let r = c.map(|c| get(res, c)).cloned().unwrap_or_default();
        let p50: Vec<f64> = r.vals("p50").into_iter().map(ms).collect();
        let p99: Vec<f64> = r.vals("p99").into_iter().map(ms).collect();
        let (s50, s99) = (Summary::of(&p50), Summary::of(&p99));
        ctx.report.target(
            &format!("idle lag at 10 ms, {}", flavor.label()),
            "p50 ≤ 0.1 ms, p99 ≤ 0.5 ms",
            format!(
                "p50 {} ms, p99 {} ms (the machine's own noise, OS-thread reference, p99 {} ms)",
                show(&p50, 3),
                show(&p99, 3),
                show(&reference_p99, 3)
            ),
            match (s50, s99) {
                (Some(a), Some(b)) => Some(a.median <= 0.1 && b.median <= 0.5),
                _ => None,
            },
        );
    }
}

fn per_tick_us(r: &Runs) -> Vec<f64> {
    r.each(|x| {
        let ticks = x.f("ticks")?;
        (ticks > 0.0).then(|| x.f("cpu_ns").unwrap_or(0.0) / ticks / 1e3)
    })
}

fn cpu_section(ctx: &mut Ctx, cfgs: &[Cfg], res: &HashMap<String, Runs>, secs: f64) {
    let mut body = format!(
        "## 3. CPU on an idle runtime\n\nWhole-process CPU time (`getrusage`, user + system) over \
         a {secs} s window, and the ticks really made in it; per tick = CPU / ticks. The floor is \
         a bare `sleep_until` loop on drift-free deadlines doing nothing else, measured in the \
         same run: the cost of one timer wake-up. \"× floor\" compares per tick.\n\n"
    );
    let floor_of = |iv: u64, flavor: Flavor| {
        cfgs.iter()
            .find(|c| c.iv == iv && c.flavor == flavor && c.who == Who::Rust(Peer::Floor, Cb::None))
            .map(|c| per_tick_us(get(res, c)))
            .unwrap_or_default()
    };
    let lm_of = |iv: u64, flavor: Flavor, cb: Cb| {
        cfgs.iter()
            .find(|c| c.iv == iv && c.flavor == flavor && c.who == Who::Rust(Peer::Loopmon, cb))
            .map(|c| per_tick_us(get(res, c)))
            .unwrap_or_default()
    };
    let mut t = Table::new(&[
        "interval",
        "flavor",
        "contestant",
        "ticks/s",
        "CPU % of a core",
        "CPU µs per tick",
        "× floor (per tick)",
        "loopmon + 1 cb / this (per tick)",
        "vol. ctx switches / tick",
    ]);
    for c in cfgs {
        let r = get(res, c);
        let flavor = flavor_label(c);
        let mut row = vec![format!("{} ms", c.iv), flavor.into(), c.who.label()];
        if let Some(m) = r.missing() {
            row.push(m);
            row.extend((0..5).map(|_| String::new()));
            t.row(row);
            continue;
        }
        let rate: Vec<f64> = r.each(|x| Some(x.f("ticks")? / (x.f("wall_ns")? / 1e9)));
        let pct: Vec<f64> = r.each(|x| Some(x.f("cpu_ns")? / x.f("wall_ns")? * 100.0));
        let per = per_tick_us(r);
        let csw: Vec<f64> = r.each(|x| {
            let k = x.f("ticks")?;
            (k > 0.0).then(|| x.f("vcsw").unwrap_or(0.0) / k)
        });
        let floor = floor_of(c.iv, c.flavor);
        let is_py = matches!(c.who, Who::Py | Who::PyBare | Who::Node);
        row.extend([
            show(&rate, 0),
            show(&pct, 3),
            show(&per, 1),
            if is_py || c.who == Who::Rust(Peer::None, Cb::None) {
                "—".into()
            } else {
                stats::ratio(&per, &floor)
            },
            if c.who == Who::Rust(Peer::None, Cb::None) {
                "—".into()
            } else {
                stats::ratio(&lm_of(c.iv, c.flavor, Cb::Record), &per)
            },
            show(&csw, 2),
        ]);
        t.row(row);
    }
    body.push_str(&t.render());
    // Targets at 1 ms, current_thread.
    let floor = floor_of(1, Flavor::Ct);
    let with_cb = lm_of(1, Flavor::Ct, Cb::Record);
    let bare = lm_of(1, Flavor::Ct, Cb::None);
    let own: Vec<f64> = bare.iter().zip(&floor).map(|(b, f)| b - f).collect();
    let _ = std::fmt::Write::write_fmt(
        &mut body,
        format_args!(
            "\nloopmon's own work per tick at 1 ms, as the difference no callback − floor of \
             the runs above: {} µs (compare with the spread of the floor's own row). Scenarios 5 and \
             7 measure it directly.\n",
            show(&own, 2)
        ),
    );
    ctx.report.section(body);
    pairs::target(
        &mut ctx.report,
        "CPU per tick at 1 ms with one async no-op callback, current_thread",
        1.10,
        &lm_of(1, Flavor::Ct, Cb::AsyncNoop),
        &floor,
    );
    pairs::target(
        &mut ctx.report,
        "CPU per tick at 1 ms with one callback, current_thread",
        1.15,
        &with_cb,
        &floor,
    );
}
