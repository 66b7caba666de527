// `-> Result`, `?`, early `return`, and other attributes on the function.
use std::error::Error;

#[loopmon::main(interval = "10ms")]
#[allow(clippy::needless_return)]
/// Docs stay on the function.
async fn main() -> Result<(), Box<dyn Error>> {
    #![allow(unused_variables)]
    let unused = 1;
    let n: u32 = "7".parse()?;
    if n == 7 {
        return Ok(());
    }
    Err("unreachable".into())
}
