//! Scenario 1: accuracy. Every worker of the runtime is stalled with `std::thread::sleep(B)`,
//! starting just after the contestant's tick (phase 0) or at a random point of its interval;
//! the largest figure it reports in `[stall start, stall end + 3 intervals]` is compared with
//! the stall's true lateness (how late the contestant's next deadline was served) and its
//! length.

use super::{args, py_args, run_jobs, stall, Ctx, Flavor, Job, Rng, Runs};
use crate::child::{Args, Out};
use crate::peer::{Cb, Peer, Probe};
use crate::recorder::nanos;
use crate::report::Table;
use crate::stats::{ms, Summary};
use std::collections::HashMap;
use std::time::Duration;

/// One run: `accuracy <peer> flavor= interval_ms= phase=zero|random blocks=10,50,...`.
pub(crate) fn child(peer: Peer, a: &Args) -> Out {
    let flavor = Flavor::from_args(a);
    let iv = a.ms("interval_ms");
    let random = a.str("phase") == "random";
    let blocks = a.list("blocks");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.subsec_nanos() as u64);
    let mut rng = Rng::new(seed);
    flavor.runtime().block_on(async {
        let probe = Probe::start(peer, iv, Cb::Record, 1 << 16, true);
        tokio::time::sleep(iv * 3).await;
        let ivn = nanos(iv);
        let mut out = Out::default();
        for b in blocks {
            // Just after a tick. tokio-eld has no hook: its ticks are on a grid from its start.
            if probe.eld().is_some() {
                let k = nanos(probe.t0.elapsed()) / ivn + 1;
                let at = probe.t0 + Duration::from_nanos(k * ivn + 500_000);
                tokio::time::sleep_until(at.into()).await;
            } else {
                probe.rec.next_sample().await;
            }
            if random {
                tokio::time::sleep(rng.below(iv)).await;
            }
            if let Some(h) = probe.eld() {
                h.reset();
            }
            let (s, e) = stall(flavor.workers(), Duration::from_millis(b), probe.t0).await;
            tokio::time::sleep(iv + Duration::from_millis(10)).await;
            let samples = probe.rec.samples();
            let reported = match probe.eld() {
                Some(h) => h.max(),
                None => samples
                    .iter()
                    .filter(|(at, _)| (s..=e + ivn + 5_000_000).contains(at))
                    .map(|&(_, v)| v)
                    .max()
                    .unwrap_or(0),
            };
            // The probe may run between the blockers' spawn and their start: look at every sample.
            let deadline = match samples.iter().rev().find(|(at, _)| *at < s) {
                Some(&(at, lag)) if probe.eld().is_none() => probe.next_deadline_after(at, lag),
                _ => s.div_ceil(ivn) * ivn,
            };
            out.put(&format!("b{b}_rep"), reported)
                .put(&format!("b{b}_true"), e.saturating_sub(deadline))
                .put(&format!("b{b}_len"), e - s);
        }
        probe.stop();
        out
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Rust(Peer, Flavor),
    Py,
}

impl Who {
    fn key(self) -> String {
        match self {
            Who::Rust(p, f) => format!("{}-{}", p.name(), f.name()),
            Who::Py => "python".into(),
        }
    }

    fn label(self) -> String {
        match self {
            Who::Rust(Peer::Loopmon, _) => "**loopmon**".into(),
            Who::Rust(Peer::Naive, _) => "naive".into(),
            Who::Rust(Peer::Eld, _) => "tokio-eld".into(),
            Who::Rust(Peer::Metrics, _) => "tokio-metrics (`max_busy_duration`)".into(),
            Who::Rust(p, _) => p.name().into(),
            Who::Py => "Python original".into(),
        }
    }
}

const PHASES: [&str; 2] = ["zero", "random"];

pub(crate) fn run(ctx: &mut Ctx) {
    let quick = ctx.quick;
    let blocks: &[u64] = if quick {
        &[10, 100, 300]
    } else {
        &[10, 50, 100, 300, 500, 1000]
    };
    let intervals: &[u64] = if quick { &[10] } else { &[10, 100] };
    let list = blocks
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let mut whos = vec![
        Who::Rust(Peer::Loopmon, Flavor::Ct),
        Who::Rust(Peer::Naive, Flavor::Ct),
        Who::Py,
        Who::Rust(Peer::Loopmon, Flavor::Mt),
    ];
    if !quick {
        whos.extend([
            Who::Rust(Peer::Eld, Flavor::Ct),
            Who::Rust(Peer::Metrics, Flavor::Ct),
            Who::Rust(Peer::Naive, Flavor::Mt),
            Who::Rust(Peer::Metrics, Flavor::Mt),
        ]);
    }
    let mut jobs = Vec::new();
    for &iv in intervals {
        let reps = if quick || iv >= 100 { 1 } else { 2 };
        for phase in PHASES {
            for &who in &whos {
                let key = format!("{}/{iv}/{phase}", who.key());
                let kv = |flavor: Flavor| {
                    vec![
                        ("flavor", flavor.name().to_string()),
                        ("interval_ms", iv.to_string()),
                        ("phase", phase.to_string()),
                        ("blocks", list.clone()),
                    ]
                };
                jobs.push(match who {
                    Who::Rust(p, f) => Job::rust(key, args("accuracy", p.name(), &kv(f)), reps),
                    Who::Py => Job::python(key, py_args("accuracy", &kv(Flavor::Ct)), reps),
                });
            }
        }
    }
    let res = run_jobs(ctx, &jobs);
    section(ctx, &res, &whos, intervals, blocks);
}

fn section(
    ctx: &mut Ctx,
    res: &HashMap<String, Runs>,
    whos: &[Who],
    intervals: &[u64],
    blocks: &[u64],
) {
    let mut body = String::from(
        "## 1. Accuracy\n\nEvery worker is stalled by `std::thread::sleep(B)` in spawned tasks \
         (one per worker, started together), just after the contestant's tick (phase 0) or at a \
         random point of its interval. Cell: the largest figure reported in [stall start, stall \
         end + 1 interval + 5 ms] (the sample that carries the stall, and no later one), in ms, median over runs, and in brackets its error against the true \
         lateness (the stall's end minus the contestant's first deadline not yet served when the \
         stall began; 0 when no deadline fell inside the stall). The error against the block \
         length is the cell minus B. The Python original runs on asyncio (one thread) and is \
         listed in the current_thread tables.\n\n",
    );
    let mut t300: Vec<f64> = Vec::new();
    for &iv in intervals {
        for flavor in [Flavor::Ct, Flavor::Mt] {
            let cols: Vec<Who> = whos
                .iter()
                .copied()
                .filter(|w| match w {
                    Who::Rust(_, f) => *f == flavor,
                    Who::Py => flavor == Flavor::Ct,
                })
                .collect();
            let mut head = vec!["B ms".to_string(), "phase".into()];
            head.extend(cols.iter().map(|w| w.label()));
            let head: Vec<&str> = head.iter().map(String::as_str).collect();
            let mut t = Table::new(&head);
            for &b in blocks {
                for phase in PHASES {
                    let mut row = vec![b.to_string(), phase.replace("zero", "0")];
                    for w in &cols {
                        let runs = res.get(&format!("{}/{iv}/{phase}", w.key()));
                        let cell = match runs {
                            Some(r) if r.missing().is_none() => {
                                let rep: Vec<f64> =
                                    r.vals(&format!("b{b}_rep")).into_iter().map(ms).collect();
                                let err: Vec<f64> = r.each(|x| {
                                    Some(ms(
                                        x.f(&format!("b{b}_rep"))? - x.f(&format!("b{b}_true"))?
                                    ))
                                });
                                if iv == 10 && b == 300 && matches!(w, Who::Rust(Peer::Loopmon, _))
                                {
                                    t300.extend(&rep);
                                }
                                let (rep, err) = (Summary::of(&rep), Summary::of(&err));
                                match (rep, err) {
                                    (Some(r), Some(_))
                                        if matches!(w, Who::Rust(Peer::Eld | Peer::Metrics, _)) =>
                                    {
                                        format!(
                                            "{:.2} ({:+.2} vs B)",
                                            r.median,
                                            r.median - b as f64
                                        )
                                    }
                                    (Some(r), Some(e)) => {
                                        format!("{:.2} [{:+.2}]", r.median, e.median)
                                    }
                                    _ => "—".into(),
                                }
                            }
                            Some(r) => r.missing().unwrap_or_default(),
                            None => "not run".into(),
                        };
                        row.push(cell);
                    }
                    t.row(row);
                }
            }
            body.push_str(&format!(
                "### interval {iv} ms, {}\n\n{}\n",
                flavor.label(),
                t.render()
            ));
        }
    }
    body.push_str(
        "tokio-eld and tokio-metrics do not report lateness: their cells give the error against \
         the block length instead. On a loaded machine a probe thread can be preempted between \
         its sample and its next deadline; a naive probe then sets that deadline later than the \
         harness infers (sample time + interval), which shows as a negative error. loopmon's \
         deadlines are on a fixed grid, so its true lateness is exact. A stall that starts just \
         after loopmon's tick is under-reported by up to one interval plus the time by which \
         that tick ran early (see the idle table: its timer is armed up to 2 ms early).\n",
    );
    ctx.report.section(body);
    let s = Summary::of(&t300);
    ctx.report.target(
        "300 ms block at 10 ms (both flavors, both phases, every run)",
        "reads 290–302 ms",
        s.map_or("—".into(), |s| format!("{} ms", s.show(2))),
        s.map(|s| s.min >= 290.0 && s.max <= 302.0),
    );
}
