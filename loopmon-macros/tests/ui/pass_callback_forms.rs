// Every callback form the core accepts, by path, repeatable.
use chrono::{DateTime, Utc};
use loopmon::Sample;
use std::time::Duration;

async fn original(_lag: Duration, _tasks: usize, _at: DateTime<Utc>) {}
async fn by_value(_sample: Sample) {}
fn by_ref(_sample: &Sample) {}

/// A closure, reached by path through a constant.
const CLOSURE: fn(&Sample) = |s| assert!(s.lag < Duration::from_secs(5));

mod nested {
    pub fn report(_sample: &loopmon::Sample) {}
}

#[loopmon::main(
    interval = "10ms",
    callback = original,
    callback = by_value,
    callback = by_ref,
    callback = nested::report,
    callback = CLOSURE,
)]
async fn main() {
    tokio::time::sleep(Duration::from_millis(30)).await;
}
