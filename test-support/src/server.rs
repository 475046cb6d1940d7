//! A small scripted HTTP/1.1 server on 127.0.0.1 for tests: it records every request (method,
//! path, headers) and answers from a script of replies (status, headers, body, ETag with
//! `If-None-Match` handling, a delay or a gate). One thread, one connection at a time,
//! `Connection: close`; it stops when dropped, and by itself after `LIFETIME`.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Long enough for a test that builds a crate with Cargo between requests on a cold, busy
/// machine; a server is stopped when dropped, this bounds one whose test hangs.
const LIFETIME: Duration = Duration::from_secs(30 * 60);

/// A request as received.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path and query.
    pub path: String,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body (at most 1 MiB is read).
    pub body: Vec<u8>,
}

impl Request {
    /// The value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One scripted answer.
#[derive(Clone)]
pub struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Answer `304` when the request's `If-None-Match` equals this reply's ETag.
    conditional: bool,
    delay: Duration,
    /// Wait for a message on this gate before answering (at most 10 s).
    gate: Option<Arc<Mutex<mpsc::Receiver<()>>>>,
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            conditional: false,
            delay: Duration::ZERO,
            gate: None,
        }
    }

    /// `200` with a JSON body.
    pub fn json(body: &str) -> Reply {
        Reply::status(200)
            .header("content-type", "application/json")
            .body(body)
    }

    pub fn body(mut self, body: &str) -> Reply {
        self.body = body.as_bytes().to_vec();
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// With an ETag, answering `304` to a matching `If-None-Match`.
    pub fn etag(mut self, tag: &str) -> Reply {
        self.conditional = true;
        self.header("etag", tag)
    }

    /// With an ETag, ignoring `If-None-Match`.
    pub fn etag_unconditional(self, tag: &str) -> Reply {
        self.header("etag", tag)
    }

    pub fn delay(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }

    /// Answers only once the returned sender sends (or is dropped).
    pub fn gated(mut self) -> (Reply, mpsc::Sender<()>) {
        let (tx, rx) = mpsc::channel();
        self.gate = Some(Arc::new(Mutex::new(rx)));
        (self, tx)
    }

    fn etag_value(&self) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("etag"))
            .map(|(_, v)| v.as_str())
    }
}

/// What was answered, per request.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub request: Request,
    pub status: u16,
}

#[derive(Default)]
struct Shared {
    /// The replies to come: each is served once, but the last, which is served from then on.
    script: Mutex<VecDeque<Reply>>,
    log: Mutex<Vec<Exchange>>,
    connections: AtomicUsize,
    stop: AtomicBool,
}

pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Starts a server answering `reply` (until the script changes).
    pub fn start(reply: Reply) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        shared.script.lock().unwrap().push_back(reply);
        let thread_shared = shared.clone();
        let thread = std::thread::spawn(move || serve(&listener, &thread_shared));
        Server {
            addr,
            shared,
            thread: Some(thread),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// From now on, answers `reply`.
    pub fn serve(&self, reply: Reply) {
        let mut script = self.shared.script.lock().unwrap();
        script.clear();
        script.push_back(reply);
    }

    /// Answers `reply` after the replies already scripted.
    pub fn then(&self, reply: Reply) {
        self.shared.script.lock().unwrap().push_back(reply);
    }

    pub fn exchanges(&self) -> Vec<Exchange> {
        self.shared.log.lock().unwrap().clone()
    }

    /// Connections accepted, whether or not they sent a request.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Requests answered.
    pub fn count(&self) -> usize {
        self.shared.log.lock().unwrap().len()
    }

    /// Waits (at most 10 s) until at least `n` requests were answered; the count.
    pub fn wait_for_requests(&self, n: usize) -> usize {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.count() < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        self.count()
    }

    /// Stops the server: the port refuses connections from then on.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.halt();
    }
}

fn serve(listener: &TcpListener, shared: &Shared) {
    let born = Instant::now();
    while !shared.stop.load(Ordering::SeqCst) && born.elapsed() < LIFETIME {
        match listener.accept() {
            Ok((stream, _)) => {
                shared.connections.fetch_add(1, Ordering::SeqCst);
                let _ = handle(stream, shared);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(2)),
        }
    }
}

fn handle(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 {
            break;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let name = name.trim().to_ascii_lowercase();
            let value = value.trim().to_owned();
            if name == "content-length" {
                length = value.parse().unwrap_or(0);
            }
            headers.push((name, value));
        }
    }
    let mut body = vec![0; length.min(1 << 20)];
    reader.read_exact(&mut body)?;
    let request = Request {
        method,
        path,
        headers,
        body,
    };
    let reply = {
        let mut script = shared.script.lock().unwrap();
        if script.len() > 1 {
            script.pop_front().unwrap()
        } else {
            script
                .front()
                .cloned()
                .unwrap_or_else(|| Reply::status(404))
        }
    };
    if let Some(gate) = &reply.gate {
        let _ = gate.lock().unwrap().recv_timeout(Duration::from_secs(10));
    }
    let deadline = Instant::now() + reply.delay;
    while Instant::now() < deadline && !shared.stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let not_modified = reply.conditional
        && reply.etag_value().is_some()
        && request.header("if-none-match") == reply.etag_value();
    let status = if not_modified { 304 } else { reply.status };
    shared
        .log
        .lock()
        .unwrap()
        .push(Exchange { request, status });
    let mut out = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in &reply.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    let body: &[u8] = if not_modified { &[] } else { &reply.body };
    out.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    ));
    let mut stream = stream;
    stream.write_all(out.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        304 => "Not Modified",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Other",
    }
}
