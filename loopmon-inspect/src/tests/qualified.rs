//! Trimming and the report's words with names as the DWARF reader and the symbol table now give
//! them: functions with their paths, inlined calls with a plain name when the debug info has no
//! scopes (`debug = "line-tables-only"`), plain names qualified with their scopes otherwise.

use super::super::trim;
use super::parts::frame;
use super::*;

#[test]
fn qualified_names_are_trimmed_by_their_files_then_their_paths() {
    let std_src = Some("/rustc/abc/library/std/src/thread/functions.rs");
    let tokio =
        Some("/r/.cargo/registry/src/index.crates.io-1/tokio-1.54.1/src/runtime/task/core.rs");
    let get = Some("/work/mini-redis/src/cmd/get.rs");
    // A line-tables-only build: the functions (with code of their own) are named with their
    // symbol's path; the calls inlined into them keep their plain names.
    let frames = vec![
        frame("clock_nanosleep", None, 0),
        frame("std::thread::functions::sleep", std_src, 289),
        frame("mini_redis::cmd::get::load_slowly", get, 98),
        frame("{async_block#0}", get, 66),
        frame("mini_redis::cmd::get::Get::apply::{{closure}}", get, 63),
        frame("poll<mini_redis::server::Handler>", tokio, 369),
        frame(
            "tokio::runtime::task::harness::Harness<T,S>::poll",
            tokio,
            120,
        ),
        frame("mini_redis::main", Some("/work/mini-redis/src/main.rs"), 3),
    ];
    let snap = ThreadSnapshot {
        tid: 1,
        activity: ThreadActivity::Sleeping,
        frames: trim::trim(frames, Some(Path::new("/work/mini-redis"))),
        stack_missing: None,
    };
    assert_eq!(
        snap.to_string(),
        "sleeping in std::thread::functions::sleep (std/src/thread/functions.rs:289) \
         ← mini_redis::cmd::get::load_slowly (src/cmd/get.rs:98) \
         ← {async_block#0} (src/cmd/get.rs:66) \
         ← mini_redis::cmd::get::Get::apply::{{closure}} (src/cmd/get.rs:63)"
    );
    // Without line rows, qualified plain names decide as linkage names do: tokio's scheduler
    // (in an `{impl#0}` namespace) ends the walk, std's code is the library's, the rest the
    // user's.
    let frames = vec![
        frame("std::thread::{impl#0}::sleep", None, 0),
        frame("app::ffi::exported", None, 0),
        frame("tokio::runtime::scheduler::{impl#0}::run_task", None, 0),
        frame("app::main", None, 0),
    ];
    let names: Vec<_> = (trim::trim(frames, None).into_iter())
        .filter_map(|f| f.function)
        .collect();
    assert_eq!(
        names,
        ["std::thread::{impl#0}::sleep", "app::ffi::exported"]
    );
}
