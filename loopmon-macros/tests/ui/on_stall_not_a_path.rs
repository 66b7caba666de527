#[loopmon::main(on_stall = "report")]
async fn main() {}
