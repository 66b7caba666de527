#[loopmon::main(flavor = "single_thread", worker_threads = 0, start_paused = "yes", name = 1)]
async fn main() {}
