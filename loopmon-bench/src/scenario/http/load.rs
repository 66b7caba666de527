//! The load generator of scenario 9, in the harness's process (never the server's): keep-alive
//! HTTP/1.1 connections on loopback, one blocking `std::net` thread each, one request in flight
//! per connection, a fixed number of requests, every loop bounded in count and in time.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// How long one read or write may wait before the run is given up.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// One keep-alive connection to the server.
#[derive(Debug)]
pub(super) struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    /// Scratch space for a response's lines and body, reused.
    line: Vec<u8>,
}

impl Conn {
    /// Connects to `addr`, which must be a loopback address.
    pub(super) fn open(addr: SocketAddr) -> io::Result<Conn> {
        if !addr.ip().is_loopback() {
            return Err(io::Error::other(format!("{addr} is not on loopback")));
        }
        let writer = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
        writer.set_nodelay(true)?;
        writer.set_read_timeout(Some(IO_TIMEOUT))?;
        writer.set_write_timeout(Some(IO_TIMEOUT))?;
        Ok(Conn {
            reader: BufReader::new(writer.try_clone()?),
            writer,
            line: Vec::with_capacity(256),
        })
    }

    /// Sends `GET path` and reads the whole response, which must be a `200`.
    pub(super) fn get(&mut self, path: &str) -> io::Result<()> {
        self.get_many(path, 1)
    }

    /// Sends `depth` requests for `path` in one write (HTTP/1.1 pipelining), then reads their
    /// `depth` responses.
    pub(super) fn get_many(&mut self, path: &str, depth: u64) -> io::Result<()> {
        let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        self.writer
            .write_all(request.repeat(depth as usize).as_bytes())?;
        for _ in 0..depth {
            self.read_response()?;
        }
        Ok(())
    }

    /// Reads one response: the status line, the headers, then `Content-Length` bytes of body.
    fn read_response(&mut self) -> io::Result<()> {
        self.read_line()?;
        if !self.line.starts_with(b"HTTP/1.1 200") {
            let status = String::from_utf8_lossy(&self.line).trim().to_string();
            return Err(io::Error::other(format!(
                "unexpected status line {status:?}"
            )));
        }
        let mut length = None;
        loop {
            self.read_line()?;
            if self.line == b"\r\n" {
                break;
            }
            let text = String::from_utf8_lossy(&self.line);
            if let Some((name, value)) = text.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse::<usize>().ok();
                }
            }
        }
        let length = length.ok_or_else(|| io::Error::other("a response without Content-Length"))?;
        self.line.resize(length, 0);
        self.reader.read_exact(&mut self.line)
    }

    /// One line, `\r\n` included, into `self.line`; an error at the end of the stream.
    fn read_line(&mut self) -> io::Result<()> {
        self.line.clear();
        if self.reader.read_until(b'\n', &mut self.line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        Ok(())
    }
}

/// Drives several servers at once: one thread per row of `conns` (a connection to every
/// server), each sending `per_conn` requests for `/` to each of its connections, `depth` at a
/// time (pipelined; a batch is sent, then its responses are read), going round the servers
/// batch by batch from a different first server per thread, so that at any moment the servers
/// share the load evenly. Returns how long that took; gives up at `deadline`.
pub(super) fn drive(
    conns: &mut [Vec<Conn>],
    per_conn: u64,
    depth: u64,
    deadline: Instant,
) -> io::Result<Duration> {
    let t = Instant::now();
    std::thread::scope(|scope| {
        let threads: Vec<_> = conns
            .iter_mut()
            .enumerate()
            .map(|(i, row)| {
                scope.spawn(move || {
                    let servers = row.len();
                    for _ in 0..per_conn / depth {
                        if Instant::now() > deadline {
                            return Err(io::Error::new(
                                io::ErrorKind::TimedOut,
                                "the run's time is up",
                            ));
                        }
                        for j in 0..servers {
                            row[(i + j) % servers].get_many("/", depth)?;
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        threads
            .into_iter()
            .try_for_each(|t| t.join().expect("a load generator thread panicked"))
    })?;
    Ok(t.elapsed())
}
