//! Scenario 7: memory. RSS over 1M ticks (many monitors at 1 ms in one runtime, so that a
//! million ticks take seconds, not 17 minutes), and heap allocations per tick counted by the
//! harness's global allocator.

use super::{args, run_jobs, Ctx, Flavor, Job};
use crate::child::{Args, Out};
use crate::peer::{Cb, Peer, Probe};
use crate::report::Table;
use crate::stats::{show, Summary};
use crate::{alloc_count, rusage};
use std::time::{Duration, Instant};

/// One process: `memory <peer> monitors= ticks= cb=` on current_thread, interval 1 ms.
pub(crate) fn child(peer: Peer, a: &Args) -> Out {
    let m = a.u64("monitors");
    let target = a.u64("ticks");
    let cb = Cb::parse(a.str("cb")).expect("cb=none|noop|record|async");
    Flavor::Ct.runtime().block_on(async {
        let probes: Vec<Probe> = (0..m)
            .map(|_| Probe::start(peer, Duration::from_millis(1), cb, 0, false))
            .collect();
        let ticks = || probes.iter().map(Probe::ticks).sum::<u64>();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (k0, a0, t0, u0) = (
            ticks(),
            alloc_count::so_far(),
            Instant::now(),
            rusage::now(),
        );
        let mut rss = vec![rusage::rss_bytes()];
        let mut quarter = 1;
        while quarter <= 4 && t0.elapsed() < Duration::from_secs(120) {
            tokio::time::sleep(Duration::from_millis(20)).await;
            while quarter <= 4 && ticks() - k0 >= target * quarter / 4 {
                rss.push(rusage::rss_bytes());
                quarter += 1;
            }
        }
        let (k1, a1, u1) = (ticks(), alloc_count::so_far(), rusage::now());
        let secs = t0.elapsed().as_secs_f64();
        for p in &probes {
            p.stop();
        }
        let mut out = Out::default();
        out.put("ticks", k1 - k0)
            .put("allocs", a1.0 - a0.0)
            .put("bytes", a1.1 - a0.1)
            .put("secs", secs)
            .put("cpu_ns", crate::recorder::nanos(u1.cpu - u0.cpu))
            .list("rss", &rss);
        out
    })
}

pub(crate) fn run(ctx: &mut Ctx) {
    let (ticks, reps) = if ctx.quick {
        (100_000u64, 1)
    } else {
        (1_000_000, 2)
    };
    let monitors = 1000u64;
    let whos: [(&str, Peer, Cb); 5] = [
        ("floor: bare `sleep_until` loops", Peer::Floor, Cb::None),
        ("**loopmon**, no callback", Peer::Loopmon, Cb::None),
        (
            "**loopmon** + 1 sync no-op callback",
            Peer::Loopmon,
            Cb::Noop,
        ),
        (
            "**loopmon** + 1 async no-op callback",
            Peer::Loopmon,
            Cb::AsyncNoop,
        ),
        (
            "naive tokio probe (lag computed, not kept)",
            Peer::Naive,
            Cb::None,
        ),
    ];
    let jobs: Vec<Job> = whos
        .iter()
        .enumerate()
        .map(|(i, (_, p, cb))| {
            let kv = vec![
                ("monitors", monitors.to_string()),
                ("ticks", ticks.to_string()),
                ("cb", cb.name().to_string()),
            ];
            Job::rust(i.to_string(), args("memory", p.name(), &kv), reps)
        })
        .collect();
    let res = run_jobs(ctx, &jobs);
    let mut t = Table::new(&[
        "contestant",
        "ticks",
        "seconds",
        "RSS MiB at 0 / 25 / 50 / 75 / 100 % of the ticks (first run)",
        "RSS growth, bytes per 1k ticks",
        "heap allocations per tick (total in the window)",
        "bytes allocated per tick",
        "CPU µs per tick",
        "− floor, µs per tick",
    ]);
    let cpu_per_tick =
        |r: &super::Runs| r.each(|x| Some(x.f("cpu_ns")? / x.f("ticks")?.max(1.0) / 1e3));
    let floor = res.get("0").map(cpu_per_tick).unwrap_or_default();
    let floor_med = Summary::of(&floor).map_or(f64::NAN, |s| s.median);
    let mut targets = Vec::new();
    for (i, (label, p, cb)) in whos.iter().enumerate() {
        let r = res.get(&i.to_string()).cloned().unwrap_or_default();
        if let Some(m) = r.missing() {
            let mut row = vec![label.to_string(), m];
            row.extend((0..7).map(|_| String::new()));
            t.row(row);
            continue;
        }
        let rec = &r.ok[0];
        let k = rec.f("ticks").unwrap_or(0.0);
        let rss = rec.list("rss");
        // RSS growth per 1k ticks, per run.
        let growths = r.each(|x| {
            let v = x.list("rss");
            Some((v.last()? - v.first()?) / x.f("ticks")?.max(1.0) * 1e3)
        });
        let growth = Summary::of(&growths);
        let per = |key: &str| r.each(|x| Some(x.f(key)? / x.f("ticks")?.max(1.0)));
        let allocs = per("allocs");
        let cpu = cpu_per_tick(&r);
        let own: Vec<f64> = cpu.iter().map(|c| c - floor_med).collect();
        t.row(vec![
            label.to_string(),
            format!("{k:.0}"),
            format!("{:.1}", rec.f("secs").unwrap_or(0.0)),
            rss.iter()
                .map(|b| format!("{:.1}", b / 1048576.0))
                .collect::<Vec<_>>()
                .join(" / "),
            show(&growths, 1),
            format!("{} ({})", show(&allocs, 4), show(&r.vals("allocs"), 0)),
            show(&per("bytes"), 2),
            show(&cpu, 3),
            if *p == Peer::Floor {
                "—".into()
            } else {
                show(&own, 3)
            },
        ]);
        if *p == Peer::Loopmon {
            targets.push((*cb, Summary::of(&allocs), growth, Summary::of(&own)));
        }
    }
    ctx.report.section(format!(
        "## 7. Memory\n\n{monitors} contestants at a 1 ms interval on one current_thread \
         runtime until they have made {ticks} ticks together, so that one timer wake-up serves many \
         ticks and the CPU per tick is mostly the contestant's own work (the floor's is the \
         timer's share); RSS from `/proc/self/statm`, heap \
         allocations counted by the harness's global allocator over the same window (the whole \
         process: the timer, the runtime and the contestant). An async callback runs in one task \
         of its own, spawned when the monitor starts, so it allocates nothing per sample either. {reps} run(s) each: a leak grows in every run, \
         while a one-off step (a runtime queue or the allocator growing once, with a handful \
         of allocations in the whole window) shows in one run only; the target is judged on \
         the smaller growth.\n\n{}",
        t.render()
    ));
    for (cb, allocs, growth, own) in targets {
        if cb == Cb::Noop {
            ctx.report.target(
                "loopmon's own work per tick, 1 sync no-op callback (1000 monitors: CPU per tick − floor's)",
                "≤ 2 µs",
                own.map_or("—".into(), |s| format!("{:.3} µs", s.median)),
                own.map(|s| s.median <= 2.0),
            );
        }
        if cb == Cb::None {
            ctx.report.target(
                "heap allocations per tick, no callback",
                "0",
                allocs.map_or("—".into(), |s| format!("{:.4}", s.median)),
                allocs.map(|s| s.median < 0.001),
            );
            ctx.report.target(
                &format!("memory flat over {ticks} ticks, no callback"),
                "flat",
                growth.map_or("—".into(), |g| {
                    format!("{} bytes of RSS per 1k ticks", g.show(1))
                }),
                growth.map(|g| g.min.abs() < 100.0),
            );
        }
    }
}
