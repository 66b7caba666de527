//! The inspector on threads of this process blocked in known ways, and its parts on known text.

use super::*;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// Whether stacks are read in this build.
const STACKS: bool = cfg!(all(feature = "stacks", target_arch = "x86_64"));

mod blocked;
#[cfg(all(feature = "stacks", target_arch = "x86_64"))]
mod elf;
mod parts;
mod qualified;
#[cfg(all(feature = "cpu-stacks", target_arch = "x86_64"))]
mod spinning;

/// What a blocked thread shares with its test.
#[derive(Default)]
struct Ctx {
    /// Set when the test is over: the thread returns.
    stop: AtomicBool,
    /// The line of the blocking call, recorded on the way in: `ctx.at(line!(), arg)`.
    line: AtomicU32,
}

impl Ctx {
    fn at<T>(&self, line: u32, value: T) -> T {
        self.line.store(line, Ordering::Relaxed);
        value
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// A thread that sends its tid, then runs `body` until its context's `stop` is set.
struct Blocked {
    tid: u32,
    ctx: Arc<Ctx>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Blocked {
    fn spawn(body: impl FnOnce(&Ctx) + Send + 'static) -> Blocked {
        Blocked::spawn_arc(move |ctx| body(&ctx))
    }

    fn spawn_arc(body: impl FnOnce(Arc<Ctx>) + Send + 'static) -> Blocked {
        let ctx = Arc::new(Ctx::default());
        let (tx, rx) = mpsc::channel();
        let c = ctx.clone();
        let thread = std::thread::spawn(move || {
            tx.send(current_tid().expect("tid")).unwrap();
            body(c);
        });
        let tid = rx.recv().unwrap();
        Blocked {
            tid,
            ctx,
            thread: Some(thread),
        }
    }

    /// The line of the blocking call.
    fn line(&self) -> u32 {
        self.ctx.line.load(Ordering::Relaxed)
    }

    /// Inspects the thread until `until` holds (up to 10 s); returns the last snapshot.
    fn inspect_until(&self, until: impl Fn(&ThreadSnapshot) -> bool) -> ThreadSnapshot {
        let mut inspector = Inspector::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let snap = inspector.inspect(self.tid).expect("Linux has /proc");
            if until(&snap) || Instant::now() > deadline {
                return snap;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Blocked {
    fn drop(&mut self) {
        self.ctx.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A xorshift generator from `seed`: the same bytes in every run, for the damage tests.
#[cfg(all(feature = "stacks", target_arch = "x86_64"))]
pub(crate) fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}

/// Names of the frames' functions, for messages.
fn names(snap: &ThreadSnapshot) -> Vec<String> {
    snap.frames.iter().map(|f| f.to_string()).collect()
}

/// The index of the first frame whose function ends with `name`.
fn find(snap: &ThreadSnapshot, name: &str) -> Option<usize> {
    snap.frames.iter().position(|f| {
        f.function
            .as_deref()
            .is_some_and(|n| n.ends_with(&format!("::{name}")))
    })
}

/// Asserts the user frames `names` appear in this order, in this file, the first at `line`.
fn assert_user_frames(snap: &ThreadSnapshot, expected: &[&str], line: u32) {
    let mut last = None;
    for (k, name) in expected.iter().enumerate() {
        let i =
            find(snap, name).unwrap_or_else(|| panic!("no {name} in {:?} ({snap:?})", names(snap)));
        assert!(last < Some(i), "{name} out of order: {snap}");
        last = Some(i);
        let f = &snap.frames[i];
        let file = f.file.as_deref().unwrap_or_default();
        assert!(
            file.ends_with("src/tests/blocked.rs"),
            "{name}: file {file:?} ({snap})"
        );
        if k == 0 {
            assert_eq!(f.line, Some(line), "{snap}");
        } else {
            assert!(f.line.is_some_and(|l| l > 0), "{snap}");
        }
    }
}
