//! Trimming a symbolized stack to what the user needs.
//!
//! The rule, on frames innermost first (inlined calls expanded):
//! - a frame is the user's when its file is neither in the Rust toolchain's sources
//!   (`/rustc/…`, `…/rustlib/src/…`) nor in a dependency (`…/.cargo/registry/…`,
//!   `…/.cargo/git/…`); without line tables, when its name does not start with `std::`,
//!   `core::`, `alloc::` or `tokio::` (nor with `<` followed by one of them). A frame with no
//!   `::` in its name, or no name, is foreign (libc) and never the user's;
//! - shown: the frame just inside the innermost user frame (the library function the user
//!   called, such as `std::thread::sleep`: libc and std's internals below it are dropped), then
//!   the user's frames outwards, up to four, skipping the library frames between them, and
//!   stopping at the first `tokio::runtime::…` or `tokio::task::…` frame (the scheduler; told
//!   by its files under `tokio-*/src/runtime/` when names are short), or at loopmon's own code
//!   that drives the user's (`loopmon_core::entry`, `::block_on`, `::callback`);
//! - with no user frame: nothing if some frame has no name (a stripped binary: the snapshot says
//!   so), else the first four library frames (std's, a dependency's) below the scheduler, or,
//!   with none of those, the first four named frames (a thread of C code).
//!
//! Paths: below the working directory they are shown relative to it (`src/db.rs`); other paths
//! from the crate's folder, the one above the last `src` (`std/src/thread/functions.rs`,
//! `tokio-1.47.1/src/runtime/park.rs`); paths without a `src` folder are kept whole.

use super::Frame;
use std::path::Path;

/// User frames shown at most.
const USER_FRAMES: usize = 4;

/// loopmon's own code that drives the user's (the entry points, the `block_on` probe, the
/// callback deliveries): below the user's frames, like the scheduler.
const LOOPMON_DRIVERS: [&str; 3] = [
    "loopmon_core::entry::",
    "loopmon_core::block_on::",
    "loopmon_core::callback::",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    User,
    Library,
    Scheduler,
    Foreign,
}

fn origin(frame: &Frame) -> Origin {
    let Some(name) = frame.function.as_deref() else {
        return Origin::Foreign;
    };
    let bare = name
        .trim_start_matches(['<', '&'])
        .trim_start_matches("mut ");
    if bare.starts_with("tokio::runtime::")
        || bare.starts_with("tokio::task::")
        || LOOPMON_DRIVERS.iter().any(|p| bare.starts_with(p))
    {
        return Origin::Scheduler;
    }
    // Without linkage names (`debug = "line-tables-only"`) inlined frames have short names:
    // tokio's scheduler is told by its files.
    if frame
        .file
        .as_deref()
        .is_some_and(|f| f.contains("/tokio-") && f.contains("/src/runtime/"))
    {
        return Origin::Scheduler;
    }
    if let Some(file) = &frame.file {
        let library = [
            "/rustc/",
            "/rustlib/src/",
            "/.cargo/registry/",
            "/.cargo/git/",
        ]
        .iter()
        .any(|p| file.contains(p) || file.starts_with(&p[1..]));
        return if library {
            Origin::Library
        } else {
            Origin::User
        };
    }
    if !name.contains("::") {
        Origin::Foreign
    } else if ["std::", "core::", "alloc::", "tokio::"]
        .iter()
        .any(|p| bare.starts_with(p))
    {
        Origin::Library
    } else {
        Origin::User
    }
}

/// Whether `frame` is where [`trim`] stops looking: the scheduler (or loopmon's own driver).
pub(super) fn is_scheduler(frame: &Frame) -> bool {
    origin(frame) == Origin::Scheduler
}

/// The frames worth showing, with shortened paths (see the module's docs).
pub(super) fn trim(frames: Vec<Frame>, cwd: Option<&Path>) -> Vec<Frame> {
    let origins: Vec<Origin> = frames.iter().map(origin).collect();

    let end = origins
        .iter()
        .position(|&o| o == Origin::Scheduler)
        .unwrap_or(frames.len());
    let keep: Vec<usize> = match origins[..end].iter().position(|&o| o == Origin::User) {
        Some(user) => {
            let api = user
                .checked_sub(1)
                .filter(|&i| frames[i].function.is_some());
            let users = (user..end).filter(|&i| origins[i] == Origin::User);
            api.into_iter().chain(users.take(USER_FRAMES)).collect()
        }
        // Unnamed code and no user frame: the user's binary is stripped; nothing to show.
        None if frames[..end].iter().any(|f| f.function.is_none()) => Vec::new(),
        None => {
            let library = (0..end).filter(|&i| origins[i] == Origin::Library);
            let named = (0..end).filter(|&i| frames[i].function.is_some());
            let shown: Vec<usize> = library.take(USER_FRAMES).collect();
            if shown.is_empty() {
                named.take(USER_FRAMES).collect()
            } else {
                shown
            }
        }
    };
    let mut frames: Vec<Option<Frame>> = frames.into_iter().map(Some).collect();
    keep.into_iter()
        .filter_map(|i| frames[i].take())
        .map(|mut f| {
            f.file = f.file.map(|p| short_path(&p, cwd));
            f
        })
        .collect()
}

/// `path` relative to `cwd` when below it, else from its crate's folder.
pub(super) fn short_path(path: &str, cwd: Option<&Path>) -> String {
    if let Some(rel) = cwd.and_then(|c| Path::new(path).strip_prefix(c).ok()) {
        return rel.to_string_lossy().into_owned();
    }
    match path.rfind("/src/") {
        Some(src) => {
            let crate_dir = path[..src].rfind('/').map_or(0, |i| i + 1);
            path[crate_dir..].to_owned()
        }
        None => path.to_owned(),
    }
}
