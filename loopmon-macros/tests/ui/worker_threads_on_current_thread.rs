#[loopmon::test(worker_threads = 2)]
async fn default_flavor() {}

#[loopmon::main(flavor = "current_thread", worker_threads = 2)]
async fn main() {}
