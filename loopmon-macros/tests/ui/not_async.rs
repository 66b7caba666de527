#[loopmon::main]
fn main() {}
