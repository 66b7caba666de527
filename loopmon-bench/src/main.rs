//! loopmon's benchmark harness (scratch version).
use loopmon::{Sample, SleepMonitor};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flavor = args.get(1).map(String::as_str).unwrap_or("ct");
    let ms: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10);
    let rt = if flavor == "ct" {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    };
    let lags = Arc::new(Mutex::new(Vec::new()));
    let l = lags.clone();
    rt.block_on(async move {
        let h = SleepMonitor::builder()
            .interval(Duration::from_millis(ms))
            .callback(move |s: &Sample| l.lock().unwrap().push(s.lag))
            .build()
            .unwrap()
            .start();
        tokio::time::sleep(Duration::from_secs(3)).await;
        h.stop();
    });
    let mut v = lags.lock().unwrap().clone();
    v.sort();
    let p = |q: f64| v[((v.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e3;
    println!(
        "{flavor} {ms}ms n={} p50={:.4} p99={:.4} max={:.4} zeros={}",
        v.len(),
        p(0.5),
        p(0.99),
        p(1.0),
        v.iter().filter(|d| d.is_zero()).count()
    );
}
