//! The capture on threads of this process: one running, one that blocks the signal (abandoned,
//! then answered late, harmlessly), one that has exited.

use super::*;
use crate::current_tid;
use std::sync::atomic::AtomicBool;
use std::sync::{mpsc, Arc};

fn maps() -> Vec<Mapping> {
    crate::proc::maps(std::path::Path::new("/proc/self")).expect("Linux")
}

/// A thread spinning until `stop`; returns its tid.
fn spinner(
    stop: Arc<AtomicBool>,
    before: impl FnOnce() + Send + 'static,
) -> (u32, std::thread::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        before();
        tx.send(current_tid().expect("tid")).unwrap();
        let mut n = 0u64;
        while !stop.load(Ordering::Relaxed) {
            n = std::hint::black_box(n.wrapping_add(1));
        }
    });
    (rx.recv().unwrap(), thread)
}

#[test]
fn a_running_thread_answers_with_its_registers_and_stack() {
    let stop = Arc::new(AtomicBool::new(false));
    let (tid, thread) = spinner(stop.clone(), || {});
    let maps = maps();
    let captured = capture(tid, &maps).expect("captured");
    stop.store(true, Ordering::Relaxed);
    thread.join().unwrap();
    let exec = maps.iter().find(|m| m.contains(captured.pc));
    assert!(exec.is_some_and(|m| m.executable), "pc {:#x}", captured.pc);
    let stack = maps
        .iter()
        .find(|m| m.contains(captured.sp))
        .expect("sp mapped");
    assert!(stack.writable);
    assert_eq!(
        captured.stack.len() as u64,
        (stack.end - captured.sp).min(MAX_STACK as u64)
    );
    assert!(signal().is_some_and(is_ours));
}

#[test]
fn a_thread_that_blocks_the_signal_is_abandoned_and_its_late_answer_ignored() {
    let sig = signal().expect("a free signal");
    let stop = Arc::new(AtomicBool::new(false));
    let (unblock_tx, unblock_rx) = mpsc::channel::<()>();
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        // SAFETY: an empty set, then `sig` added: valid arguments; only this thread's mask.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, sig);
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        }
        tx.send(current_tid().expect("tid")).unwrap();
        unblock_rx.recv().unwrap();
        // SAFETY: as above; the pending signal is delivered now, long after it was given up on.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, sig);
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        }
    });
    let blocked = rx.recv().unwrap();
    let start = Instant::now();
    let missing = capture(blocked, &maps()).expect_err("blocked");
    assert_eq!(missing, StackMissing::Unanswered);
    assert!(start.elapsed() >= WAIT, "{:?}", start.elapsed());
    // The late handler runs now, on a slot that is idle or armed for another thread.
    unblock_tx.send(()).unwrap();
    thread.join().unwrap();
    let (tid, spinning) = spinner(stop.clone(), || {});
    let captured = capture(tid, &maps()).expect("the slot is usable again");
    stop.store(true, Ordering::Relaxed);
    spinning.join().unwrap();
    assert!(!captured.stack.is_empty());
}

#[test]
fn an_exited_thread_is_unanswered_at_once() {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(current_tid().expect("tid")).unwrap())
        .join()
        .unwrap();
    let gone = rx.recv().unwrap();
    let start = Instant::now();
    assert_eq!(
        capture(gone, &maps()).unwrap_err(),
        StackMissing::Unanswered
    );
    assert!(start.elapsed() < WAIT, "{:?}", start.elapsed());
}

#[test]
fn the_stack_end_is_that_of_the_mapping_holding_sp() {
    let ranges = [(0x1000, 0x2000), (0x5000, 0x9000)];
    assert_eq!(stack_end(&ranges, 0x1000), 0x2000);
    assert_eq!(stack_end(&ranges, 0x1fff), 0x2000);
    assert_eq!(stack_end(&ranges, 0x2000), 0);
    assert_eq!(stack_end(&ranges, 0x6000), 0x9000);
    assert_eq!(stack_end(&ranges, 0x10), 0);
    assert_eq!(stack_end(&[], 0x10), 0);
}
