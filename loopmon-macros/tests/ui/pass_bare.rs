// No argument at all: the default interval and the default reporter.
#[loopmon::main]
async fn main() {
    bare_test_compiles();
}

#[loopmon::test]
async fn bare_test() {}

fn bare_test_compiles() {}
