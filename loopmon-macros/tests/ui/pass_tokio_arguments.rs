// tokio's arguments pass through unchanged; the app needs no direct tokio dependency
// (`::loopmon::__private::tokio` is only used here to look at the runtime).
use loopmon::__private::tokio::runtime::{Handle, RuntimeFlavor};

#[loopmon::main(flavor = "current_thread", name = "rt")]
async fn main() {
    assert_eq!(Handle::current().runtime_flavor(), RuntimeFlavor::CurrentThread);
    // A runtime cannot start inside another: run the second program on its own thread.
    std::thread::spawn(threaded).join().unwrap();
}

#[loopmon::main(flavor = "multi_thread", worker_threads = 2, interval = "1m 30s")]
async fn threaded() {
    assert_eq!(Handle::current().runtime_flavor(), RuntimeFlavor::MultiThread);
    assert_eq!(Handle::current().metrics().num_workers(), 2);
}

#[loopmon::test(flavor = "multi_thread", worker_threads = 2, max_lag = "50ms")]
async fn threaded_test() {}
