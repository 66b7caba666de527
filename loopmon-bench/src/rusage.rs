//! CPU time and memory of this process, from the kernel.
#![allow(unsafe_code)]

use std::time::Duration;

/// What `getrusage(RUSAGE_SELF)` says about this process so far.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Usage {
    /// User + system CPU time.
    pub(crate) cpu: Duration,
    /// Voluntary context switches.
    pub(crate) vcsw: i64,
}

/// The process's CPU time and context switches so far.
pub(crate) fn now() -> Usage {
    of(libc::RUSAGE_SELF)
}

/// The same for every child process that has ended and been waited for, with their own waited-for
/// children (a `cargo build` and its `rustc`s).
pub(crate) fn children() -> Usage {
    of(libc::RUSAGE_CHILDREN)
}

fn of(who: libc::c_int) -> Usage {
    // SAFETY: `rusage` is a plain C struct for which all-zero bytes is a valid value.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, writable `rusage`; `who` is RUSAGE_SELF or RUSAGE_CHILDREN.
    let rc = unsafe { libc::getrusage(who, &mut ru) };
    assert_eq!(rc, 0, "getrusage failed");
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    Usage {
        cpu: tv(ru.ru_utime) + tv(ru.ru_stime),
        vcsw: ru.ru_nvcsw,
    }
}

/// The resident set size of this process now, in bytes (`/proc/self/statm`). Allocates
/// nothing, so that it can be read inside a window whose allocations are counted.
pub(crate) fn rss_bytes() -> u64 {
    use std::io::Read;
    let mut buf = [0u8; 256];
    let n = std::fs::File::open("/proc/self/statm")
        .and_then(|mut f| f.read(&mut buf))
        .unwrap_or(0);
    let statm = std::str::from_utf8(&buf[..n]).unwrap_or("");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf with a valid name has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * u64::try_from(page).unwrap_or(4096)
}
