#[loopmon::main(interval = "500")]
async fn main() {}
