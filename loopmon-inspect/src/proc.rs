//! Reading a thread's files under `/proc`: its state, CPU time, current syscall, the process's
//! mappings and its memory. Plain file reads only; any failure is `None`.

use std::fs;
use std::path::Path;

/// A thread's state letter, field 3 of `task/<tid>/stat` (`R`, `S`, `D`, ...).
///
/// The command name (field 2) is in parentheses and may hold spaces and parentheses itself, so
/// the fields are read after the last `)`.
pub(super) fn state(task: &Path) -> Option<char> {
    let stat = fs::read_to_string(task.join("stat")).ok()?;
    parse_state(&stat)
}

pub(super) fn parse_state(stat: &str) -> Option<char> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_ascii_whitespace().next()?.chars().next()
}

/// The thread's CPU time so far in nanoseconds: the first field of `task/<tid>/schedstat`.
pub(super) fn cpu_ns(task: &Path) -> Option<u64> {
    let s = fs::read_to_string(task.join("schedstat")).ok()?;
    s.split_ascii_whitespace().next()?.parse().ok()
}

/// The kernel function the thread waits in (`task/<tid>/wchan`: `hrtimer_nanosleep`,
/// `futex_wait_queue`...), if the kernel tells.
pub(super) fn wchan(task: &Path) -> Option<String> {
    let w = fs::read_to_string(task.join("wchan")).ok()?;
    (!w.is_empty() && w != "0").then_some(w)
}

/// What `task/<tid>/syscall` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Syscall {
    /// `running`: the thread is on a CPU, in user or kernel space.
    Running,
    /// `-1 SP PC`: blocked in the kernel, but not in a system call (a page fault, a stop).
    Outside { sp: u64, pc: u64 },
    /// `NR ARG1 … ARG6 SP PC`: blocked in system call `nr`.
    In { nr: u64, sp: u64, pc: u64 },
}

impl Syscall {
    /// The user-space stack pointer and program counter, if the thread is off the CPU.
    #[cfg_attr(not(all(feature = "stacks", target_arch = "x86_64")), allow(dead_code))]
    pub(super) fn registers(self) -> Option<(u64, u64)> {
        match self {
            Syscall::Running => None,
            Syscall::Outside { sp, pc } | Syscall::In { sp, pc, .. } => Some((sp, pc)),
        }
    }
}

pub(super) fn syscall(task: &Path) -> Option<Syscall> {
    parse_syscall(&fs::read_to_string(task.join("syscall")).ok()?)
}

pub(super) fn parse_syscall(s: &str) -> Option<Syscall> {
    let fields: Vec<&str> = s.split_ascii_whitespace().collect();
    match fields.as_slice() {
        ["running"] => Some(Syscall::Running),
        ["-1", sp, pc] => Some(Syscall::Outside {
            sp: hex(sp)?,
            pc: hex(pc)?,
        }),
        [nr, _, _, _, _, _, _, sp, pc] => Some(Syscall::In {
            nr: nr.parse().ok()?,
            sp: hex(sp)?,
            pc: hex(pc)?,
        }),
        _ => None,
    }
}

fn hex(s: &str) -> Option<u64> {
    u64::from_str_radix(s.strip_prefix("0x")?, 16).ok()
}

/// One line of `/proc/<pid>/maps`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Mapping {
    pub(super) start: u64,
    pub(super) end: u64,
    pub(super) executable: bool,
    pub(super) writable: bool,
    /// The file offset of `start`.
    pub(super) offset: u64,
    pub(super) inode: u64,
    /// The mapped file (or `[stack]`, `[vdso]`...); empty for anonymous memory.
    pub(super) path: String,
}

#[cfg_attr(not(all(feature = "stacks", target_arch = "x86_64")), allow(dead_code))]
impl Mapping {
    pub(super) fn contains(&self, addr: u64) -> bool {
        self.start <= addr && addr < self.end
    }
}

/// The process's mappings, sorted by address.
#[cfg_attr(not(all(feature = "stacks", target_arch = "x86_64")), allow(dead_code))]
pub(super) fn maps(root: &Path) -> Option<Vec<Mapping>> {
    let text = fs::read_to_string(root.join("maps")).ok()?;
    let maps: Vec<Mapping> = text.lines().filter_map(parse_mapping).collect();
    (!maps.is_empty()).then_some(maps)
}

pub(super) fn parse_mapping(line: &str) -> Option<Mapping> {
    let mut it = line.splitn(6, ' ');
    let (range, perms, offset, _dev, inode) =
        (it.next()?, it.next()?, it.next()?, it.next()?, it.next()?);
    let (start, end) = range.split_once('-')?;
    Some(Mapping {
        start: u64::from_str_radix(start, 16).ok()?,
        end: u64::from_str_radix(end, 16).ok()?,
        executable: perms.as_bytes().get(2) == Some(&b'x'),
        writable: perms.as_bytes().get(1) == Some(&b'w'),
        offset: u64::from_str_radix(offset, 16).ok()?,
        inode: inode.parse().ok()?,
        path: it.next().unwrap_or("").trim_start().to_owned(),
    })
}

/// `len` bytes of the process's memory at `addr` (fewer if the read stops early).
#[cfg_attr(not(all(feature = "stacks", target_arch = "x86_64")), allow(dead_code))]
pub(super) fn read_mem(root: &Path, addr: u64, len: usize) -> Option<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let file = fs::File::open(root.join("mem")).ok()?;
    let mut buf = vec![0; len];
    let mut done = 0;
    while done < len {
        match file.read_at(&mut buf[done..], addr + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    buf.truncate(done);
    (done > 0).then_some(buf)
}
