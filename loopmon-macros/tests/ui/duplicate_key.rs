#[loopmon::main(interval = "500ms", interval = "1s")]
async fn main() {}
