//! A fault-injecting HTTP/1.1 server on 127.0.0.1 for the transport and remote provider tests.
//!
//! - hyper 1 on a current-thread tokio runtime in its own thread; many concurrent connections
//!   (keep-alive), each request recorded (method, path and query, headers, body) and each
//!   connection counted;
//! - scripted per route (method + path prefix, the longest prefix wins): a queue of [`Reply`]s,
//!   the last of which repeats; no route matched → `404` with an empty body;
//! - faults per reply: a delay before the headers, a gate held until the test opens it, a
//!   body that trickles, `Retry-After` (seconds or date), malformed or oversized bodies,
//!   chunked bodies, a reset in the middle of the body, a connection closed before the
//!   response, `ETag`/`If-None-Match` → `304`;
//! - server-sent events ([`Reply::sse`]): a `text/event-stream` reply held open, whose
//!   events the test pushes through an [`SseHandle`], which also ends or resets the streams;
//! - optional TLS, with a client certificate required or not ([`TestPki`] makes the
//!   certificates);
//! - bounded: stops when dropped and by itself after 30 minutes; delays at most 60 s, gates
//!   at most 10 s, at most 1024 connections at a time, request bodies read up to 1 MiB,
//!   100,000 requests recorded at most, event streams open at most 5 minutes with at most 256
//!   events queued each.
//!
//! ```
//! use flags_test_support::fault::{FaultServer, Reply};
//!
//! let server = FaultServer::start();
//! server.route("POST", "/ofrep/v1/evaluate/flags", Reply::status(503));
//! server.then("POST", "/ofrep/v1/evaluate/flags", Reply::json(r#"{"flags":[]}"#));
//! assert!(server.url("/ofrep/v1/evaluate/flags").starts_with("http://127.0.0.1:"));
//! ```

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::sync::{Semaphore, mpsc, oneshot};

/// A server is stopped when dropped; this bounds one whose test hangs.
const LIFETIME: Duration = Duration::from_secs(30 * 60);
const MAX_DELAY: Duration = Duration::from_secs(60);
const MAX_GATE: Duration = Duration::from_secs(10);
const MAX_CONNECTIONS: usize = 1024;
const MAX_REQUEST_BODY: usize = 1 << 20;
const MAX_RECORDED: usize = 100_000;
const MAX_BODY: usize = 256 << 20;
const MAX_STREAM: Duration = Duration::from_secs(5 * 60);
const MAX_QUEUED_EVENTS: usize = 256;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

mod reply;
mod tls;

use reply::{Abort, StreamItem};
pub use reply::{Gate, Reply, SseHandle};
pub use tls::TestPki;

/// A request as received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path and query.
    pub path: String,
    /// Names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body (at most 1 MiB).
    pub body: Vec<u8>,
}

impl Recorded {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

struct Route {
    method: String,
    prefix: String,
    script: VecDeque<Reply>,
}

#[derive(Default)]
struct Shared {
    routes: Mutex<Vec<Route>>,
    log: Mutex<Vec<Recorded>>,
    connections: AtomicUsize,
    tls_failures: AtomicUsize,
}

impl Shared {
    fn next_reply(&self, method: &str, path: &str) -> Option<Reply> {
        let mut routes = self.routes.lock().unwrap();
        let route = routes
            .iter_mut()
            .filter(|r| (r.method == "*" || r.method == method) && path.starts_with(&r.prefix))
            .max_by_key(|r| r.prefix.len())?;
        if route.script.len() > 1 {
            route.script.pop_front()
        } else {
            route.script.front().cloned()
        }
    }
}

/// The server; stops when dropped.
pub struct FaultServer {
    addr: SocketAddr,
    tls: bool,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FaultServer {
    /// A plain HTTP server with no route (everything answers `404`).
    pub fn start() -> FaultServer {
        FaultServer::spawn(None)
    }

    /// An HTTPS server (see [`TestPki::server_config`]).
    pub fn start_tls(config: Arc<rustls::ServerConfig>) -> FaultServer {
        FaultServer::spawn(Some(tokio_rustls::TlsAcceptor::from(config)))
    }

    /// A plain HTTP server on this address of 127.0.0.1 (a port a test saw unused, to bring
    /// a server up where a client already points); an error when it cannot be bound.
    pub fn start_at(addr: SocketAddr) -> std::io::Result<FaultServer> {
        if !addr.ip().is_loopback() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the fault server listens on loopback only",
            ));
        }
        let listener = std::net::TcpListener::bind(addr)?;
        Ok(FaultServer::spawn_on(listener, None))
    }

    fn spawn(tls: Option<tokio_rustls::TlsAcceptor>) -> FaultServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        FaultServer::spawn_on(listener, tls)
    }

    fn spawn_on(
        listener: std::net::TcpListener,
        tls: Option<tokio_rustls::TlsAcceptor>,
    ) -> FaultServer {
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared::default());
        let (stop, stopped) = oneshot::channel();
        let is_tls = tls.is_some();
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("fault-server".to_owned())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("tokio runtime");
                runtime.block_on(async move {
                    let listener =
                        tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                    let accept = tokio::spawn(accept_loop(listener, thread_shared, tls));
                    let _ = tokio::time::timeout(LIFETIME, stopped).await;
                    accept.abort();
                });
                // Dropping the runtime cancels every connection task.
            })
            .expect("spawn the server thread");
        FaultServer {
            addr,
            tls: is_tls,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The URL of `path` on this server (`http://127.0.0.1:port/path`, `https` with TLS).
    pub fn url(&self, path: &str) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}{path}", self.addr)
    }

    /// The address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// From now on, `method` (`"*"` for any) on paths starting with `prefix` answers `reply`.
    pub fn route(&self, method: &str, prefix: &str, reply: Reply) -> &Self {
        let mut routes = self.shared.routes.lock().unwrap();
        routes.retain(|r| !(r.method == method && r.prefix == prefix));
        routes.push(Route {
            method: method.to_owned(),
            prefix: prefix.to_owned(),
            script: VecDeque::from([reply]),
        });
        self
    }

    /// Answers `reply` on this route after the replies already scripted for it.
    pub fn then(&self, method: &str, prefix: &str, reply: Reply) -> &Self {
        let mut routes = self.shared.routes.lock().unwrap();
        match routes
            .iter_mut()
            .find(|r| r.method == method && r.prefix == prefix)
        {
            Some(route) => route.script.push_back(reply),
            None => routes.push(Route {
                method: method.to_owned(),
                prefix: prefix.to_owned(),
                script: VecDeque::from([reply]),
            }),
        }
        self
    }

    /// The requests received so far (recorded on arrival, before any delay).
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.log.lock().unwrap().clone()
    }

    /// Forgets the requests recorded so far and returns how many there were: a long test
    /// (a soak) keeps the server's own memory flat this way.
    pub fn clear_requests(&self) -> usize {
        std::mem::take(&mut *self.shared.log.lock().unwrap()).len()
    }

    /// How many requests were received.
    pub fn count(&self) -> usize {
        self.shared.log.lock().unwrap().len()
    }

    /// How many requests were received on paths starting with `prefix`.
    pub fn count_path(&self, prefix: &str) -> usize {
        let log = self.shared.log.lock().unwrap();
        log.iter().filter(|r| r.path.starts_with(prefix)).count()
    }

    /// Connections accepted (including TLS handshakes that failed).
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// TLS handshakes that failed.
    pub fn tls_failures(&self) -> usize {
        self.shared.tls_failures.load(Ordering::SeqCst)
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        };
        shared.connections.fetch_add(1, Ordering::SeqCst);
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let _slot = slot;
            match tls {
                None => serve(TokioIo::new(stream), shared).await,
                Some(acceptor) => match acceptor.accept(stream).await {
                    Ok(stream) => serve(TokioIo::new(stream), shared).await,
                    Err(_) => {
                        shared.tls_failures.fetch_add(1, Ordering::SeqCst);
                    }
                },
            }
        });
    }
}

async fn serve<I>(io: I, shared: Arc<Shared>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = service_fn(move |request| handle(request, shared.clone()));
    let _ = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, service)
        .await;
}

async fn handle(
    request: hyper::Request<Incoming>,
    shared: Arc<Shared>,
) -> Result<hyper::Response<FaultBody>, BoxError> {
    let method = request.method().as_str().to_owned();
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".to_owned());
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = http_body_util::Limited::new(request.into_body(), MAX_REQUEST_BODY)
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    let if_none_match = headers
        .iter()
        .find(|(n, _)| n == "if-none-match")
        .map(|(_, v)| v.clone());
    {
        let mut log = shared.log.lock().unwrap();
        if log.len() < MAX_RECORDED {
            log.push(Recorded {
                method: method.clone(),
                path: path.clone(),
                headers,
                body,
            });
        }
    }
    let reply = shared
        .next_reply(&method, &path)
        .unwrap_or_else(|| Reply::status(404));
    if let Some(mut gate) = reply.gate.clone() {
        let _ = tokio::time::timeout(MAX_GATE, gate.wait_for(|open| *open)).await;
    }
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    if reply.abort == Some(Abort::BeforeResponse) {
        return Err("closing the connection before the response".into());
    }
    let etag = reply
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("etag"))
        .map(|(_, v)| v.as_str());
    let not_modified = reply.conditional && etag.is_some() && if_none_match.as_deref() == etag;
    let status = if not_modified { 304 } else { reply.status };
    let mut response = hyper::Response::builder().status(status);
    for (name, value) in &reply.headers {
        response = response.header(name, value);
    }
    let mut body = if not_modified {
        FaultBody::new(Bytes::new(), &reply)
    } else {
        FaultBody::new(reply.body.clone(), &reply)
    };
    if let Some(sse) = &reply.sse {
        let (tx, rx) = mpsc::channel(MAX_QUEUED_EVENTS);
        sse.streams.lock().unwrap().push(tx);
        sse.opened.fetch_add(1, Ordering::SeqCst);
        body.events = Some(rx);
        body.stream_end = Some(Box::pin(tokio::time::sleep(MAX_STREAM)));
    }
    Ok(response.body(body)?)
}

/// A response body that may trickle, omit its length or break off.
struct FaultBody {
    data: Bytes,
    chunk: usize,
    interval: Option<Duration>,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    /// Bytes to send before failing (`None`: no failure).
    fail_after: Option<usize>,
    sent: usize,
    exact: Option<u64>,
    /// An event stream: after `data`, what its handle sends, until closed or `stream_end`.
    events: Option<mpsc::Receiver<StreamItem>>,
    stream_end: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl FaultBody {
    fn new(data: Bytes, reply: &Reply) -> FaultBody {
        let len = data.len();
        let (chunk, interval) = match reply.slow {
            Some((chunk, interval)) => (chunk, Some(interval)),
            None => (64 * 1024, None),
        };
        FaultBody {
            chunk,
            interval,
            sleep: None,
            fail_after: (reply.abort == Some(Abort::MidBody)).then_some(len / 2),
            sent: 0,
            exact: (!reply.chunked).then_some(len as u64),
            data,
            events: None,
            stream_end: None,
        }
    }
}

impl Body for FaultBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if let Some(limit) = this.fail_after
            && this.sent >= limit
        {
            // Let hyper flush the headers and the first part before the connection drops.
            let sleep = this
                .sleep
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(Duration::from_millis(50))));
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            return Poll::Ready(Some(Err(
                "connection reset in the middle of the body".into()
            )));
        }
        if this.data.is_empty()
            && let Some(events) = this.events.as_mut()
        {
            if let Some(end) = this.stream_end.as_mut()
                && end.as_mut().poll(cx).is_ready()
            {
                return Poll::Ready(None);
            }
            return match events.poll_recv(cx) {
                Poll::Ready(Some(Ok(text))) => Poll::Ready(Some(Ok(Frame::data(text)))),
                Poll::Ready(Some(Err(()))) => {
                    Poll::Ready(Some(Err("event stream reset by the test".into())))
                }
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            };
        }
        if this.data.is_empty() {
            return Poll::Ready(None);
        }
        if let (Some(interval), true) = (this.interval, this.sent > 0) {
            let sleep = this
                .sleep
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(interval)));
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            this.sleep = None;
        }
        let mut take = this.chunk.min(this.data.len());
        if let Some(limit) = this.fail_after {
            take = take.min(limit - this.sent);
        }
        let chunk = this.data.split_to(take);
        this.sent += take;
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_empty() && self.fail_after.is_none() && self.events.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        match self.exact {
            Some(len) => SizeHint::with_exact(len),
            None => SizeHint::default(),
        }
    }
}

/// `at` as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), for `Retry-After`.
pub use flags_http::date::http_date;
