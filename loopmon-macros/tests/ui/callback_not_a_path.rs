fn print(_: &loopmon::Sample) {}

#[loopmon::main(callback = "print")]
async fn main() {}
