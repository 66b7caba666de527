#[loopmon::test(max_lag = "500", stall_threshold = "soon")]
async fn guarded() {}

fn main() {}
