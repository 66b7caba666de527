//! Lag statistics and the summary, through the handle.

use loopmon::{LagStats, MonitorHandle, SleepMonitor};
use std::time::Duration;

const INTERVAL: Duration = Duration::from_millis(10);
const BLOCK: Duration = Duration::from_millis(250);

/// Monitors a `current_thread` runtime that idles, blocks for [`BLOCK`], then idles again.
fn run_with_one_block(name: Option<&str>) -> (MonitorHandle, LagStats) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut builder = SleepMonitor::builder().interval(INTERVAL);
        if let Some(name) = name {
            builder = builder.name(name);
        }
        let monitor = builder.build().unwrap().start();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let before = monitor.take_stats();
        std::thread::sleep(BLOCK);
        tokio::time::sleep(Duration::from_millis(100)).await;
        monitor.stop();
        (monitor, before)
    })
}

#[test]
fn a_stall_shows_in_max_and_over_threshold_but_not_in_the_median() {
    let started = chrono::Utc::now();
    let (monitor, before) = run_with_one_block(None);
    let after = monitor.take_stats();
    let all = monitor.stats();
    // Every sample is in exactly one window, and in the total.
    assert_eq!(before.count() + after.count(), monitor.ticks());
    assert_eq!(all.count(), monitor.ticks());
    assert!(before.count() >= 3, "{before:?}");
    assert_eq!(before.over_threshold(), 0, "{before:?}");
    // The block began right after a sample: it reads between BLOCK - INTERVAL and BLOCK + noise.
    let max = all.max();
    assert!(max >= BLOCK - INTERVAL * 2 && max < BLOCK * 2, "{all:?}");
    assert_eq!(after.max(), max);
    assert!(all.max_at().unwrap() >= started);
    assert_eq!(all.over_threshold(), 1, "{all:?}");
    assert!(all.percentile(50.0) < Duration::from_millis(5), "{all:?}");
    assert!(all.mean() > all.percentile(50.0));
    assert_eq!(all.threshold(), loopmon::DEFAULT_REPORT_THRESHOLD);
}

#[test]
fn the_summary_reads_at_a_glance() {
    let (monitor, _) = run_with_one_block(Some("api"));
    let summary = monitor.summary();
    assert_eq!(summary.name(), Some("api"));
    assert_eq!(summary.ticks(), monitor.ticks());
    assert_eq!((summary.skipped(), summary.panics()), (0, 0));
    let text = summary.to_string();
    let lines: Vec<&str> = text.lines().collect();
    let ticks = monitor.ticks();
    assert_eq!(
        lines[0],
        format!("loopmon summary for `api`: {ticks} ticks at 10ms")
    );
    assert!(lines[1].starts_with("  lag: p50 0."), "{text}");
    assert!(lines[1].contains(" UTC"), "{text}");
    assert_eq!(
        lines[2],
        "  over 100ms: 1; stalls: 0; skipped deliveries: 0; contained panics: 0"
    );
    // The histogram: every sample under 1 ms but the block, in 100 ms - 1 s.
    let row = |label: &str| -> u64 {
        let line = lines
            .iter()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap();
        let count = line[line.find(label).unwrap() + label.len()..]
            .split_whitespace()
            .next();
        count.unwrap().parse().unwrap()
    };
    assert_eq!(row("100 ms - 1 s"), 1, "{text}");
    assert_eq!(row(">= 1 s"), 0, "{text}");
    let rows = [
        "< 1 ms",
        "1 - 10 ms",
        "10 - 100 ms",
        "100 ms - 1 s",
        ">= 1 s",
    ];
    assert_eq!(rows.iter().map(|r| row(r)).sum::<u64>(), ticks, "{text}");
    assert!(row("< 1 ms") + row("1 - 10 ms") >= ticks / 2, "{text}");
    assert_eq!(lines.len(), 3 + rows.len());
}

#[test]
fn a_fresh_monitor_has_empty_statistics() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let monitor = SleepMonitor::builder()
        .report_threshold(Duration::from_millis(7))
        .build()
        .unwrap()
        .install(rt.handle());
    let stats = monitor.stats();
    assert_eq!(
        (stats.count(), stats.max(), stats.max_at()),
        (0, Duration::ZERO, None)
    );
    assert_eq!(stats.threshold(), Duration::from_millis(7));
    let text = monitor.summary().to_string();
    assert!(
        text.starts_with("loopmon summary: 0 ticks at 100ms\n  lag: no sample yet\n"),
        "{text}"
    );
    assert!(text.contains("  over 7ms: 0;"), "{text}");
}
