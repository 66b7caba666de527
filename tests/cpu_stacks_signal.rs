//! A program that handles a real-time signal itself keeps its handler when loopmon samples the
//! stack of a thread running on the CPU (feature `cpu-stacks`): loopmon takes the next free
//! signal, and if the program handles all it may take, it samples nothing and says why.
//!
//! Signal dispositions are per process, so each case runs in a child process of this test
//! (`harness = false`: `main` is ours).

#![allow(unsafe_code)] // `sigaction` and `raise`, as a program with its own handler calls them

#[cfg(target_os = "linux")]
mod linux {
    use loopmon::{StackMissing, Stall, StallKind, ThreadActivity};
    use std::ffi::c_int;
    use std::process::Command;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    /// Set in a child: which case to run.
    const ROLE: &str = "LOOPMON_CPU_STACKS_SIGNAL_ROLE";
    /// The signals loopmon may take: `SIGRTMIN` to `SIGRTMIN+7`.
    const CANDIDATES: c_int = 8;

    static CALLS: AtomicU32 = AtomicU32::new(0);
    extern "C" fn user_handler(_sig: c_int) {
        CALLS.fetch_add(1, Ordering::Relaxed);
    }

    /// The program's own handler on `sig`.
    fn install_user_handler(sig: c_int) {
        // SAFETY: an all-zero `sigaction` is valid; the handler only touches an atomic.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = user_handler as *const () as libc::sighandler_t;
            assert_eq!(libc::sigaction(sig, &action, std::ptr::null_mut()), 0);
        }
    }

    /// The handler installed on `sig` (`SIG_DFL`: none).
    fn handler_of(sig: c_int) -> libc::sighandler_t {
        // SAFETY: a null new action only reads the current one.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            assert_eq!(libc::sigaction(sig, std::ptr::null(), &mut old), 0);
            old.sa_sigaction
        }
    }

    /// Checks `sig` still calls the program's handler.
    fn still_the_users(sig: c_int) {
        assert_eq!(
            handler_of(sig),
            user_handler as *const () as libc::sighandler_t
        );
        let before = CALLS.load(Ordering::Relaxed);
        // SAFETY: `raise` delivers to this thread, to the handler above, before it returns.
        assert_eq!(unsafe { libc::raise(sig) }, 0);
        assert_eq!(CALLS.load(Ordering::Relaxed), before + 1);
    }

    static LOG: Mutex<Vec<Stall>> = Mutex::new(Vec::new());
    fn log(s: &Stall) {
        LOG.lock().unwrap().push(s.clone());
    }

    #[inline(never)]
    fn crunch(until: Instant) -> u64 {
        let mut n = 0u64;
        while Instant::now() < until {
            for _ in 0..100_000 {
                n = std::hint::black_box(n.wrapping_mul(31).wrapping_add(7));
            }
        }
        n
    }

    /// A task spinning for 2 s on one worker of two, then the first `Started` report.
    #[loopmon::main(
        flavor = "multi_thread",
        worker_threads = 2,
        stall_threshold = "100ms",
        on_stall = log
    )]
    async fn spin() {
        tokio::spawn(async { crunch(Instant::now() + Duration::from_secs(2)) })
            .await
            .unwrap();
        for _ in 0..500 {
            if LOG
                .lock()
                .unwrap()
                .iter()
                .any(|s| s.kind == StallKind::Started)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn first_started() -> Stall {
        let log = LOG.lock().unwrap();
        let stall = log.iter().find(|s| s.kind == StallKind::Started);
        stall
            .cloned()
            .unwrap_or_else(|| panic!("no stall: {log:?}"))
    }

    /// The program handles `SIGRTMIN`: loopmon samples with `SIGRTMIN+1`.
    fn first_taken() {
        let first = libc::SIGRTMIN();
        install_user_handler(first);
        spin();
        let stall = first_started();
        let snapshot = stall.snapshot.as_ref().expect("a snapshot");
        assert_eq!(snapshot.activity, ThreadActivity::RunningOnCpu, "{stall}");
        if cfg!(target_arch = "x86_64") {
            assert!(stall.to_string().contains("::crunch ("), "{stall}");
        }
        still_the_users(first);
        assert_ne!(handler_of(first + 1), libc::SIG_DFL, "loopmon's");
        println!("first taken: ok");
    }

    /// The program handles every candidate: nothing sampled, and the report says why.
    fn all_taken() {
        let first = libc::SIGRTMIN();
        for sig in first..first + CANDIDATES {
            install_user_handler(sig);
        }
        spin();
        let stall = first_started();
        let snapshot = stall.snapshot.as_ref().expect("a snapshot");
        assert_eq!(snapshot.activity, ThreadActivity::RunningOnCpu, "{stall}");
        if cfg!(target_arch = "x86_64") {
            assert_eq!(
                snapshot.stack_missing,
                Some(StackMissing::NoSignal),
                "{stall}"
            );
        }
        assert!(snapshot.frames.is_empty(), "{stall}");
        for sig in first..first + CANDIDATES {
            still_the_users(sig);
        }
        assert_eq!(handler_of(first + CANDIDATES), libc::SIG_DFL);
        println!("all taken: ok");
    }

    pub(crate) fn main() {
        match std::env::var(ROLE).as_deref() {
            Ok("first") => return first_taken(),
            Ok("all") => return all_taken(),
            _ => {}
        }
        for (role, expected) in [("first", "first taken: ok"), ("all", "all taken: ok")] {
            let output = Command::new(std::env::current_exe().unwrap())
                .env(ROLE, role)
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(
                output.status.success() && stdout.contains(expected),
                "{role}: {output:?}"
            );
        }
        println!("cpu_stacks_signal: 2 checks passed");
    }
}

fn main() {
    #[cfg(target_os = "linux")]
    linux::main();
}
