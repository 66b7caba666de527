#[loopmon::main(interval("500ms"), multi_thread)]
async fn main() {}
