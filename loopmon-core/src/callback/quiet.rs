//! Repeated callback panics, kept off stderr.
//!
//! std's panic hook prints every panic before loopmon can catch it: a callback that fails on
//! every sample would print one message (and with `RUST_BACKTRACE=1` one backtrace) per
//! interval. loopmon installs, once per process and only once a callback has panicked, a hook
//! that chains to the one it replaces and stays silent only for a panic raised on a thread while
//! it runs a callback that has already panicked once (a flag in a thread-local, set around the
//! call and each poll). Every other
//! panic, in the program or in a callback's first failure, reaches the previous hook unchanged.
//!
//! A hook set after loopmon's replaces it; then every callback panic is printed again, and
//! nothing else changes.

use std::cell::Cell;
use std::panic;
use std::sync::Once;

thread_local! {
    /// Set while this thread runs a callback whose panics are no longer printed.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Installs the chaining hook, once per process.
fn install_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

/// Runs `f` with the panics it raises kept quiet when `quiet` is true (installing the hook the
/// first time); the flag is restored however `f` ends, unwinding included.
pub(crate) fn during<R>(quiet: bool, f: impl FnOnce() -> R) -> R {
    if quiet {
        install_hook();
    }
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            QUIET.with(|q| q.set(self.0));
        }
    }
    let _restore = Restore(QUIET.with(|q| q.replace(quiet)));
    f()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_is_restored_after_a_panic() {
        let caught = std::panic::catch_unwind(|| during(true, || panic!("quiet")));
        assert!(caught.is_err());
        assert!(!QUIET.with(Cell::get));
        assert!(during(true, || QUIET.with(Cell::get)));
        assert!(!during(false, || QUIET.with(Cell::get)));
    }
}
