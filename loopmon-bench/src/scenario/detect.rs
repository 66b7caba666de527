//! Scenario 6: detection latency of a 2 s stall with a 100 ms threshold: how long after the
//! stall began the first report of it arrives.

use super::{args, py_args, run_jobs, stall, Ctx, Flavor, Job, Rng};
use crate::child::{Args, Out};
use crate::peer::{Cb, Peer, Probe};
use crate::recorder::nanos;
use crate::report::Table;
use crate::stats::{ms, show};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One process: `detect <peer> interval_ms= block_ms= threshold_ms= reps=` on current_thread.
pub(crate) fn child(peer: Peer, a: &Args) -> Out {
    let iv = a.ms("interval_ms");
    let block = a.ms("block_ms");
    let thr = nanos(a.ms("threshold_ms"));
    let reps = a.u64("reps");
    let mut rng = Rng::new(reps + 7);
    Flavor::Ct.runtime().block_on(async {
        let probe = Probe::start(peer, iv, Cb::Record, 1 << 14, false);
        let (mut lat, mut first, mut during) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..reps {
            tokio::time::sleep(iv * 5 + rng.below(iv)).await;
            let (s, e) = stall(1, block, probe.t0).await;
            tokio::time::sleep(iv * 3).await;
            let samples = probe.rec.samples();
            during.push(samples.iter().filter(|(at, _)| *at > s && *at < e).count() as u64);
            match samples.iter().find(|(at, v)| *at >= s && *v > thr) {
                Some(&(at, v)) => {
                    lat.push(at - s);
                    first.push(v);
                }
                None => {
                    lat.push(0);
                    first.push(0);
                }
            }
        }
        probe.stop();
        let mut out = Out::default();
        out.list("lat_ns", &lat)
            .list("first_ns", &first)
            .list("during", &during);
        out
    })
}

/// loopmon's watchdog (`on_stall`): reports a stall while it is still happening, from another
/// thread. Returns, for each of `reps` stalls of `block` on a current_thread runtime (started at
/// a random point of `interval`), the time in ms from the stall's start to the watchdog's first
/// report with `threshold`.
pub(crate) fn detect_loopmon_watchdog(
    interval: Duration,
    block: Duration,
    threshold: Duration,
    reps: u64,
) -> Result<Vec<f64>, String> {
    let first: Arc<Mutex<Option<Instant>>> = Arc::default();
    let seen = first.clone();
    let mut rng = Rng::new(reps + 11);
    let rt = Flavor::Ct.runtime();
    rt.block_on(async {
        let monitor = loopmon::SleepMonitor::builder()
            .interval(interval)
            .stall_threshold(threshold)
            .on_stall(move |s: &loopmon::Stall| {
                if s.kind == loopmon::StallKind::Started {
                    seen.lock().unwrap().get_or_insert_with(Instant::now);
                }
            })
            .build()
            .map_err(|e| e.to_string())?
            .start();
        let mut latencies = Vec::new();
        for _ in 0..reps {
            tokio::time::sleep(interval * 5 + rng.below(interval)).await;
            *first.lock().unwrap() = None;
            let began = tokio::spawn(async move {
                let began = Instant::now();
                std::thread::sleep(block);
                began
            })
            .await
            .map_err(|e| e.to_string())?;
            tokio::time::sleep(interval * 3).await;
            match *first.lock().unwrap() {
                Some(at) => latencies.push((at - began).as_secs_f64() * 1e3),
                None => return Err(format!("no report of a {block:?} stall")),
            }
        }
        monitor.stop();
        Ok(latencies)
    })
}

pub(crate) fn run(ctx: &mut Ctx) {
    let (block_ms, reps) = if ctx.quick { (500u64, 1u64) } else { (2000, 3) };
    let kv = vec![
        ("interval_ms", "100".to_string()),
        ("block_ms", block_ms.to_string()),
        ("threshold_ms", "100".to_string()),
        ("reps", reps.to_string()),
    ];
    let whos: Vec<(&str, Option<Peer>)> = vec![
        (
            "**loopmon**, after the fact (first sample with lag > 100 ms)",
            Some(Peer::Loopmon),
        ),
        ("naive tokio probe", Some(Peer::Naive)),
        (
            "tokio-metrics (`max_busy_duration` > 100 ms)",
            Some(Peer::Metrics),
        ),
        ("Python original", None),
    ];
    let jobs: Vec<Job> = whos
        .iter()
        .enumerate()
        .map(|(i, (_, p))| match p {
            Some(p) => Job::rust(i.to_string(), args("detect", p.name(), &kv), 1),
            None => Job::python(i.to_string(), py_args("detect", &kv), 1),
        })
        .collect();
    let res = run_jobs(ctx, &jobs);
    let mut t = Table::new(&[
        "contestant",
        "first report, ms after the stall began",
        "after the stall ended, ms",
        "figure in that report, ms",
        "reports during the stall",
    ]);
    // The watchdog's first report comes between `threshold` and `threshold + interval` after a
    // stall begins: at the 10 ms interval of the target, and at the others' 100 ms.
    let mut watchdog = Err(String::new());
    for interval_ms in [10u64, 100] {
        let result = detect_loopmon_watchdog(
            Duration::from_millis(interval_ms),
            Duration::from_millis(block_ms),
            Duration::from_millis(100),
            reps,
        );
        let label = format!("**loopmon watchdog** (`on_stall`, interval {interval_ms} ms)");
        match &result {
            Ok(lat) => {
                let after: Vec<f64> = lat.iter().map(|l| l - block_ms as f64).collect();
                t.row(vec![
                    label,
                    show(lat, 1),
                    show(&after, 2),
                    "—".into(),
                    "1".into(),
                ])
            }
            Err(e) => t.row(vec![
                label,
                e.clone(),
                String::new(),
                String::new(),
                String::new(),
            ]),
        }
        if interval_ms == 10 {
            watchdog = result;
        }
    }
    for (i, (label, _)) in whos.iter().enumerate() {
        let r = res.get(&i.to_string()).cloned().unwrap_or_default();
        if let Some(m) = r.missing() {
            t.row(vec![
                label.to_string(),
                m,
                String::new(),
                String::new(),
                String::new(),
            ]);
            continue;
        }
        let lat: Vec<f64> = r.all("lat_ns").into_iter().map(ms).collect();
        let after: Vec<f64> = lat.iter().map(|l| l - block_ms as f64).collect();
        let first: Vec<f64> = r.all("first_ns").into_iter().map(ms).collect();
        let during: Vec<f64> = r.all("during");
        t.row(vec![
            label.to_string(),
            show(&lat, 1),
            show(&after, 2),
            show(&first, 1),
            show(&during, 0),
        ]);
    }
    ctx.report.section(format!(
        "## 6. Detection latency\n\nOne task blocks the current_thread runtime for {block_ms} ms \
         at a random point of a 100 ms interval ({reps} stalls per contestant); threshold 100 \
         ms. Everything that runs on the runtime itself can only report after the stall ends.\n\n{}",
        t.render()
    ));
    ctx.report.target(
        "first stall report (watchdog), 2 s stall, threshold 100 ms, interval 10 ms",
        "≤ 110 ms",
        match &watchdog {
            Ok(l) => format!("{} ms", show(l, 1)),
            Err(e) => e.clone(),
        },
        watchdog
            .ok()
            .and_then(|l| crate::stats::Summary::of(&l))
            .map(|s| s.max <= 110.0),
    );
}
