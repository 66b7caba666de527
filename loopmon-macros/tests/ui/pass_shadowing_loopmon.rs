// A local `loopmon` module does not capture the generated paths, which are absolute.
#![allow(dead_code)]

mod loopmon {
    pub struct Entry;
}

#[::loopmon::main(interval = "10ms")]
async fn main() {
    let _local = loopmon::Entry;
}
