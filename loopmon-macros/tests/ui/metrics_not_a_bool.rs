#[loopmon::main(metrics = "yes")]
async fn main() {}
