//! Which thread a lag sample blames (`Sample::source`), as a user of `#[loopmon::main]` sees it:
//! the body (`LagSource::BlockOn`) only when the body itself held its thread.

use loopmon::{LagSource, Sample};
use std::sync::Mutex;
use std::time::Duration;

static SAMPLES: Mutex<Vec<Sample>> = Mutex::new(Vec::new());

fn record(s: &Sample) {
    SAMPLES.lock().unwrap().push(*s);
}

/// One worker of two blocked by a spawned task while the body idles on a channel: the body's
/// probe timer, which the workers drive, may fire late, but the body did nothing wrong.
#[loopmon::test(flavor = "multi_thread", worker_threads = 2, interval = "100ms", callback = record)]
async fn a_blocked_worker_is_not_blamed_on_an_idle_body() {
    for _ in 0..4 {
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            std::thread::sleep(Duration::from_millis(500));
            let _ = tx.send(());
        });
        rx.await.unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let samples = SAMPLES.lock().unwrap();
    let blamed: Vec<_> = samples
        .iter()
        .filter(|s| s.source == LagSource::BlockOn && s.lag > Duration::from_millis(20))
        .collect();
    assert!(blamed.is_empty(), "the idle body was blamed: {blamed:?}");
}
