#[loopmon::main(start_paused = true)]
async fn main() {}

#[loopmon::test(flavor = "multi_thread", unhandled_panic = "shutdown_runtime")]
async fn unhandled_panic() {}
