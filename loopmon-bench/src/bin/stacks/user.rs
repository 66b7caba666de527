//! The "user code" the benchmark's threads block in, a few frames deep. Each function is
//! `#[inline(never)]` and does something after its call, so that no call is a tail call: every
//! one of them is a real frame, for gdb and for loopmon alike.

use std::hint::black_box;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{mpsc, Mutex};
use std::time::Duration;

const PAUSE: Duration = Duration::from_millis(500);

#[inline(never)]
pub(crate) fn sleep_outer() -> u32 {
    loop {
        black_box(sleep_inner());
    }
}

#[inline(never)]
fn sleep_inner() -> u32 {
    std::thread::sleep(PAUSE * 2); // not `deep_three`'s code, which the linker would fold
    black_box(1)
}

#[inline(never)]
pub(crate) fn lock_outer(m: &Mutex<u32>) -> u32 {
    lock_inner(m) + black_box(1)
}

#[inline(never)]
fn lock_inner(m: &Mutex<u32>) -> u32 {
    let guard = m.lock();
    guard.map_or(0, |g| *g)
}

#[inline(never)]
pub(crate) fn read_outer(s: TcpStream) -> usize {
    read_inner(s) + black_box(1)
}

#[inline(never)]
fn read_inner(mut s: TcpStream) -> usize {
    let mut buf = [0; 16];
    s.read(&mut buf).unwrap_or(0)
}

#[inline(never)]
pub(crate) fn fsync_outer(mut file: std::fs::File) -> u32 {
    loop {
        black_box(fsync_inner(&mut file));
    }
}

#[inline(never)]
fn fsync_inner(file: &mut std::fs::File) -> u32 {
    file.write_all(&[7; 4096]).unwrap();
    file.sync_all().unwrap();
    black_box(1)
}

#[inline(never)]
pub(crate) fn recv_outer(rx: &mpsc::Receiver<u32>) -> u32 {
    recv_inner(rx) + black_box(1)
}

#[inline(never)]
fn recv_inner(rx: &mpsc::Receiver<u32>) -> u32 {
    rx.recv().unwrap_or(0)
}

#[inline(never)]
pub(crate) fn deep_one() -> u32 {
    loop {
        black_box(deep_two());
    }
}

#[inline(never)]
fn deep_two() -> u32 {
    deep_three() + black_box(1)
}

#[inline(never)]
fn deep_three() -> u32 {
    std::thread::sleep(PAUSE);
    black_box(1)
}

#[cfg(feature = "cpu-stacks")]
#[inline(never)]
pub(crate) fn spin_outer() -> u64 {
    loop {
        black_box(spin_middle());
    }
}

#[cfg(feature = "cpu-stacks")]
#[inline(never)]
fn spin_middle() -> u64 {
    spin_inner().wrapping_add(black_box(1))
}

/// Arithmetic in a loop, returning now and then: always on the CPU, in user code.
#[cfg(feature = "cpu-stacks")]
#[inline(never)]
fn spin_inner() -> u64 {
    let mut n = black_box(1u64);
    for _ in 0..1_000_000 {
        n = black_box(n.wrapping_mul(31).wrapping_add(7));
    }
    n
}
