// (`#[test]` written above `#[loopmon::test]` expands first, and rustc's own "async functions
// cannot be used for tests" applies.)
#[loopmon::test]
#[test]
async fn loopmon_first() {}

fn main() {}
