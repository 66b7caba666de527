#[loopmon::main(interval = "500us")]
async fn main() {}

#[loopmon::main(interval = "2d")]
async fn daily() {}
