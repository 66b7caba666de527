//! `metrics = true` through the attribute, with the exporter installed where a user of the
//! macro installs it: at the top of the body, after the monitor started. A real scrape over
//! loopback then shows the stall of a blocking call.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/prometheus.rs"]
mod example;

use std::io::{Read, Write};
use std::time::Duration;

/// Serves `GET /metrics` from `exporter` on a plain thread (one request per connection).
fn serve(exporter: metrics_exporter_prometheus::PrometheusHandle) -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(10) {
            let Ok(mut stream) = stream else { continue };
            // Read the whole request head before answering.
            let mut request = Vec::new();
            let mut chunk = [0u8; 512];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&chunk[..n]),
                }
            }
            let body = exporter.render();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    addr
}

/// The value of the line `name` in a Prometheus text exposition.
fn value(exposition: &str, name: &str) -> Option<f64> {
    exposition
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// Scrapes `/metrics` at `addr` from a blocking thread; the exposition, once answered 200.
async fn scrape(addr: std::net::SocketAddr) -> String {
    let (status, metrics) = tokio::task::spawn_blocking(move || example::get(addr, "/metrics"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status, "HTTP/1.1 200 OK");
    metrics
}

#[loopmon::test(
    metrics = true,
    interval = "10ms",
    stall_threshold = "100ms",
    flavor = "multi_thread"
)]
async fn an_exporter_installed_in_the_body_gets_every_metric() {
    let exporter = example::install_exporter(); // the monitor is already running
    let addr = serve(exporter);
    tokio::time::sleep(Duration::from_millis(30)).await;
    // Before any stall, the stall series are there at 0: the first stall is an increase.
    let before = scrape(addr).await;
    assert_eq!(
        value(&before, "loopmon_stalls_total"),
        Some(0.0),
        "{before}"
    );
    assert_eq!(
        value(&before, "loopmon_stall_seconds_count"),
        Some(0.0),
        "{before}"
    );
    std::thread::sleep(Duration::from_millis(300)); // a blocking call in the body
    tokio::time::sleep(Duration::from_millis(100)).await;
    let metrics = scrape(addr).await;
    let count = value(&metrics, "loopmon_lag_seconds_count");
    let sum = value(&metrics, "loopmon_lag_seconds_sum");
    assert!(count >= Some(3.0), "{metrics}");
    assert!(sum >= Some(0.2), "the 300 ms block is missing:\n{metrics}");
    assert!(value(&metrics, "loopmon_tasks").is_some(), "{metrics}");
    assert!(
        value(&metrics, "loopmon_lag_over_threshold_total") >= Some(1.0),
        "{metrics}"
    );
    // The watchdog saw the block begin, and end with its length.
    assert_eq!(
        value(&metrics, "loopmon_stalls_total"),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(
        value(&metrics, "loopmon_stall_seconds_count"),
        Some(1.0),
        "{metrics}"
    );
    let stall = value(&metrics, "loopmon_stall_seconds_sum").unwrap_or(0.0);
    assert!((0.25..0.4).contains(&stall), "{metrics}");
}
