//! Long-lived responses: [`Transport::open_stream`] and the [`Stream`] it returns, whose body
//! is read as it arrives (server-sent events, say).

use std::fmt;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;

use crate::classify::{causes, classify};
use crate::{Headers, Request, Transport, TransportError};

/// How long an open stream may last at most (in effect: no limit).
const STREAM_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);

impl Transport {
    /// Opens a long-lived response (server-sent events, say) and returns it once its headers
    /// arrive; its body is then read as it comes with [`Stream::chunk`]. The configured
    /// headers, TLS and connect timeout apply, and the timeout bounds the wait for the
    /// headers; the body has no overall timeout (bound each read, if needed, on the caller's
    /// side). One attempt: no retry, no coalescing, no circuit breaker (a stream's failures
    /// are the caller's to pace); an origin in its 429 window fails fast.
    pub async fn open_stream(&self, request: Request) -> Result<Stream, TransportError> {
        let prepared = self.prepare(request)?;
        self.check_limit(&prepared.origin)?;
        self.inner.stats.requests.fetch_add(1, Ordering::Relaxed);
        let builder = prepared
            .builder(&self.inner.client)
            // Replaces the client's overall timeout, which would cut the stream.
            .timeout(STREAM_LIFETIME);
        let mut response = tokio::time::timeout(self.inner.config.timeout, builder.send())
            .await
            .map_err(|_| TransportError::Timeout)?
            .map_err(classify)?;
        let status = response.status().as_u16();
        let headers = std::mem::take(response.headers_mut());
        if status >= 400 {
            return Err(self
                .status_error(&prepared, status, &headers, response)
                .await);
        }
        Ok(Stream {
            status,
            headers: Headers::from_map(headers),
            response,
        })
    }
}

/// A response whose body is read as it arrives ([`Transport::open_stream`]).
pub struct Stream {
    status: u16,
    headers: Headers,
    response: reqwest::Response,
}

impl Stream {
    /// The status code (below 400).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The value of header `name` (any case), if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// The next piece of the body as it arrives; `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, TransportError> {
        self.response.chunk().await.map_err(|error| {
            if error.is_timeout() {
                TransportError::Timeout
            } else {
                TransportError::Body {
                    message: causes(&error),
                }
            }
        })
    }
}

impl fmt::Debug for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stream")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}
