//! Naming code addresses: function, file and line from the line tables (with inlined calls
//! expanded, innermost first, as debuggers show them), else the function from the symbol table,
//! which also gives its path to a function the line tables name without one.

use super::modules::Modules;
use super::proc::Mapping;
use super::Frame;

/// The frames at `addresses` (the program counter, then return addresses), inlined calls
/// expanded, up to the first one for which `enough` says no more are needed (the scheduler's:
/// naming the frames below it would parse the line tables of code nobody is shown). File paths
/// are as in the line tables (usually absolute).
pub(super) fn symbolize(
    addresses: &[u64],
    maps: &[Mapping],
    modules: &mut Modules,
    enough: impl Fn(&Frame) -> bool,
) -> Vec<Frame> {
    let mut frames = Vec::with_capacity(addresses.len() * 2);
    for (i, &address) in addresses.iter().enumerate() {
        if frames.iter().any(&enough) {
            break;
        }
        // A return address points after the call: name the call itself.
        let probe = if i == 0 {
            address
        } else {
            address.wrapping_sub(1)
        };
        let Some((module, svma)) = modules.find(maps, probe) else {
            frames.push(Frame::new(address));
            continue;
        };
        let before = frames.len();
        if let Some(dwarf) = &module.dwarf {
            for f in dwarf.find_frames(svma) {
                frames.push(Frame {
                    function: f.name.as_deref().map(demangle),
                    file: f.file,
                    line: f.line,
                    address,
                });
            }
        }
        if frames.len() == before {
            frames.push(Frame::new(address));
        }
        // The outermost of the inlined frames is the real function: the symbol table names
        // it when the line tables do not, and gives the path of a plain name.
        if let Some(last) = frames[before..].last_mut() {
            let symbol = || module.symbol(svma).map(demangle);
            match &last.function {
                None => last.function = symbol(),
                Some(name) => {
                    if let Some(path) = symbol().filter(|s| is_path_of(s, name)) {
                        last.function = Some(path);
                    }
                }
            }
        }
    }
    frames
}

/// Whether the binary at `address` has symbols or line tables.
pub(super) fn has_names(address: u64, maps: &[Mapping], modules: &mut Modules) -> bool {
    modules
        .find(maps, address)
        .is_some_and(|(m, _)| m.has_names())
}

/// A Rust name demangled without its hash, a chain of closures (an `async` block in an
/// `async fn`, …) read as one; other names as they are.
fn demangle(name: &str) -> String {
    let mut name = format!("{:#}", rustc_demangle::demangle(name));
    while let Some(at) = name.find("::{{closure}}::{{closure}}") {
        name.replace_range(at..at + "::{{closure}}".len(), "");
    }
    name
}

/// Whether the demangled `symbol` is the full path of the function the line tables name
/// `name` without one: `app::cmd::ping::checksum_slowly` for `checksum_slowly`. In a
/// `debug = "line-tables-only"` build that plain name is all the debug info has (LLVM writes
/// no namespaces there), so the symbol table's name is the better one, as in a full build. The
/// last part must match (generic arguments aside; a closure or `async` body, `{closure#0}`,
/// `{async_fn#0}`..., matches a closure's symbol, `{{closure}}`), so that code shared by
/// other functions or a stale symbol keeps the line tables' name.
pub(super) fn is_path_of(symbol: &str, name: &str) -> bool {
    if name.starts_with('<') || top_level_split(name).is_some() {
        return false; // a path already
    }
    let base = name.split('<').next().unwrap_or(name);
    let Some((_, last)) = top_level_split(symbol) else {
        return false; // no path: a C function, or the same plain name
    };
    !base.is_empty() && (last == base || (base.starts_with('{') && last.starts_with('{')))
}

/// `name` split at its last `::` outside generic arguments (`<A as B>::f` at the one before
/// `f`), if there is one.
fn top_level_split(name: &str) -> Option<(&str, &str)> {
    let (mut depth, mut split, mut previous) = (0usize, None, ' ');
    for (i, c) in name.char_indices() {
        match c {
            '<' => depth += 1,
            '>' if previous != '-' => depth = depth.saturating_sub(1), // not `fn() -> T`
            ':' if depth == 0 && previous == ':' => split = Some(i - 1),
            _ => {}
        }
        previous = c;
    }
    split.map(|i| (&name[..i], &name[i + 2..]))
}

#[cfg(test)]
mod tests {
    #[test]
    fn closures_in_closures_read_as_one() {
        assert_eq!(
            super::demangle("app::handle::{{closure}}::{{closure}}::{{closure}}"),
            "app::handle::{{closure}}"
        );
        assert_eq!(super::demangle("app::handle"), "app::handle");
    }

    #[test]
    fn plain_names_take_the_symbols_path() {
        use super::is_path_of;
        let ping = "mini_redis::cmd::ping::checksum_slowly";
        assert!(is_path_of(ping, "checksum_slowly"));
        assert!(is_path_of(
            "app::outer::apply",
            "apply<app::main::{closure_env#1}>"
        ));
        let poll = "<app::Handler as core::future::future::Future>::poll";
        assert!(is_path_of(poll, "poll<fn() -> u8>"));
        let get = "mini_redis::cmd::get::Get::apply::{{closure}}";
        assert!(is_path_of(get, "{async_fn#0}"));
        assert!(is_path_of("app::run::{closure#0}", "{closure#0}<()>"));
        // Another function's symbol (folded code), a name with a path, C functions: kept.
        assert!(!is_path_of(ping, "load_slowly"));
        assert!(!is_path_of(ping, "ping::checksum_slowly"));
        assert!(!is_path_of(
            "<u8 as fmt::Debug>::fmt",
            "<u8 as fmt::Debug>::fmt"
        ));
        assert!(!is_path_of("main", "main"));
        assert!(!is_path_of("app::<lambda>", "<lambda>"));
        assert!(!is_path_of("app::x", ""));
    }
}
