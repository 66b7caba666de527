//! [`current_tid`]: the calling thread's Linux id, the name `/proc` gives it.

use std::cell::Cell;

thread_local! {
    /// This thread's id: 0 not read yet, `u32::MAX` unavailable.
    static TID: Cell<u32> = const { Cell::new(0) };
}

/// The calling thread's Linux thread id (`gettid`), if `/proc` tells it: `None` elsewhere than
/// Linux or without `/proc`. Reads `/proc/thread-self` once per thread (allocates then); after
/// that, a thread-local read.
pub fn current_tid() -> Option<u32> {
    let tid = TID.with(|tid| {
        if tid.get() == 0 {
            tid.set(read_tid().unwrap_or(u32::MAX));
        }
        tid.get()
    });
    (tid != u32::MAX).then_some(tid)
}

fn read_tid() -> Option<u32> {
    // `/proc/thread-self` links to `<pid>/task/<tid>`.
    let link = std::fs::read_link("/proc/thread-self").ok()?;
    link.file_name()?.to_str()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn each_thread_reads_its_own_id() {
        let main = current_tid().expect("/proc is mounted here");
        let other = std::thread::spawn(current_tid).join().unwrap().unwrap();
        assert_ne!(main, other);
        assert_eq!(current_tid(), Some(main), "cached");
        let stat = std::fs::read_to_string(format!("/proc/self/task/{main}/stat")).unwrap();
        assert!(stat.starts_with(&format!("{main} (")), "{stat}");
    }
}
