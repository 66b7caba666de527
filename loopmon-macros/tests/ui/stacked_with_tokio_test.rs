#[loopmon::test]
#[tokio::test]
async fn loopmon_first() {}

#[tokio::test]
#[loopmon::test]
async fn tokio_first() {}

fn main() {}
