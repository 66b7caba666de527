//! The inspector's parts on known text: `/proc` lines, syscall tables, classification, the
//! trimming rule and the report's words.

use super::super::{activity, proc, syscalls, trim};
use super::*;
use std::borrow::Cow;

#[test]
fn proc_files_parse() {
    assert_eq!(proc::parse_state("7 (tokio (w) 1) D 1 7"), Some('D'));
    assert_eq!(proc::parse_state("garbage"), None);
    assert_eq!(
        proc::parse_syscall("running\n"),
        Some(proc::Syscall::Running)
    );
    assert_eq!(
        proc::parse_syscall("-1 0x7ffd10 0x5555a0\n"),
        Some(proc::Syscall::Outside {
            sp: 0x7ffd10,
            pc: 0x5555a0
        })
    );
    assert_eq!(
        proc::parse_syscall("230 0x1 0x1 0x7f0 0x0 0x0 0x7f8 0x7fa70 0x7f545\n"),
        Some(proc::Syscall::In {
            nr: 230,
            sp: 0x7fa70,
            pc: 0x7f545
        })
    );
    assert_eq!(proc::parse_syscall("230 0x1"), None);
    let m = proc::parse_mapping("5555-5666 r-xp 00001000 fd:01 1234   /usr/bin/app x").unwrap();
    assert_eq!(
        (m.start, m.end, m.offset, m.inode),
        (0x5555, 0x5666, 0x1000, 1234)
    );
    assert!(m.executable && m.contains(0x5555) && !m.contains(0x5666));
    assert_eq!(m.path, "/usr/bin/app x");
    let anon = proc::parse_mapping("7f00-7f10 rw-p 00000000 00:00 0 ").unwrap();
    assert!(!anon.executable && anon.path.is_empty());
}

#[test]
fn syscall_tables() {
    for table in [syscalls::X86_64, syscalls::AARCH64] {
        assert!(table.windows(2).all(|w| w[0].0 < w[1].0), "sorted, unique");
    }
    let x = |nr| syscalls::lookup(syscalls::X86_64, nr);
    let a = |nr| syscalls::lookup(syscalls::AARCH64, nr);
    assert_eq!(
        (x(0), x(202), x(230), x(74)),
        (
            Some("read"),
            Some("futex"),
            Some("clock_nanosleep"),
            Some("fsync")
        )
    );
    assert_eq!(
        (a(63), a(98), a(115), a(82)),
        (
            Some("read"),
            Some("futex"),
            Some("clock_nanosleep"),
            Some("fsync")
        )
    );
    assert_eq!((x(34), a(34)), (Some("pause"), Some("mkdirat")));
    assert_eq!(x(100_000), None);
    #[cfg(target_arch = "x86_64")]
    assert_eq!(syscalls::name(232), Some("epoll_wait"));
}

#[test]
fn activities_read_as_words() {
    use ThreadActivity as A;
    let c = activity::classify;
    assert_eq!(c('S', Some(Ok("clock_nanosleep"))), A::Sleeping);
    assert_eq!(c('S', Some(Ok("futex"))), A::WaitingOnLock);
    assert_eq!(c('S', Some(Ok("read"))).to_string(), "blocking I/O in read");
    assert_eq!(
        c('D', Some(Ok("fsync"))).to_string(),
        "blocking I/O in fsync"
    );
    assert_eq!(c('D', Some(Ok("mmap"))).to_string(), "waiting on disk");
    assert_eq!(c('D', None).to_string(), "waiting on disk");
    assert_eq!(c('S', Some(Ok("wait4"))).to_string(), "in syscall wait4");
    assert_eq!(c('S', Some(Err(123))).to_string(), "in syscall 123");
    assert_eq!(c('t', None).to_string(), "in state t");
    assert_eq!(A::Sleeping.to_string(), "sleeping");
    assert_eq!(A::RunningOnCpu.to_string(), "running on the CPU");
    let other = A::InSyscall {
        syscall: Cow::Borrowed("x"),
    };
    assert_eq!(other.clone(), other);
}

/// A frame named `function` (none if empty) at `line` of `file`.
pub(super) fn frame(function: &str, file: Option<&str>, line: u32) -> Frame {
    let mut f = Frame::new(0x1000);
    f.function = (!function.is_empty()).then(|| function.to_owned());
    f.file = file.map(str::to_owned);
    f.line = file.map(|_| line);
    f
}

#[test]
fn trim_keeps_the_call_and_the_users_frames() {
    let std_src = Some("/rustc/abc/library/std/src/thread/functions.rs");
    let tokio =
        Some("/home/u/.cargo/registry/src/index.crates.io-1/tokio-1.47.1/src/runtime/task/core.rs");
    let frames = vec![
        frame("clock_nanosleep", None, 0),
        frame("", None, 0),
        frame("std::sys::pal::unix::thread::Thread::sleep", std_src, 1),
        frame("std::thread::functions::sleep", std_src, 2),
        frame("my_app::load_user", Some("/work/app/src/db.rs"), 42),
        frame("core::ops::function::FnOnce::call_once", std_src, 3),
        frame(
            "my_app::handle_get::{{closure}}",
            Some("/work/app/src/cmd/get.rs"),
            17,
        ),
        frame("tokio::runtime::task::core::Core<T,S>::poll", tokio, 4),
        frame("my_app::main", Some("/work/app/src/main.rs"), 3),
    ];
    let trimmed = trim::trim(frames, Some(Path::new("/work/app")));
    let snap = ThreadSnapshot {
        tid: 1,
        activity: ThreadActivity::Sleeping,
        frames: trimmed,
        stack_missing: None,
    };
    assert_eq!(
        snap.to_string(),
        "sleeping in std::thread::functions::sleep (std/src/thread/functions.rs:2) \
         ← my_app::load_user (src/db.rs:42) ← my_app::handle_get::{{closure}} (src/cmd/get.rs:17)"
    );
    // Without line tables: names decide; at most four user frames.
    let mut frames = vec![
        frame("__futex_wait", None, 0),
        frame("std::sync::Mutex<T>::lock", None, 0),
    ];
    frames.extend((0..6).map(|i| frame(&format!("app::f{i}"), None, 0)));
    let names: Vec<_> = trim::trim(frames, None)
        .into_iter()
        .map(|f| f.to_string())
        .collect();
    assert_eq!(
        names,
        [
            "std::sync::Mutex<T>::lock",
            "app::f0",
            "app::f1",
            "app::f2",
            "app::f3"
        ]
    );
    // A stripped binary: unnamed frames, no user frame: nothing. A C thread: its names.
    let stripped = vec![
        frame("clock_nanosleep", None, 0),
        frame("", None, 0),
        frame("", None, 0),
    ];
    assert_eq!(trim::trim(stripped, None), []);
    let c = vec![frame("read", None, 0), frame("worker_main", None, 0)];
    assert_eq!(trim::trim(c.clone(), None), c);
    assert_eq!(
        trim::short_path("/h/.cargo/registry/src/x/tokio-1.0.0/src/a.rs", None),
        "tokio-1.0.0/src/a.rs"
    );
    assert_eq!(
        trim::short_path("/tmp/build/gen.rs", None),
        "/tmp/build/gen.rs"
    );
    assert_eq!(
        ThreadSnapshot {
            frames: vec![],
            ..snap
        }
        .to_string(),
        "sleeping"
    );
}

#[test]
fn inspector_is_send() {
    fn send<T: Send>() {}
    send::<Inspector>();
}

/// Inspects thread 7 of a fake `/proc/self` holding these files in its task folder.
fn inspect_fake(name: &str, files: &[(&str, &str)]) -> Option<ThreadSnapshot> {
    let root = std::env::temp_dir().join(format!("loopmon-fake-{name}-{}", std::process::id()));
    let task = root.join("task/7");
    std::fs::create_dir_all(&task).unwrap();
    for (file, text) in files {
        std::fs::write(task.join(file), text).unwrap();
    }
    let snap = Inspector::with_proc_root(&root).inspect(7);
    let _ = std::fs::remove_dir_all(&root);
    snap
}

#[test]
fn decisions_on_fake_proc_files() {
    let args = "0x1 0x2 0x3 0x4 0x5 0x6 0x7ff0 0x5550";
    // Blocked in clock_nanosleep; no maps to read its stack from.
    let nr = if cfg!(target_arch = "aarch64") {
        115
    } else {
        230
    };
    let snap = inspect_fake(
        "sleep",
        &[("stat", "7 (w) S 1"), ("syscall", &format!("{nr} {args}"))],
    )
    .unwrap();
    assert_eq!(snap.activity, ThreadActivity::Sleeping);
    let why = if STACKS {
        StackMissing::Unreadable
    } else {
        StackMissing::Unsupported
    };
    assert_eq!(snap.stack_missing, Some(why));
    // Woken but waiting for a CPU: state R, the kernel says `running`, the CPU time stays.
    let files = [
        ("stat", "7 (w) R 1"),
        ("syscall", "running"),
        ("schedstat", "1000 0 1"),
        ("wchan", "hrtimer_nanosleep"),
    ];
    let snap = inspect_fake("woken", &files).unwrap();
    assert_eq!(snap.activity, ThreadActivity::Sleeping);
    assert_eq!(snap.stack_missing, Some(StackMissing::NotBlocked));
    // A futex wait restarted after a stop (a debugger's attach).
    let nr = if cfg!(target_arch = "aarch64") {
        128
    } else {
        219
    };
    let files = [
        ("stat", "7 (w) S 1"),
        ("syscall", &*format!("{nr} {args}")),
        ("wchan", "futex_do_wait"),
    ];
    let snap = inspect_fake("restart", &files).unwrap();
    assert_eq!(snap.activity, ThreadActivity::WaitingOnLock);
    // Unknown syscall numbers print as numbers; garbage is no panic.
    let files = [("stat", "7 (w) S 1"), ("syscall", &*format!("4000 {args}"))];
    assert_eq!(
        inspect_fake("unknown", &files).unwrap().to_string(),
        "in syscall 4000"
    );
    let snap = inspect_fake("garbage", &[("stat", "7 (w) S 1"), ("syscall", "zzz")]).unwrap();
    assert_eq!(snap.stack_missing, Some(StackMissing::Unreadable));
    assert_eq!(inspect_fake("empty", &[("stat", "")]), None);
}

#[test]
fn trim_stops_at_loopmons_drivers_and_at_tokios_files_under_short_names() {
    let std_src = Some("/rustc/abc/library/std/src/thread/functions.rs");
    let tokio =
        Some("/r/.cargo/registry/src/index.crates.io-1/tokio-1.54.1/src/runtime/task/core.rs");
    let frames = vec![
        frame("std::thread::functions::sleep", std_src, 2),
        frame("app::main::{{closure}}", Some("/work/app/src/main.rs"), 9),
        frame(
            "<loopmon_core::entry::guard::Timed<F> as core::future::future::Future>::poll",
            Some("/work/loopmon/loopmon-core/src/entry/guard.rs"),
            142,
        ),
        frame("app::after", Some("/work/app/src/main.rs"), 1),
    ];
    let names: Vec<_> = trim::trim(frames, None)
        .into_iter()
        .filter_map(|f| f.function)
        .collect();
    assert_eq!(
        names,
        ["std::thread::functions::sleep", "app::main::{{closure}}"]
    );
    // `debug = "line-tables-only"`: inlined frames carry short names; tokio's files tell.
    let frames = vec![
        frame("std::thread::functions::sleep", std_src, 2),
        frame("{async_block#0}", Some("/work/app/src/cmd/get.rs"), 66),
        frame("poll<app::Handler>", tokio, 369),
        frame("{async_fn#0}", Some("/work/app/src/main.rs"), 3),
    ];
    let names: Vec<_> = trim::trim(frames, None)
        .into_iter()
        .filter_map(|f| f.function)
        .collect();
    assert_eq!(names, ["std::thread::functions::sleep", "{async_block#0}"]);
}
