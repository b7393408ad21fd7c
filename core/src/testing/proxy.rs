//! A TCP proxy on 127.0.0.1 in front of a server, for the fault tests and the benchmarks. It can cut
//! every open connection, freeze (forward nothing, in either direction, until thawed), and hold every
//! chunk of bytes for a fixed delay in each direction, as a network between client and server would.
//!
//! It runs on plain threads, not on the async runtime: a delay is kept with `std::thread::sleep`,
//! precise to some microseconds, where the runtime's timer rounds up to the next millisecond (a
//! 1 ms delay would then last up to 2 ms, and round trips measured through the proxy would be off by
//! half). Each direction of a connection has a reader thread, which stamps every chunk with
//! the time it arrived and queues it, and a writer thread, which forwards each chunk once
//! `arrival + delay` has passed: many chunks are in flight at once, so the delay adds latency
//! without limiting throughput.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Bytes read at most at once from either side.
const CHUNK: usize = 64 * 1024;
/// The stack of each of the proxy's threads: they hold little on it.
const STACK: usize = 256 * 1024;
/// Chunks queued at most in one direction of a connection before its reader waits.
const IN_FLIGHT: usize = 4096;

/// A running TCP proxy on a free port of 127.0.0.1, forwarding each connection to the upstream
/// address. Dropping it stops accepting and closes every connection still open.
pub struct TcpProxy {
    port: u16,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

struct Shared {
    upstream: Vec<SocketAddr>,
    delay: Duration,
    /// Whether the proxy is frozen: `frozen_now` is read on every chunk, `frozen` guards the waits.
    frozen_now: AtomicBool,
    frozen: Mutex<bool>,
    thawed: Condvar,
    links: Mutex<HashMap<u64, Arc<Link>>>,
    next_link: AtomicU64,
    cut: AtomicUsize,
    stopping: AtomicBool,
}

/// One proxied connection: both sockets (clones, to close them from any thread).
struct Link {
    client: TcpStream,
    server: TcpStream,
    closed: AtomicBool,
    /// Directions still forwarding; the last one to end forgets the link.
    directions: AtomicUsize,
}

impl Link {
    /// Closes both sockets, which ends every thread of the link; true if it was open.
    fn close(&self) -> bool {
        let was_open = !self.closed.swap(true, Ordering::SeqCst);
        let _ = self.client.shutdown(Shutdown::Both);
        let _ = self.server.shutdown(Shutdown::Both);
        was_open
    }
}

impl TcpProxy {
    /// Starts a proxy that forwards every byte as soon as it arrives.
    pub fn start(upstream: impl ToSocketAddrs) -> io::Result<TcpProxy> {
        TcpProxy::start_with_delay(upstream, Duration::ZERO)
    }

    /// Starts a proxy that holds every chunk for `delay` in each direction before forwarding it, so
    /// that each round trip between client and server takes `2 * delay` longer.
    pub fn start_with_delay(upstream: impl ToSocketAddrs, delay: Duration) -> io::Result<TcpProxy> {
        let upstream: Vec<SocketAddr> = upstream.to_socket_addrs()?.collect();
        if upstream.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the proxy's upstream address resolves to nothing",
            ));
        }
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared {
            upstream,
            delay,
            frozen_now: AtomicBool::new(false),
            frozen: Mutex::new(false),
            thawed: Condvar::new(),
            links: Mutex::new(HashMap::new()),
            next_link: AtomicU64::new(0),
            cut: AtomicUsize::new(0),
            stopping: AtomicBool::new(false),
        });
        let accepting = shared.clone();
        let accept = spawn("sleeper-pg-proxy-accept", move || {
            for client in listener.incoming() {
                if accepting.stopping.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                let shared = accepting.clone();
                // Connecting upstream may take a while: not on the accepting thread.
                let _ = spawn("sleeper-pg-proxy-link", move || shared.open(client));
            }
        })?;
        Ok(TcpProxy {
            port,
            shared,
            accept: Some(accept),
        })
    }

    /// The port the proxy listens on, at 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The delay added in each direction.
    pub fn delay(&self) -> Duration {
        self.shared.delay
    }

    /// Closes every connection open through the proxy; new ones still get through.
    pub fn cut_all(&self) {
        let links: Vec<Arc<Link>> = lock(&self.shared.links).values().cloned().collect();
        let cut = links.iter().filter(|link| link.close()).count();
        self.shared.cut.fetch_add(cut, Ordering::SeqCst);
        self.shared.wake();
    }

    /// Connections closed by [`TcpProxy::cut_all`] so far.
    pub fn cut_connections(&self) -> usize {
        self.shared.cut.load(Ordering::SeqCst)
    }

    /// Freezes the proxy (`true`): it stops forwarding anything, in either direction, and new
    /// connections are accepted but get no answer, until thawed (`false`).
    pub fn freeze(&self, frozen: bool) {
        let mut guard = lock(&self.shared.frozen);
        *guard = frozen;
        self.shared.frozen_now.store(frozen, Ordering::SeqCst);
        drop(guard);
        self.shared.thawed.notify_all();
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wakes the accepting thread, which then sees `stopping`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        self.cut_all();
    }
}

impl Shared {
    /// Connects a new client upstream and forwards both ways: upward on a thread of its own,
    /// downward on this one.
    fn open(self: Arc<Self>, client: TcpStream) {
        let Ok(server) = TcpStream::connect(&self.upstream[..]) else {
            return;
        };
        // The proxy forwards what it gets at once, as a network does; Nagle's algorithm would hold
        // small writes back for an acknowledgement.
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        let clones = (|| {
            Ok::<_, io::Error>((
                client.try_clone()?,
                client.try_clone()?,
                server.try_clone()?,
                server.try_clone()?,
            ))
        })();
        let Ok((client_copy, client_read, server_copy, server_read)) = clones else {
            return;
        };
        let link = Arc::new(Link {
            client: client_copy,
            server: server_copy,
            closed: AtomicBool::new(false),
            directions: AtomicUsize::new(2),
        });
        let id = self.next_link.fetch_add(1, Ordering::SeqCst);
        lock(&self.links).insert(id, link.clone());
        if self.stopping.load(Ordering::SeqCst) {
            link.close();
        }
        let (shared, up) = (self.clone(), link.clone());
        let upward = spawn("sleeper-pg-proxy-up", move || {
            shared.forward(&up, client_read, server);
            shared.forget(id, &up);
        });
        if upward.is_err() {
            link.close();
            self.forget(id, &link);
        }
        self.forward(&link, server_read, client);
        self.forget(id, &link);
    }

    /// Forwards one direction until either side closes or the link is cut, then closes the link.
    /// A reader thread queues each chunk with its arrival time and a writer forwards it once the delay
    /// (perhaps none) has passed.
    fn forward(&self, link: &Link, from: TcpStream, to: TcpStream) {
        let (queue, queued) = mpsc::sync_channel(IN_FLIGHT);
        thread::scope(|scope| {
            let writer = thread::Builder::new()
                .name("sleeper-pg-proxy-write".into())
                .stack_size(STACK)
                .spawn_scoped(scope, || {
                    deliver(self, link, queued, to);
                    link.close();
                });
            if writer.is_ok() {
                read_into(self, link, from, queue);
            }
        });
        link.close();
    }

    /// Ends one direction of the link; the last one forgets it.
    fn forget(&self, id: u64, link: &Link) {
        if link.directions.fetch_sub(1, Ordering::SeqCst) == 1 {
            lock(&self.links).remove(&id);
        }
    }

    /// Waits while the proxy is frozen; false once the link is closed or the proxy stopped.
    fn thawed(&self, link: &Link) -> bool {
        let open = || !link.closed.load(Ordering::SeqCst) && !self.stopping.load(Ordering::SeqCst);
        if !self.frozen_now.load(Ordering::SeqCst) {
            return open();
        }
        let mut frozen = lock(&self.frozen);
        loop {
            if !open() {
                return false;
            }
            if !*frozen {
                return true;
            }
            frozen = self
                .thawed
                .wait(frozen)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    /// Wakes every thread waiting for a thaw, to see whether its link is closed.
    fn wake(&self) {
        drop(lock(&self.frozen));
        self.thawed.notify_all();
    }
}

/// The reader of a direction: queues each chunk with the time it arrived.
fn read_into(
    shared: &Shared,
    link: &Link,
    mut from: TcpStream,
    queue: mpsc::SyncSender<(Instant, Vec<u8>)>,
) {
    let mut buffer = vec![0_u8; CHUNK];
    loop {
        if !shared.thawed(link) {
            return;
        }
        let n = match from.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if queue.send((Instant::now(), buffer[..n].to_vec())).is_err() {
            return;
        }
    }
}

/// The writer of a direction: forwards each queued chunk once its delay has passed, and
/// whatever is still queued when the reader ends, so that a last message before a close arrives.
fn deliver(
    shared: &Shared,
    link: &Link,
    queued: mpsc::Receiver<(Instant, Vec<u8>)>,
    mut to: TcpStream,
) {
    precise_sleeps();
    for (arrived, chunk) in queued {
        let due = arrived + shared.delay;
        let now = Instant::now();
        if due > now {
            thread::sleep(due - now);
        }
        if !shared.thawed(link) || to.write_all(&chunk).is_err() {
            return;
        }
    }
}

/// Lets this thread's sleeps end when asked rather than up to 50 us later (Linux's default timer
/// slack), since the delay is what the benchmarks measure.
fn precise_sleeps() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_TIMERSLACK only sets the calling thread's timer slack, in nanoseconds.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong);
    }
}

fn spawn(name: &str, run: impl FnOnce() + Send + 'static) -> io::Result<JoinHandle<()>> {
    thread::Builder::new()
        .name(name.into())
        .stack_size(STACK)
        .spawn(run)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server on 127.0.0.1 that sends back whatever it gets, on every connection.
    fn echo_server() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                thread::spawn(move || {
                    let mut reader = stream.try_clone().unwrap();
                    let mut writer = stream;
                    let _ = io::copy(&mut reader, &mut writer);
                });
            }
        });
        port
    }

    fn read_exactly(stream: &mut TcpStream, n: usize) -> Vec<u8> {
        let mut buffer = vec![0_u8; n];
        stream.read_exact(&mut buffer).unwrap();
        buffer
    }

    #[test]
    fn a_delay_is_added_each_way_without_serialising_the_messages() {
        let delay = Duration::from_millis(30);
        let proxy = TcpProxy::start_with_delay(("127.0.0.1", echo_server()), delay).unwrap();
        let mut stream = TcpStream::connect(("127.0.0.1", proxy.port())).unwrap();
        stream.set_nodelay(true).unwrap();
        let started = Instant::now();
        stream.write_all(b"ping").unwrap();
        assert_eq!(read_exactly(&mut stream, 4), b"ping");
        let round_trip = started.elapsed();
        assert!(round_trip >= 2 * delay, "{round_trip:?}");
        assert!(round_trip < 5 * delay, "{round_trip:?}");
        // Ten messages 2 ms apart all arrive about one round trip after they were sent, not one
        // round trip after another (which would take 600 ms).
        let started = Instant::now();
        for i in 0..10_u8 {
            stream.write_all(&[i]).unwrap();
            thread::sleep(Duration::from_millis(2));
        }
        assert_eq!(read_exactly(&mut stream, 10), (0..10).collect::<Vec<u8>>());
        let all = started.elapsed();
        assert!(all < 10 * delay, "{all:?}");
    }

    #[test]
    fn cut_closes_open_connections_and_new_ones_get_through() {
        let proxy = TcpProxy::start(("127.0.0.1", echo_server())).unwrap();
        let mut stream = TcpStream::connect(("127.0.0.1", proxy.port())).unwrap();
        stream.write_all(b"a").unwrap();
        assert_eq!(read_exactly(&mut stream, 1), b"a");
        proxy.cut_all();
        assert_eq!(proxy.cut_connections(), 1);
        let mut buffer = [0_u8; 1];
        assert!(matches!(stream.read(&mut buffer), Ok(0) | Err(_)));
        let mut again = TcpStream::connect(("127.0.0.1", proxy.port())).unwrap();
        again.write_all(b"b").unwrap();
        assert_eq!(read_exactly(&mut again, 1), b"b");
    }

    #[test]
    fn a_frozen_proxy_forwards_nothing_until_thawed() {
        let proxy = TcpProxy::start(("127.0.0.1", echo_server())).unwrap();
        let mut stream = TcpStream::connect(("127.0.0.1", proxy.port())).unwrap();
        stream.write_all(b"a").unwrap();
        assert_eq!(read_exactly(&mut stream, 1), b"a");
        proxy.freeze(true);
        stream.write_all(b"b").unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut buffer = [0_u8; 1];
        assert!(stream.read(&mut buffer).is_err(), "nothing while frozen");
        proxy.freeze(false);
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        assert_eq!(read_exactly(&mut stream, 1), b"b");
    }
}
