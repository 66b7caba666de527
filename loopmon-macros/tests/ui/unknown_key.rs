#[loopmon::main(intervall = "500ms")]
async fn main() {}
