#[loopmon::main(interval = "soon")]
async fn main() {}
