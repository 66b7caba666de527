#[loopmon::main(interval = "500ms")]
async fn main() {
    let x: u32 = "not a number";
    drop(x);
}
