//! What a route answers: a [`Reply`] with its faults, the [`Gate`] that holds one, the
//! [`SseHandle`] that feeds an event stream.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use tokio::sync::{mpsc, watch};

use super::{MAX_BODY, MAX_DELAY, http_date};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Abort {
    /// Headers and half the body, then the connection is dropped.
    MidBody,
    /// The request is read, then the connection is closed without an answer.
    BeforeResponse,
}

/// Opens a [`Reply::gated`] reply's gate (dropping it opens it too).
#[derive(Debug)]
pub struct Gate(pub(super) watch::Sender<bool>);

impl Gate {
    /// Lets the held replies (and all later ones) go.
    pub fn open(&self) {
        self.0.send_replace(true);
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.open();
    }
}

/// One scripted answer and its faults.
#[derive(Clone, Debug)]
pub struct Reply {
    pub(super) status: u16,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Bytes,
    pub(super) conditional: bool,
    pub(super) delay: Duration,
    pub(super) gate: Option<watch::Receiver<bool>>,
    pub(super) slow: Option<(usize, Duration)>,
    pub(super) chunked: bool,
    pub(super) abort: Option<Abort>,
    pub(super) sse: Option<Arc<SseShared>>,
}

/// What one event stream receives: text, or a reset of the connection.
pub(super) type StreamItem = Result<Bytes, ()>;

#[derive(Debug, Default)]
pub(super) struct SseShared {
    pub(super) streams: Mutex<Vec<mpsc::Sender<StreamItem>>>,
    pub(super) opened: AtomicUsize,
}

/// Drives the event streams of a [`Reply::sse`] reply: every stream open on it at the time of
/// a call gets what the call sends. Cheap to clone.
#[derive(Clone, Debug)]
pub struct SseHandle(pub(super) Arc<SseShared>);

impl SseHandle {
    /// Sends `text` verbatim (SSE lines, comments, garbage) to every open stream; returns how
    /// many streams got it (a stream with 256 items queued misses it).
    pub fn send_raw(&self, text: &str) -> usize {
        let mut streams = self.0.streams.lock().unwrap();
        streams.retain(|s| !s.is_closed());
        streams
            .iter()
            .filter(|s| s.try_send(Ok(Bytes::from(text.to_owned()))).is_ok())
            .count()
    }

    /// Sends an OFREP message, `event: message` with this `data` (one line), to every open
    /// stream; returns how many got it.
    pub fn message(&self, data: &str) -> usize {
        self.send_raw(&format!("event: message\ndata: {data}\n\n"))
    }

    /// Sends `{"type":"refetchEvaluation"}` with the `etag` and `lastModified` given.
    pub fn refetch(&self, etag: Option<&str>, last_modified: Option<u64>) -> usize {
        let mut data = String::from(r#"{"type":"refetchEvaluation""#);
        if let Some(etag) = etag {
            data.push_str(&format!(r#","etag":"{etag}""#));
        }
        if let Some(at) = last_modified {
            data.push_str(&format!(r#","lastModified":{at}"#));
        }
        data.push('}');
        self.message(&data)
    }

    /// Ends every open stream properly (later connections get new streams).
    pub fn close(&self) {
        self.0.streams.lock().unwrap().clear();
    }

    /// Breaks every open stream's connection in the middle of its body.
    pub fn reset(&self) {
        let mut streams = self.0.streams.lock().unwrap();
        for stream in streams.drain(..) {
            let _ = stream.try_send(Err(()));
        }
    }

    /// Streams opened on this reply so far.
    pub fn opened(&self) -> usize {
        self.0.opened.load(Ordering::SeqCst)
    }

    /// Streams open now (their client has not gone away and they were not closed).
    pub fn open_now(&self) -> usize {
        let mut streams = self.0.streams.lock().unwrap();
        streams.retain(|s| !s.is_closed());
        streams.len()
    }
}

impl Reply {
    /// An empty answer with this status.
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Bytes::new(),
            conditional: false,
            delay: Duration::ZERO,
            gate: None,
            slow: None,
            chunked: false,
            abort: None,
            sse: None,
        }
    }

    /// A `200` `text/event-stream` reply that stays open (at most 5 minutes): it sends
    /// `first` (`retry: 100\n\n`, say; may be empty) at once, then whatever the handle sends.
    pub fn sse(first: &str) -> (Reply, SseHandle) {
        let shared = Arc::new(SseShared::default());
        let mut reply = Reply::status(200)
            .header("content-type", "text/event-stream")
            .header("cache-control", "no-cache")
            .body(first.as_bytes().to_vec());
        reply.chunked = true;
        reply.sse = Some(shared.clone());
        (reply, SseHandle(shared))
    }

    /// `200` with a JSON body.
    pub fn json(body: &str) -> Reply {
        Reply::status(200)
            .header("content-type", "application/json")
            .body(body.as_bytes().to_vec())
    }

    /// With this body.
    pub fn body(mut self, body: impl Into<Bytes>) -> Reply {
        self.body = body.into();
        self
    }

    /// With this header (added to the others).
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// With an `ETag`, answering `304` (no body) to a request whose `If-None-Match` equals it.
    pub fn etag(mut self, tag: &str) -> Reply {
        self.conditional = true;
        self.header("etag", tag)
    }

    /// `Retry-After: <seconds>`.
    pub fn retry_after_secs(self, seconds: u64) -> Reply {
        self.header("retry-after", &seconds.to_string())
    }

    /// `Retry-After: <HTTP date>` (IMF-fixdate).
    pub fn retry_after_date(self, at: SystemTime) -> Reply {
        self.header("retry-after", &http_date(at))
    }

    /// Waits this long (at most 60 s) before the headers.
    pub fn delay(mut self, delay: Duration) -> Reply {
        self.delay = delay.min(MAX_DELAY);
        self
    }

    /// Holds the reply until the returned gate opens (or is dropped; at most 10 s).
    pub fn gated(mut self) -> (Reply, Gate) {
        let (tx, rx) = watch::channel(false);
        self.gate = Some(rx);
        (self, Gate(tx))
    }

    /// Sends the body `chunk` bytes at a time, waiting `interval` before each chunk after the
    /// first.
    pub fn slow_body(mut self, chunk: usize, interval: Duration) -> Reply {
        self.slow = Some((chunk.max(1), interval.min(MAX_DELAY)));
        self
    }

    /// Sends the body with chunked transfer encoding (no `Content-Length`).
    pub fn chunked(mut self) -> Reply {
        self.chunked = true;
        self
    }

    /// A `200` JSON answer whose body is not valid JSON.
    pub fn malformed() -> Reply {
        Reply::json(r#"{"key": "flag", "value": tru"#)
    }

    /// A `200` answer with a body of `bytes` bytes (at most 256 MiB), `Content-Length` set
    /// unless [`chunked`](Self::chunked).
    pub fn oversized(bytes: usize) -> Reply {
        Reply::status(200)
            .header("content-type", "application/json")
            .body(vec![b' '; bytes.min(MAX_BODY)])
    }

    /// Sends the headers and half the body, then drops the connection (no proper end of the
    /// body: with `Content-Length` the body is short, chunked it lacks its last chunk).
    pub fn reset_mid_body(mut self) -> Reply {
        self.abort = Some(Abort::MidBody);
        if self.body.len() < 2 {
            self.body = Bytes::from_static(b"{\"flags\": [], \"padding\": \"....\"}");
        }
        self
    }

    /// Reads the request, then closes the connection without an answer.
    pub fn close_before_response() -> Reply {
        let mut reply = Reply::status(200);
        reply.abort = Some(Abort::BeforeResponse);
        reply
    }
}
