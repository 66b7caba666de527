// User code that shadows the names generated code could lean on keeps working.
#![allow(dead_code, non_camel_case_types)]

mod tokio {}
mod std {}
mod core {}
struct Duration;
struct Box;
struct Option;
struct Result;
struct Future;
struct Entry;
type __private = ();

fn quiet(_: &::loopmon::Sample) {}

#[loopmon::main(interval = "10ms", callback = quiet)]
async fn main() {
    let _shadowed = (Duration, Box, Option, Result, Future, Entry);
    let __loopmon_running = 1; // a user's variable with loopmon's prefix does not clash
    ::loopmon::__private::tokio::time::sleep(::core::time::Duration::from_millis(30)).await;
    assert_eq!(__loopmon_running, 1);
}
