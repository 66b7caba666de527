// `crate = "..."`: loopmon reached through another path, as for a renamed dependency.
mod lm {
    pub use ::loopmon::*;
    #[doc(hidden)]
    pub use ::loopmon::__private;
}

fn quiet(_: &lm::Sample) {}

#[lm::main(crate = "crate::lm", interval = "10ms", callback = quiet)]
async fn main() {
    lm::__private::tokio::time::sleep(std::time::Duration::from_millis(30)).await;
}

#[lm::test(crate = "crate::lm", max_lag = "1s")]
async fn renamed_test() {}
