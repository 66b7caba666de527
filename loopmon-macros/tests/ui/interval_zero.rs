#[loopmon::main(interval = "0ms")]
async fn main() {}
