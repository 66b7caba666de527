// `start_paused = true` (needs tokio's `test-util`, as with `#[tokio::main]`): a 600 s virtual
// sleep takes milliseconds of real time.
use std::time::{Duration, Instant};

#[loopmon::main(flavor = "current_thread", start_paused = true, interval = "10ms")]
async fn main() {
    let real = Instant::now();
    tokio::time::sleep(Duration::from_secs(600)).await;
    assert!(real.elapsed() < Duration::from_secs(5));
}

#[loopmon::test(start_paused = true, max_lag = "50ms")]
async fn paused_test() {}
