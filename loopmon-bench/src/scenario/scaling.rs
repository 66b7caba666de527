//! Scenario 5: scaling. The cost of a tick with 10, 1k and 100k alive tasks (parked forever),
//! against the floor with the same tasks; and the tick body's calls timed directly.

use super::{args, py_args, run_jobs, Ctx, Flavor, Job};
use crate::child::{Args, Out};
use crate::peer::{Cb, Peer, Probe};
use crate::recorder::nanos;
use crate::report::Table;
use crate::rusage;
use crate::stats::{show, Summary};
use loopmon::Sample;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One run: `scaling <peer> tasks= interval_ms= secs=` on current_thread.
pub(crate) fn child(peer: Peer, a: &Args) -> Out {
    let n = a.u64("tasks");
    let iv = a.ms("interval_ms");
    let window = Duration::from_secs_f64(a.f64("secs"));
    Flavor::Ct.runtime().block_on(async {
        let parked: Vec<_> = (0..n)
            .map(|_| tokio::spawn(std::future::pending::<()>()))
            .collect();
        let capacity = (window.as_secs_f64() * 1.5 / iv.as_secs_f64()) as usize + 100;
        let probe = Probe::start(peer, iv, Cb::Record, capacity, false);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (u0, k0) = (rusage::now(), probe.ticks());
        tokio::time::sleep(window).await;
        let (u1, k1) = (rusage::now(), probe.ticks());
        probe.stop();
        for p in &parked {
            p.abort();
        }
        let mut out = Out::default();
        out.put("cpu_ns", nanos(u1.cpu - u0.cpu))
            .put("ticks", k1 - k0)
            .put("tasks_seen", probe.tasks_seen.load(Ordering::Relaxed));
        out
    })
}

/// `tickmodel <any> tasks=`: the calls loopmon's tick makes (clock, lock, atomics, task count,
/// UTC timestamp, one sync callback), timed in a loop without any timer: a model of the
/// dispatch's own cost, in ns per tick.
pub(crate) fn tick_model(a: &Args) -> Out {
    let n = a.u64("tasks");
    Flavor::Ct.runtime().block_on(async {
        let parked: Vec<_> = (0..n)
            .map(|_| tokio::spawn(std::future::pending::<()>()))
            .collect();
        let handle = tokio::runtime::Handle::current();
        let lock = Mutex::new(());
        let (block_on_lag, ticks) = (AtomicU64::new(0), AtomicU64::new(0));
        let callback: Box<dyn Fn(&Sample) + Send + Sync> = Box::new(|s| {
            black_box(s);
        });
        let deadline = Instant::now();
        let iters = 200_000u32;
        let t = Instant::now();
        for _ in 0..iters {
            let now = Instant::now();
            let _dispatching = lock.lock().unwrap_or_else(|e| e.into_inner());
            let lag = black_box(now).saturating_duration_since(deadline);
            let extra = Duration::from_nanos(block_on_lag.swap(0, Ordering::Relaxed));
            let tasks = handle.metrics().num_alive_tasks().saturating_sub(1);
            let sample = Sample::new(lag.max(extra), tasks, chrono::Utc::now());
            ticks.fetch_add(1, Ordering::Relaxed);
            black_box(&callback)(&sample);
        }
        let per = t.elapsed() / iters;
        for p in &parked {
            p.abort();
        }
        let mut out = Out::default();
        out.put("tick_ns", nanos(per));
        out
    })
}

const COUNTS: [u64; 3] = [10, 1_000, 100_000];

pub(crate) fn run(ctx: &mut Ctx) {
    let (secs, reps) = if ctx.quick { (0.5, 1) } else { (2.0, 2) };
    let mut jobs = Vec::new();
    for n in COUNTS {
        for p in [Peer::Floor, Peer::Loopmon] {
            let kv = vec![
                ("tasks", n.to_string()),
                ("interval_ms", "1".to_string()),
                ("secs", secs.to_string()),
            ];
            jobs.push(Job::rust(
                format!("{}/{n}", p.name()),
                args("scaling", p.name(), &kv),
                reps,
            ));
        }
        jobs.push(Job::rust(
            format!("model/{n}"),
            args("tickmodel", "loopmon", &[("tasks", n.to_string())]),
            reps,
        ));
    }
    let list = COUNTS.map(|n| n.to_string()).join(",");
    jobs.push(Job::python(
        "python",
        py_args("scaling", &[("tasks", list)]),
        1,
    ));
    let res = run_jobs(ctx, &jobs);
    let per_tick = |key: &str| -> Vec<f64> {
        res.get(key).map_or_else(Vec::new, |r| {
            r.each(|x| {
                let k = x.f("ticks")?;
                (k > 0.0).then(|| x.f("cpu_ns").unwrap_or(0.0) / k / 1e3)
            })
        })
    };
    let mut t = Table::new(&[
        "alive tasks",
        "floor CPU µs / tick",
        "**loopmon** CPU µs / tick",
        "loopmon − floor, µs",
        "loopmon's `tasks` figure",
        "loopmon tick body, timed directly (model), µs",
        "Python original: tick body (`all_tasks` + timestamp + 1 task), µs",
    ]);
    let py = res.get("python").cloned().unwrap_or_default();
    let mut own_by_n = Vec::new();
    for n in COUNTS {
        let floor = per_tick(&format!("floor/{n}"));
        let lm = per_tick(&format!("loopmon/{n}"));
        let diff: Vec<f64> = lm.iter().zip(&floor).map(|(l, f)| l - f).collect();
        let seen = res
            .get(&format!("loopmon/{n}"))
            .map_or_else(Vec::new, |r| r.vals("tasks_seen"));
        let model: Vec<f64> = res
            .get(&format!("model/{n}"))
            .map_or_else(Vec::new, |r| r.vals("tick_ns"))
            .into_iter()
            .map(|x| x / 1e3)
            .collect();
        let py_cell = py.missing().unwrap_or_else(|| {
            show(
                &py.vals(&format!("tick_ns_{n}"))
                    .iter()
                    .map(|x| x / 1e3)
                    .collect::<Vec<_>>(),
                1,
            )
        });
        own_by_n.push((n, Summary::of(&model), Summary::of(&lm)));
        t.row(vec![
            n.to_string(),
            show(&floor, 1),
            show(&lm, 1),
            show(&diff, 2),
            show(&seen, 0),
            show(&model, 3),
            py_cell,
        ]);
    }
    ctx.report.section(format!(
        "## 5. Scaling with the number of tasks\n\nN tasks parked forever \
         (`std::future::pending`), current_thread, interval 1 ms, whole-process CPU per tick \
         over {secs} s against the floor with the same tasks. The model column times, in a \
         loop without a timer, the calls loopmon's tick makes (monotonic clock, the dispatch \
         lock, two atomics, `num_alive_tasks`, `chrono::Utc::now`, one sync callback): its own \
         work per tick, measured directly. The Python original's column is its tick body timed \
         directly (its `len(asyncio.all_tasks())` walks every task).\n\n{}",
        t.render()
    ));
    let (first, last) = (own_by_n.first().copied(), own_by_n.last().copied());
    if let (Some((_, Some(m10), Some(l10))), Some((_, Some(m100k), Some(l100k)))) = (first, last) {
        ctx.report.target(
            "O(1) in task count: tick at 100k tasks vs 10",
            "no growth (judged on the direct timing; CPU per tick is for scale)",
            format!(
                "model {:.3} → {:.3} µs; CPU per tick {:.1} → {:.1} µs",
                m10.median, m100k.median, l10.median, l100k.median
            ),
            Some(m100k.median <= m10.median * 1.5 + 0.1),
        );
        ctx.report.target(
            "loopmon's own work per tick, timed directly (model, 10 tasks)",
            "≤ 2 µs",
            format!("{:.3} µs", m10.median),
            Some(m10.median <= 2.0),
        );
    }
}
