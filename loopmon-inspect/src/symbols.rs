//! Naming code addresses: function, file and line from the line tables (with inlined calls
//! expanded, innermost first, as debuggers show them), else the function from the symbol table.

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
        // it when the line tables do not.
        if let Some(last) = frames.last_mut().filter(|f| f.function.is_none()) {
            last.function = module.symbol(svma).map(demangle);
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
}
