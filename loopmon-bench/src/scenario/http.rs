//! Scenario 9: what loopmon costs a real server. An HTTP/1.1 server (hyper) on loopback, in a
//! child process of its own, started by `#[tokio::main]` or by `#[loopmon::main]` (the same
//! function, the attribute swapped: the README's one line of adoption, with its defaults), is
//! driven by the harness's load generator ([`load`]) with a fixed number of requests. The
//! figure is the server process's CPU time (user + system, `getrusage`) per request, over a
//! window that leaves out the warm-up. The servers of a set (without, loopmon at two intervals,
//! two reference timers) run side by side, the load generator alternating between them batch by
//! batch (A B C D E A B …; a batch is one request, or one pipelined burst), so whatever else the
//! machine does hits them alike; each monitored server is paired with the unmonitored one of its
//! set, and the ratios of many sets give a 95 % confidence interval ([`RatioCi`]).

mod load;

use super::{args, Ctx, Flavor};
use crate::child::{Args, Out, Record, Serving};
use crate::peer::{Cb, Peer, Probe};
use crate::recorder::nanos;
use crate::report::Table;
use crate::rusage;
use crate::stats::{show, RatioCi};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// What every request for `/` gets.
const BODY: &[u8] = b"Hello, World!\n";

/// The server's state, shared by its connections.
#[derive(Debug, Default)]
struct Shared {
    /// Requests for `/` served so far.
    served: AtomicU64,
    /// The marks `/start` and `/stop` took, in order.
    marks: Mutex<Vec<Mark>>,
    /// Woken by `/stop`: the accept loop ends.
    stop: Notify,
}

/// The process's state when the load generator said `/start` or `/stop`.
#[derive(Debug, Clone, Copy)]
struct Mark {
    usage: rusage::Usage,
    served: u64,
    at: Instant,
}

impl Shared {
    /// The service: `/start` and `/stop` mark the measured window (`/stop` also ends the
    /// accept loop); anything else is a request of the load.
    fn respond(&self, request: &Request<Incoming>) -> Response<Full<Bytes>> {
        let path = request.uri().path();
        if path == "/start" || path == "/stop" {
            let mark = Mark {
                usage: rusage::now(),
                served: self.served.load(Ordering::Relaxed),
                at: Instant::now(),
            };
            self.marks
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(mark);
            if path == "/stop" {
                self.stop.notify_one();
            }
            return Response::new(Full::new(Bytes::from_static(b"ok\n")));
        }
        self.served.fetch_add(1, Ordering::Relaxed);
        Response::new(Full::new(Bytes::from_static(BODY)))
    }
}

/// A bound listener, the state its connections share, and a reference timer to run beside it.
#[derive(Debug)]
struct Server {
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    /// [`Peer::Pending`], [`Peer::Floor`] or [`Peer::OsThread`] (a task woken by a thread,
    /// see [`Woken`]), with its interval, to start on the runtime, for the reference rows;
    /// `None` for the others.
    reference: Option<(Peer, Duration)>,
}

impl Server {
    /// The server's `main` body, as a hyper user writes it: accept in a loop, one task per
    /// connection. Ends once `/stop` was served and every connection was closed by its client.
    /// It registers no timer of its own: the unmonitored runs have none at all.
    async fn serve(self) {
        self.listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let listener = tokio::net::TcpListener::from_std(self.listener).expect("a tokio listener");
        let (reference, woken) = match self.reference {
            Some((Peer::OsThread, iv)) => (None, Some(Woken::start(iv))),
            Some((peer, iv)) => (Some(Probe::start(peer, iv, Cb::None, 0, false)), None),
            None => (None, None),
        };
        let mut connections = Vec::new();
        loop {
            tokio::select! {
                biased;
                () = self.shared.stop.notified() => break,
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let _ = stream.set_nodelay(true);
                    let shared = self.shared.clone();
                    connections.push(tokio::spawn(async move {
                        let service = service_fn(move |request: Request<Incoming>| {
                            let response = shared.respond(&request);
                            async move { Ok::<_, Infallible>(response) }
                        });
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    }));
                }
            }
        }
        drop(listener);
        for connection in connections {
            let _ = connection.await;
        }
        if let Some(reference) = reference {
            reference.stop();
        }
        drop(woken);
    }
}

/// A reference for a probe kept off tokio's timer: an OS thread sleeps to drift-free
/// deadlines and wakes a task on the runtime through a [`Notify`]; the
/// task reads how late it runs, as a probe would. No tokio timer is registered.
#[derive(Debug)]
struct Woken {
    stop: Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Woken {
    fn start(interval: Duration) -> Woken {
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        let stop = Arc::new(AtomicBool::new(false));
        let notify = Arc::new(tokio::sync::Notify::new());
        let due = Arc::new(AtomicU64::new(0));
        let t0 = Instant::now();
        let task = tokio::spawn({
            let (notify, due) = (notify.clone(), due.clone());
            async move {
                loop {
                    notify.notified().await;
                    let deadline = t0 + Duration::from_nanos(due.load(Ordering::Relaxed));
                    std::hint::black_box(Instant::now().saturating_duration_since(deadline));
                }
            }
        });
        let flag = stop.clone();
        std::thread::spawn(move || {
            let mut deadline = Instant::now() + interval;
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
                due.store((deadline - t0).as_nanos() as u64, Ordering::Relaxed);
                notify.notify_one();
                deadline += interval;
            }
        });
        Woken { stop, task }
    }
}

impl Drop for Woken {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.task.abort();
    }
}

/// The server's entry points: one function, under each attribute a user would write.
macro_rules! entry_points {
    ($($(#[doc = $doc:literal])* $name:ident = #[$attribute:meta];)*) => {$(
        $(#[doc = $doc])*
        #[$attribute]
        async fn $name(server: Server) {
            server.serve().await
        }
    )*};
}

entry_points! {
    /// Without loopmon, multi_thread.
    tokio_mt = #[tokio::main(flavor = "multi_thread", worker_threads = 2)];
    /// With loopmon's defaults (interval 100 ms, default reporter, stall watchdog),
    /// multi_thread.
    loopmon_mt = #[loopmon::main(flavor = "multi_thread", worker_threads = 2)];
    /// With loopmon at 10 ms, multi_thread.
    loopmon_mt_10ms = #[loopmon::main(flavor = "multi_thread", worker_threads = 2, interval = "10ms")];
    /// Without loopmon, current_thread.
    tokio_ct = #[tokio::main(flavor = "current_thread")];
    /// With loopmon's defaults, current_thread.
    loopmon_ct = #[loopmon::main(flavor = "current_thread")];
    /// With loopmon at 10 ms, current_thread.
    loopmon_ct_10ms = #[loopmon::main(flavor = "current_thread", interval = "10ms")];
}

/// loopmon's default interval in ms, the key of the default configuration.
fn default_ms() -> u64 {
    loopmon::DEFAULT_INTERVAL.as_millis() as u64
}

/// One server process: `http <none|loopmon|pending-timer|floor> flavor= interval_ms= max_s=`.
/// Prints `LISTEN <address>`, serves until the load generator's `/stop` and closed connections, and reports
/// its CPU time between `/start` and `/stop`. Exits by itself after `max_s` whatever happens.
pub(crate) fn child(peer: Peer, a: &Args) -> Out {
    let flavor = Flavor::from_args(a);
    let iv = a.u64("interval_ms");
    let limit = Duration::from_secs(a.u64("max_s"));
    std::thread::spawn(move || {
        std::thread::sleep(limit);
        eprintln!("http server: still running after {limit:?}, exiting");
        std::process::exit(3);
    });
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    println!(
        "LISTEN {}",
        listener.local_addr().expect("the listener's address")
    );
    let shared = Arc::new(Shared::default());
    let server = Server {
        listener,
        shared: shared.clone(),
        reference: matches!(peer, Peer::Pending | Peer::Floor | Peer::OsThread)
            .then(|| (peer, Duration::from_millis(iv))),
    };
    match (peer, flavor) {
        (Peer::None | Peer::Pending | Peer::Floor | Peer::OsThread, Flavor::Mt) => tokio_mt(server),
        (Peer::None | Peer::Pending | Peer::Floor | Peer::OsThread, Flavor::Ct) => tokio_ct(server),
        (Peer::Loopmon, Flavor::Mt) if iv == default_ms() => loopmon_mt(server),
        (Peer::Loopmon, Flavor::Ct) if iv == default_ms() => loopmon_ct(server),
        (Peer::Loopmon, Flavor::Mt) if iv == 10 => loopmon_mt_10ms(server),
        (Peer::Loopmon, Flavor::Ct) if iv == 10 => loopmon_ct_10ms(server),
        _ => panic!("no HTTP entry point for `{}` at {iv} ms", peer.name()),
    }
    let marks = shared.marks.lock().unwrap_or_else(|e| e.into_inner());
    let [start, stop] = marks[..] else {
        panic!("expected the marks /start and /stop, got {}", marks.len())
    };
    let mut out = Out::default();
    out.put("cpu_ns", nanos(stop.usage.cpu - start.usage.cpu))
        .put("requests", stop.served - start.served)
        .put("wall_ns", nanos(stop.at - start.at))
        .put("vcsw", stop.usage.vcsw - start.usage.vcsw);
    out
}

/// One shape of load, and how much of it.
#[derive(Debug, Clone, Copy)]
struct Plan {
    /// Load generator threads; each has a keep-alive connection to every server of a set.
    threads: u64,
    /// Requests in flight on a connection (pipelined).
    depth: u64,
    /// Requests to each server before `/start`, left out of the figure.
    warmup: u64,
    /// Requests to each server in the measured window.
    requests: u64,
    /// How long one set may take, at the most.
    max_s: u64,
}

impl Plan {
    /// Requests each thread sends to each server in a window of `total` per server.
    fn per_conn(self, total: u64) -> u64 {
        total / self.threads / self.depth * self.depth
    }

    /// The load, for the tables.
    fn label(self) -> String {
        match self.depth {
            1 => format!("{} connections, 1 request in flight on each", self.threads),
            d => format!(
                "{} connections, {d} requests in flight on each (pipelined)",
                self.threads
            ),
        }
    }
}

/// Servers in a set.
const SET: usize = 6;

/// One set's result: each server's figures, and the load generator's requests per second.
type Set = ([Run; SET], f64);

/// One configuration: who serves, on which flavor, at which interval (0 for none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Config {
    peer: Peer,
    flavor: Flavor,
    interval_ms: u64,
}

impl Config {
    /// The configurations of a set: without first, then loopmon's defaults, loopmon at 10 ms,
    /// and the references (a pending timer, a bare `sleep_until` loop, a task woken by an OS
    /// thread).
    fn set(flavor: Flavor) -> [Config; SET] {
        let config = |peer, interval_ms| Config {
            peer,
            flavor,
            interval_ms,
        };
        [
            config(Peer::None, 0),
            config(Peer::Loopmon, default_ms()),
            config(Peer::Loopmon, 10),
            config(Peer::Pending, 1),
            config(Peer::Floor, default_ms()),
            config(Peer::OsThread, default_ms()),
        ]
    }

    /// The server, for the tables.
    fn label(self) -> String {
        match self.peer {
            Peer::Loopmon if self.interval_ms == default_ms() => format!(
                "**loopmon**: `#[loopmon::main]`, defaults (interval {} ms)",
                self.interval_ms
            ),
            Peer::Loopmon => format!(
                "**loopmon**: `#[loopmon::main(interval = \"{}ms\")]`",
                self.interval_ms
            ),
            Peer::Pending => {
                "reference: `#[tokio::main]` + one pending tokio timer (1 h away)".to_string()
            }
            Peer::Floor => format!(
                "reference: `#[tokio::main]` + a bare `sleep_until` loop at {} ms",
                self.interval_ms
            ),
            Peer::OsThread => format!(
                "reference: `#[tokio::main]` + a task woken by an OS thread every {} ms (no tokio timer)",
                self.interval_ms
            ),
            _ => "without: `#[tokio::main]`".to_string(),
        }
    }
}

/// What one server measured in one set.
#[derive(Debug, Clone, Copy)]
struct Run {
    /// The server's CPU time per request, ns.
    cpu_per_request: f64,
    /// The server's CPU time over its wall time in the window: cores busy.
    cores: f64,
    /// The server's voluntary context switches per request.
    vcsw: f64,
}

/// Runs one set: the servers of `flavor` at once, driven together through warm-up,
/// `/start`, the measured requests and `/stop`. Returns each server's figures and the load
/// generator's requests per second, all servers together.
fn one_set(flavor: Flavor, plan: Plan, round: usize) -> Result<Set, String> {
    let configs = Config::set(flavor);
    let mut servers = Vec::new();
    // Started in a rotating order: no configuration is always the first process of a set.
    for k in 0..configs.len() {
        let config = configs[(round + k) % configs.len()];
        let kv = [
            ("flavor", flavor.name().to_string()),
            ("interval_ms", config.interval_ms.to_string()),
            ("max_s", plan.max_s.to_string()),
        ];
        match Serving::start(&args("http", config.peer.name(), &kv)) {
            Ok(server) => servers.push((config, server)),
            Err(e) => {
                servers.into_iter().for_each(|(_, s)| s.kill());
                return Err(e);
            }
        }
    }
    servers.sort_by_key(|(config, _)| configs.iter().position(|c| c == config));
    let addrs: Vec<SocketAddr> = servers.iter().map(|(_, s)| s.addr).collect();
    let wall = match drive(&addrs, plan) {
        Ok(wall) => wall,
        Err(e) => {
            servers.into_iter().for_each(|(_, s)| s.kill());
            return Err(format!("load generator: {e}"));
        }
    };
    let sent = plan.per_conn(plan.requests) * plan.threads;
    let mut runs = Vec::new();
    for (_, server) in servers {
        let record = server.finish(Duration::from_secs(plan.max_s))?;
        runs.push(figures(&record, sent)?);
    }
    let rate = (sent * configs.len() as u64) as f64 / wall.as_secs_f64();
    let runs: [Run; SET] = runs.try_into().expect("one run per server");
    Ok((runs, rate))
}

/// The load generator's side of one set; returns the measured window's wall time.
fn drive(addrs: &[SocketAddr], plan: Plan) -> std::io::Result<Duration> {
    // Leave the servers' own time limit for the harness's checks.
    let deadline = Instant::now() + Duration::from_secs(plan.max_s.saturating_sub(2).max(1));
    let open_row = || addrs.iter().map(|a| load::Conn::open(*a)).collect();
    let mut conns = (0..plan.threads)
        .map(|_| open_row())
        .collect::<std::io::Result<Vec<Vec<_>>>>()?;
    let mut control: Vec<load::Conn> = open_row()?;
    load::drive(&mut conns, plan.per_conn(plan.warmup), plan.depth, deadline)?;
    for c in &mut control {
        c.get("/start")?;
    }
    let wall = load::drive(
        &mut conns,
        plan.per_conn(plan.requests),
        plan.depth,
        deadline,
    )?;
    for c in &mut control {
        c.get("/stop")?;
    }
    // Closing every connection lets the servers end.
    Ok(wall)
}

/// A server's figures from its result line, checked against the requests it was sent.
fn figures(r: &Record, sent: u64) -> Result<Run, String> {
    let figures = (r.f("cpu_ns"), r.f("requests"), r.f("wall_ns"), r.f("vcsw"));
    let (cpu, requests, server_wall, vcsw) = match figures {
        (Some(c), Some(n), Some(w), Some(v)) => (c, n, w, v),
        _ => return Err("the server's result line lacks a figure".into()),
    };
    if requests != sent as f64 {
        return Err(format!(
            "the server counted {requests} requests in the window, the load generator sent {sent}"
        ));
    }
    Ok(Run {
        cpu_per_request: cpu / requests,
        cores: cpu / server_wall,
        vcsw: vcsw / requests,
    })
}

/// The `all` side: rounds of sets under both load shapes and flavors, then the table and the
/// target rows.
pub(crate) fn run(ctx: &mut Ctx) {
    // Two shapes of load: a server woken for almost every request (one request in flight per
    // connection), and a busy one that reads many requests per wake-up (pipelined).
    // Rounds (a set of each load shape and flavor per round): at least `min`, then more while
    // another one fits in `budget`, at most `max`. A quiet machine gets more sets than a busy one.
    let (plans, (min, max, budget)) = if ctx.quick {
        let plan = |depth, requests| Plan {
            threads: 2,
            depth,
            warmup: 10 * depth,
            requests,
            max_s: 30,
        };
        ([plan(1, 1_000), plan(16, 4_000)], (2, 2, Duration::ZERO))
    } else {
        let plan = |depth, warmup, requests| Plan {
            threads: 3,
            depth,
            warmup,
            requests,
            max_s: 60,
        };
        let rounds = (8, 40, Duration::from_secs(150));
        ([plan(1, 1_500, 12_000), plan(16, 6_000, 48_000)], rounds)
    };
    let flavors = [Flavor::Mt, Flavor::Ct];
    // done[plan][flavor] = [(each server's run, requests/s of the set)]
    let mut done: Vec<Vec<Vec<Set>>> = vec![vec![Vec::new(); flavors.len()]; plans.len()];
    let started = Instant::now();
    let mut sets = 0;
    while sets < max
        && (sets < min || started.elapsed() + started.elapsed() / (sets as u32).max(1) <= budget)
    {
        let round = sets;
        sets += 1;
        for (p, &plan) in plans.iter().enumerate() {
            for (f, &flavor) in flavors.iter().enumerate() {
                let which = format!("{} depth {} set {}", flavor.name(), plan.depth, round + 1);
                match one_set(flavor, plan, round) {
                    Ok((runs, rate)) => {
                        let each = |g: &dyn Fn(&Run) -> String| {
                            runs.iter().map(g).collect::<Vec<_>>().join(" / ")
                        };
                        eprintln!(
                            "  http {which}: µs CPU per request {}; without / this {}; {:.0} \
                             requests/s; switches per request {}",
                            each(&|r| format!("{:.3}", r.cpu_per_request / 1e3)),
                            each(&|r| format!(
                                "{:.4}",
                                runs[0].cpu_per_request / r.cpu_per_request
                            )),
                            rate,
                            each(&|r| format!("{:.3}", r.vcsw)),
                        );
                        done[p][f].push((runs, rate));
                    }
                    Err(e) => eprintln!("  http {which}: {e}"),
                }
            }
        }
        eprintln!(
            "  http round {sets} {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    let load = crate::report::load_average();
    let mut t = Table::new(&[
        "load",
        "flavor",
        "server",
        "sets",
        "server CPU µs per request (median [min–max] over sets)",
        "server CPU, cores busy",
        "voluntary context switches per request",
        "CPU per request, without / with (paired, geometric mean [95 % CI])",
        "sd of one set's ratio, %",
        "extra CPU over without, % of a core",
        "CPU per request, bare `sleep_until` loop / loopmon at the same interval (95 % CI)",
    ]);
    for (p, &plan) in plans.iter().enumerate() {
        for (f, &flavor) in flavors.iter().enumerate() {
            let done = &done[p][f];
            let rate = show(&done.iter().map(|(_, r)| *r).collect::<Vec<_>>(), 0);
            for (c, config) in Config::set(flavor).into_iter().enumerate() {
                let each =
                    |g: fn(&Run) -> f64| done.iter().map(|(r, _)| g(&r[c])).collect::<Vec<_>>();
                let mut row = vec![
                    format!("{} ({rate} requests/s, all servers)", plan.label()),
                    flavor.label().to_string(),
                    config.label(),
                    done.len().to_string(),
                    show(&each(|r| r.cpu_per_request / 1e3), 2),
                    show(&each(|r| r.cores), 2),
                    show(&each(|r| r.vcsw), 3),
                ];
                if c == 0 {
                    row.extend([
                        "—".to_string(),
                        "—".to_string(),
                        "—".to_string(),
                        "—".into(),
                    ]);
                    t.row(row);
                    continue;
                }
                // Paired ratios of CPU per request, server `a` / server `b`, one per set.
                let paired = |a: usize, b: usize| -> Vec<f64> {
                    done.iter()
                        .map(|(r, _)| r[a].cpu_per_request / r[b].cpu_per_request)
                        .collect()
                };
                let ci = RatioCi::of(&paired(0, c));
                let extra: Vec<f64> = done
                    .iter()
                    .map(|(r, _)| (r[c].cores - r[0].cores) * 100.0)
                    .collect();
                let floor = Config::set(flavor)
                    .iter()
                    .position(|o| o.peer == Peer::Floor && o.interval_ms == config.interval_ms);
                let vs_floor = match floor {
                    Some(k) if config.peer == Peer::Loopmon => {
                        RatioCi::of(&paired(k, c)).map_or_else(|| "—".into(), |ci| ci.show(4))
                    }
                    _ => "—".to_string(),
                };
                row.extend([
                    ci.map_or_else(|| "—".to_string(), |ci| ci.show(4)),
                    ci.map_or_else(|| "—".to_string(), |ci| format!("{:.2}", ci.sd * 100.0)),
                    show(&extra, 2),
                    vs_floor,
                ]);
                t.row(row);
                if config.peer == Peer::Loopmon && config.interval_ms == default_ms() {
                    target(ctx, plan, flavor, ci);
                }
            }
        }
    }
    let shown = |g: fn(&Plan) -> u64| {
        plans
            .iter()
            .map(|p| g(p).to_string())
            .collect::<Vec<_>>()
            .join(" / ")
    };
    ctx.report.section(format!(
        "## 9. Cost under an HTTP load\n\n\
         A hyper 1.x HTTP/1.1 server on 127.0.0.1 (one task per connection, a {}-byte body per \
         request), started by `#[tokio::main]` or by `#[loopmon::main]` (the same function, the \
         attribute swapped: loopmon's defaults, that is a 100 ms interval, the default reporter \
         and the stall watchdog; or 10 ms). A set is the servers of one flavor (the rows \
         below), each a fresh child process, running at the same time and driven together by \
         the load generator in the harness's process: each of its threads has a keep-alive \
         connection to every server and goes round the servers batch by batch, from a different \
         first server per thread, so the servers share the machine's state moment by moment \
         (whatever else runs on it slows them all alike). Each server gets {} warm-up requests, \
         then {} measured requests between its `/start` and `/stop` marks (per load shape). The \
         figure is each server process's CPU time (user + system, `getrusage`, every thread) \
         per request in that window: CPU time, not wall time. {sets} sets per load shape and \
         flavor, alternating (rounds of one set each: at least {min}, then as many as fit in \
         {} s, at most {max}). The ratio is without / with within a set (≥ 1: no measurable \
         cost; 0.995: loopmon costs 0.5 % of the server's CPU per request), the geometric mean \
         over the sets with a 95 % Student-t interval on their logarithms; the sd column is one \
         set's spread (the interval narrows with √sets). The reference rows carry what any \
         monitor that sleeps on tokio's timer pays: a registered timer makes every park of the \
         runtime arm a kernel timeout and consult the timer wheel (a cost per park: largest with \
         one request in flight, where the server parks for almost every request), and each \
         wake-up of a sleeping loop costs a park and an unpark (a cost per second: its share of \
         CPU per request shrinks as the server gets busier). The last reference is a probe \
         kept off tokio's timer: an OS thread sleeping to the same deadlines wakes a task \
         through a `Notify`, so no park arms a timeout and each tick costs a cross-thread \
         wake-up instead. The extra-CPU column gives the \
         whole difference in cores busy, the tick part of which does not depend on the load. \
         The last column compares loopmon with the \
         bare `sleep_until` loop of the same set: loopmon's own work beyond that floor. Load \
         average when it ended: {load}.\n\n{}",
        BODY.len(),
        shown(|p| p.warmup),
        shown(|p| p.requests),
        budget.as_secs(),
        t.render()
    ));
}

/// The target row for loopmon's defaults under one load shape and flavor.
fn target(ctx: &mut Ctx, plan: Plan, flavor: Flavor, ci: Option<RatioCi>) {
    let measured = ci.map_or_else(
        || "not enough sets".to_string(),
        |ci| {
            let verdict = if ci.hi <= 0.995 {
                " (resolved: below the target)"
            } else if ci.lo <= 0.995 {
                " (not resolved: the interval straddles 0.995)"
            } else {
                ""
            };
            format!(
                "{} over {} sets of {} requests per server{verdict}",
                ci.show(4),
                ci.n,
                plan.requests
            )
        },
    );
    ctx.report.target(
        &format!(
            "CPU per request under an HTTP load, without / with loopmon at the default \
             interval: {}, {}",
            plan.label(),
            flavor.label()
        ),
        "95 % CI above 0.995",
        measured,
        ci.map(|ci| ci.lo > 0.995),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The server and the load generator, in one process: every request is served and counted,
    /// the marks bracket the measured window, and the server ends once its clients are gone.
    #[test]
    fn a_set_of_requests_is_served_counted_and_ended() {
        for monitored in [false, true] {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let shared = Arc::new(Shared::default());
            let server = Server {
                listener,
                shared: shared.clone(),
                reference: None,
            };
            let serving = std::thread::spawn(move || {
                if monitored {
                    loopmon_ct(server)
                } else {
                    tokio_ct(server)
                }
            });
            let deadline = Instant::now() + Duration::from_secs(20);
            let mut conns: Vec<Vec<load::Conn>> = (0..2)
                .map(|_| vec![load::Conn::open(addr).unwrap()])
                .collect();
            let mut control = load::Conn::open(addr).unwrap();
            load::drive(&mut conns, 8, 4, deadline).unwrap();
            control.get("/start").unwrap();
            load::drive(&mut conns, 20, 1, deadline).unwrap();
            control.get("/stop").unwrap();
            drop((conns, control));
            serving.join().unwrap();
            let marks = shared.marks.lock().unwrap();
            assert_eq!(marks.len(), 2);
            assert_eq!(marks[0].served, 16);
            assert_eq!(marks[1].served - marks[0].served, 40);
            assert!(marks[1].usage.cpu >= marks[0].usage.cpu);
        }
    }

    #[test]
    fn the_load_generator_stays_on_loopback() {
        let elsewhere: SocketAddr = "192.0.2.1:80".parse().unwrap();
        let err = load::Conn::open(elsewhere).unwrap_err();
        assert!(err.to_string().contains("not on loopback"), "{err}");
    }
}
