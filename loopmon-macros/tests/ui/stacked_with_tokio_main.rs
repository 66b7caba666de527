#[loopmon::main]
#[tokio::main]
async fn main() {}
