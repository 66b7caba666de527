#[loopmon::test(intervall = "1s", interval = "500", callback = "print", max_lag = 50, flavor)]
async fn all_together() {}

fn main() {}
