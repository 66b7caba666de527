//! A real Prometheus scrape: runs `examples/prometheus.rs` on 127.0.0.1 with an ephemeral port,
//! blocks its runtime through `/block`, and reads the stall back from `/metrics` over HTTP.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/prometheus.rs"]
mod example;

use std::time::{Duration, Instant};

/// The value of the line `name` (labels included) in a Prometheus text exposition.
fn value(exposition: &str, name: &str) -> Option<f64> {
    exposition.lines().find_map(|line| {
        line.strip_prefix(name)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

#[test]
fn the_scrape_shows_the_stall_of_a_blocking_handler() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let exporter = example::install_exporter();
    std::thread::spawn(move || example::run(listener, exporter));

    let (status, body) = example::get(addr, "/block").unwrap();
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");

    // The sample after the block carries it; allow a few scrapes for it to be taken.
    let labels = r#"{runtime="http"}"#;
    let deadline = Instant::now() + Duration::from_secs(10);
    let metrics = loop {
        let (status, metrics) = example::get(addr, "/metrics").unwrap();
        assert_eq!(status, "HTTP/1.1 200 OK");
        let sum = value(&metrics, &format!("loopmon_lag_seconds_sum{labels}"));
        if sum.is_some_and(|sum| sum >= 0.2) || Instant::now() > deadline {
            break metrics;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let lag = |suffix: &str, le: &str| {
        let name = match le {
            "" => format!("loopmon_lag_seconds{suffix}{labels}"),
            le => format!(r#"loopmon_lag_seconds{suffix}{{runtime="http",le="{le}"}}"#),
        };
        value(&metrics, &name).unwrap_or_else(|| panic!("no `{name}` in:\n{metrics}"))
    };
    // The 300 ms block starts right after a sample at most 10 ms old: it reads 290-300+ ms.
    let (count, sum) = (lag("_count", ""), lag("_sum", ""));
    assert!(
        sum >= 0.2,
        "lag sum {sum} s: the stall is missing\n{metrics}"
    );
    assert!(count >= 1.0);
    // Exactly one sample (the stall) above 250 ms, and it is below 2.5 s.
    let above = lag("_bucket", "+Inf") - lag("_bucket", "0.25");
    assert_eq!(above, 1.0, "{metrics}");
    assert_eq!(lag("_bucket", "2.5"), lag("_bucket", "+Inf"));
    // The stall is over the default report threshold (100 ms).
    let over = value(
        &metrics,
        &format!("loopmon_lag_over_threshold_total{labels}"),
    );
    assert!(over >= Some(1.0), "{metrics}");
    assert!(value(&metrics, &format!("loopmon_tasks{labels}")).is_some());
}
