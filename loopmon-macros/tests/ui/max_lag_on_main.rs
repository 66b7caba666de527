#[loopmon::main(max_lag = "50ms")]
async fn main() {}
