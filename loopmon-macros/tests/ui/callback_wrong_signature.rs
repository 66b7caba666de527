fn print(_: u32) {}

#[loopmon::main(callback = print)]
async fn main() {}
