//! The macros at compile time: every misuse is a compile error at the offending token
//! (`tests/ui/*.rs` with their committed `.stderr`), every supported use compiles and runs
//! (`tests/ui/pass_*.rs`).
//!
//! The cases live here, in the macro crate, so that trybuild is no dev-dependency of the facade
//! (and `cargo run --example basic` does not build it). After a deliberate change of a message:
//! `TRYBUILD=overwrite cargo test -p loopmon-macros --test ui`, then read the new `.stderr`
//! files.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    let mut paths: Vec<_> = std::fs::read_dir("tests/ui")
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 20, "{paths:?}");
    for path in paths {
        let name = path.file_name().unwrap().to_str().unwrap();
        if name.starts_with("pass_") {
            cases.pass(&path);
        } else {
            cases.compile_fail(&path);
        }
    }
}
