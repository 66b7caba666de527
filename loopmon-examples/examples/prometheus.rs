//! An HTTP service watched by loopmon, its lag scraped by Prometheus.
//!
//! `/block` blocks the runtime for 300 ms on purpose (a blocking call inside a handler, the
//! bug loopmon exists to catch); `/metrics` renders the Prometheus exporter, where
//! `loopmon_lag_seconds` shows the stall.
//!
//! ```text
//! cargo run -p loopmon-examples --example prometheus           # demo: block, scrape, print, exit
//! cargo run -p loopmon-examples --example prometheus -- serve  # serve on 127.0.0.1:3000
//! ```
//!
//! The setup is four lines: install the exporter, then build the monitor with `.metrics(true)`
//! (see `run`). `tests/prometheus_scrape.rs` runs this service and scrapes it over HTTP.

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::convert::Infallible;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// How long `/block` blocks the runtime.
pub const BLOCK: Duration = Duration::from_millis(300);

/// Installs the Prometheus exporter as the process's `metrics` recorder, with histogram
/// buckets for loopmon's metrics (without buckets, histograms render as summaries).
pub fn install_exporter() -> PrometheusHandle {
    let buckets = [0.001, 0.005, 0.025, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Prefix("loopmon_".into()), &buckets)
        .expect("the bucket list is not empty")
        .install_recorder()
        .expect("no other metrics recorder is installed")
}

/// Serves HTTP on `listener` on a `current_thread` runtime, watched by loopmon, until the
/// process ends. Call it on a thread of its own.
pub fn run(listener: std::net::TcpListener, exporter: PrometheusHandle) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        // With the exporter installed, one builder call sends every sample to it.
        let _monitor = loopmon::SleepMonitor::builder()
            .interval(Duration::from_millis(10))
            .name("http")
            .metrics(true)
            .build()
            .expect("a valid interval")
            .start()
            .guard();
        // The exporter wants its histograms trimmed now and then.
        let upkeep = exporter.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                upkeep.run_upkeep();
            }
        });
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let exporter = exporter.clone();
            let service = service_fn(move |request| route(request, exporter.clone()));
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}

async fn route(
    request: Request<Incoming>,
    exporter: PrometheusHandle,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, body) = match request.uri().path() {
        "/metrics" => (StatusCode::OK, exporter.render()),
        "/block" => {
            std::thread::sleep(BLOCK); // the bug: a blocking call on the runtime
            (
                StatusCode::OK,
                format!("blocked the runtime for {BLOCK:?}\n"),
            )
        }
        _ => (StatusCode::NOT_FOUND, "try /block or /metrics\n".into()),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    Ok(response)
}

/// A plain HTTP/1.1 `GET`: returns the status line and the body.
pub fn get(addr: SocketAddr, path: &str) -> std::io::Result<(String, String)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head.lines().next().unwrap_or_default().to_owned();
    Ok((status, body.to_owned()))
}

#[allow(dead_code)] // also compiled into tests/prometheus_scrape.rs, which has its own `main`
fn main() -> std::io::Result<()> {
    let serve = std::env::args().nth(1).as_deref() == Some("serve");
    let listener = std::net::TcpListener::bind(if serve {
        "127.0.0.1:3000"
    } else {
        "127.0.0.1:0"
    })?;
    let addr = listener.local_addr()?;
    let exporter = install_exporter();
    let server = std::thread::spawn(move || run(listener, exporter));
    if serve {
        println!("serving on http://{addr}: try /block, then /metrics");
        server.join().expect("the server does not panic");
        return Ok(());
    }
    println!("GET /block -> {}", get(addr, "/block")?.0);
    std::thread::sleep(Duration::from_millis(50)); // the next sample carries the stall
    let (status, metrics) = get(addr, "/metrics")?;
    println!("GET /metrics -> {status}");
    for line in metrics.lines().filter(|l| l.starts_with("loopmon_")) {
        println!("  {line}");
    }
    Ok(())
}
