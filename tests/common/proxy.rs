//! Loopback TCP helpers that make the network fail in controlled ways. They never speak HTTP
//! or Kubernetes: the TLS stream between the binary and the real API server passes through
//! untouched (the server's certificate has SAN 127.0.0.1, so it verifies through the proxy).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Forwards 127.0.0.1:port to the API server, and once, drops a connection instead of relaying
/// the server's answer: the first answer that comes after `stored()` became true. The server
/// writes a create's answer only after storing the object, so that is the create's answer,
/// lost after the object was stored, as when a network or a load balancer fails at that moment.
pub struct LoseAnswerProxy {
    pub port: u16,
    connections: Arc<AtomicUsize>,
    client_records: Arc<AtomicUsize>,
    dropped: Arc<AtomicBool>,
}

impl LoseAnswerProxy {
    pub fn start(upstream: SocketAddr, stored: impl Fn() -> bool + Send + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let client_records = Arc::new(AtomicUsize::new(0));
        let dropped = Arc::new(AtomicBool::new(false));
        let stored = Arc::new(Mutex::new(stored));
        let (c, r, d) = (connections.clone(), client_records.clone(), dropped.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(server) = TcpStream::connect(upstream) else {
                    return;
                };
                c.fetch_add(1, Ordering::SeqCst);
                let (client_read, server_write) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                let records = r.clone();
                std::thread::spawn(move || {
                    pump_counting_records(client_read, server_write, &records)
                });
                let (dropped, stored) = (d.clone(), stored.clone());
                std::thread::spawn(move || pump_answers(server, client, &dropped, &stored));
            }
        });
        LoseAnswerProxy {
            port,
            connections,
            client_records,
            dropped,
        }
    }

    /// TCP connections the binary opened through the proxy.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// TLS application-data records the binary sent (the handshake's Finished, then requests).
    pub fn client_records(&self) -> usize {
        self.client_records.load(Ordering::SeqCst)
    }

    pub fn dropped_an_answer(&self) -> bool {
        self.dropped.load(Ordering::SeqCst)
    }
}

/// Client to server, counting TLS application-data records (content type 23) on the way.
fn pump_counting_records(mut from: TcpStream, mut to: TcpStream, records: &AtomicUsize) {
    let mut buffer = [0u8; 16 * 1024];
    let mut header = Vec::with_capacity(5);
    let mut body_left = 0usize;
    loop {
        let n = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut rest = &buffer[..n];
        while !rest.is_empty() {
            if body_left > 0 {
                let skip = body_left.min(rest.len());
                body_left -= skip;
                rest = &rest[skip..];
                continue;
            }
            header.push(rest[0]);
            rest = &rest[1..];
            if header.len() == 5 {
                if header[0] == 23 {
                    records.fetch_add(1, Ordering::SeqCst);
                }
                body_left = u16::from_be_bytes([header[3], header[4]]) as usize;
                header.clear();
            }
        }
        if to.write_all(&buffer[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// Server to client, except that the first answer after `stored()` is dropped with the connection.
fn pump_answers(
    mut from: TcpStream,
    mut to: TcpStream,
    dropped: &AtomicBool,
    stored: &Mutex<impl Fn() -> bool>,
) {
    let mut buffer = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if !dropped.load(Ordering::SeqCst) {
            let stored = stored.lock().unwrap_or_else(|e| e.into_inner());
            if stored() && !dropped.swap(true, Ordering::SeqCst) {
                let _ = to.shutdown(Shutdown::Both);
                let _ = from.shutdown(Shutdown::Both);
                return;
            }
        }
        if to.write_all(&buffer[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// A listener that accepts connections and never answers (a hung server or a black-holing
/// firewall after the TCP handshake).
pub struct SilentServer {
    pub port: u16,
}

impl SilentServer {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming().flatten() {
                held.push(stream);
            }
        });
        SilentServer { port }
    }
}

/// A port on 127.0.0.1 that nothing listens on (connections are refused).
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Polls `check` every 50 ms until it holds or `timeout` passes.
pub fn wait_for(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    check()
}

/// Forwards 127.0.0.1:port to the API server until `cut()`: then every open connection is
/// closed and new ones are closed as soon as they come, until `restore()` (a network that
/// drops, then comes back).
pub struct CutProxy {
    pub port: u16,
    open: Arc<Mutex<Vec<TcpStream>>>,
    refusing: Arc<AtomicBool>,
    connections: Arc<AtomicUsize>,
}

impl CutProxy {
    pub fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = Arc::new(Mutex::new(Vec::new()));
        let refusing = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(AtomicUsize::new(0));
        let (o, r, c) = (open.clone(), refusing.clone(), connections.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                if r.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(upstream) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                c.fetch_add(1, Ordering::SeqCst);
                {
                    let mut open = o.lock().unwrap_or_else(|e| e.into_inner());
                    open.push(client.try_clone().unwrap());
                    open.push(server.try_clone().unwrap());
                }
                let (client_read, server_write) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || pump(client_read, server_write));
                std::thread::spawn(move || pump(server, client));
            }
        });
        CutProxy {
            port,
            open,
            refusing,
            connections,
        }
    }

    /// Closes every open connection and refuses new ones.
    pub fn cut(&self) {
        self.refusing.store(true, Ordering::SeqCst);
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        for stream in open.drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    pub fn restore(&self) {
        self.refusing.store(false, Ordering::SeqCst);
    }

    /// TCP connections relayed to the API server so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream) {
    let _ = std::io::copy(&mut from, &mut to);
    let _ = to.shutdown(Shutdown::Write);
}
