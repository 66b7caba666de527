#[loopmon::main(interval = "1s" callback = report)]
async fn main() {}

fn report(_: &loopmon::Sample) {}
