//! `#[loopmon::main]`: the Python original's README example, ported as is, reports its
//! blocking call under both flavors, including on `multi_thread` where `main`'s body runs on the
//! main thread through `block_on`.

use chrono::{DateTime, Utc};
use loopmon::{LagSource, Sample};
use std::sync::Mutex;
use std::time::Duration;

static MULTI: Mutex<Vec<Sample>> = Mutex::new(Vec::new());
static CURRENT: Mutex<Vec<Sample>> = Mutex::new(Vec::new());

async fn print_collected_data(lag: Duration, tasks: usize, at: DateTime<Utc>) {
    println!(
        "event loop lag: {:.3}, running tasks: {tasks}, at {at}",
        lag.as_secs_f64()
    );
}

fn record_multi(sample: &Sample) {
    MULTI.lock().unwrap().push(*sample);
}

fn record_current(sample: &Sample) {
    CURRENT.lock().unwrap().push(*sample);
}

// The README's program; `main` is not the name here only because a test binary has its own.
#[loopmon::main(interval = "500ms", callback = print_collected_data, callback = record_multi)]
async fn readme_multi_thread() {
    tokio::time::sleep(Duration::from_millis(200)).await;
    std::thread::sleep(Duration::from_secs(1));
    tokio::time::sleep(Duration::from_millis(1500)).await;
}

#[loopmon::main(
    interval = "500ms",
    callback = print_collected_data,
    callback = record_current,
    flavor = "current_thread"
)]
async fn readme_current_thread() {
    tokio::time::sleep(Duration::from_millis(200)).await;
    std::thread::sleep(Duration::from_secs(1));
    tokio::time::sleep(Duration::from_millis(1500)).await;
}

/// The worst sample; the block starts 0.2 s in and the deadline at 0.5 s falls 0.3 s into it,
/// so it reads ~0.7 s. Generous margins: at least 0.4 s, at most the block plus one interval.
fn worst(samples: &[Sample]) -> Sample {
    let worst = *samples.iter().max_by_key(|s| s.lag).expect("no sample");
    assert!(
        worst.lag >= Duration::from_millis(400) && worst.lag <= Duration::from_millis(1600),
        "{samples:#?}"
    );
    // One sample per interval, not one per probe: ~3.4 s of run time at 500 ms.
    assert!((3..=9).contains(&samples.len()), "{samples:#?}");
    worst
}

#[test]
fn the_block_in_mains_body_is_seen_on_multi_thread() {
    readme_multi_thread();
    let worst = worst(&MULTI.lock().unwrap());
    assert_eq!(worst.source, LagSource::BlockOn);
}

#[test]
fn the_block_is_seen_on_current_thread() {
    readme_current_thread();
    let worst = worst(&CURRENT.lock().unwrap());
    assert_eq!(worst.source, LagSource::Runtime);
}
