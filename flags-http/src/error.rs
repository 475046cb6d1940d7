//! The errors: [`ConfigError`] (a configuration that cannot be built) and [`TransportError`]
//! (a request that failed), whose messages never carry a URL, a header value or a token.

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::breaker::Outcome;
use crate::headers::Headers;
use crate::summary::http_error_summary;

/// Why a [`TransportConfig`](crate::TransportConfig) cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A duration that must be positive is zero.
    #[error("`{option}` must be greater than zero")]
    ZeroDuration {
        /// The option.
        option: &'static str,
    },
    /// The deadline is zero or longer than [`MAX_DEADLINE`](crate::MAX_DEADLINE) (24 hours).
    #[error(
        "`deadline` must be greater than zero and at most 24 h (it is {} ms)",
        deadline.as_millis()
    )]
    InvalidDeadline {
        /// The deadline given.
        deadline: Duration,
    },
    /// The body limit is zero.
    #[error("`max_body` must be at least 1 byte")]
    ZeroMaxBody,
    /// A header name or value is not valid in HTTP (the value is not shown: it may be a secret).
    #[error(
        "invalid header `{name}`: names are ASCII tokens (`x-api-key`), values visible ASCII or \
         spaces without line breaks"
    )]
    Header {
        /// The header's name, as given.
        name: String,
    },
    /// A root certificate could not be read or used.
    #[error("invalid root certificate: {message}")]
    Certificate {
        /// What is wrong.
        message: String,
    },
    /// The client identity (certificate chain and key) could not be read or used.
    #[error("invalid client identity for mutual TLS: {message}")]
    Identity {
        /// What is wrong (never key material).
        message: String,
    },
    /// The TLS set-up failed.
    #[error("cannot set up TLS: {message}")]
    Tls {
        /// What is wrong.
        message: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot set up the HTTP client: {message}")]
    Client {
        /// What is wrong.
        message: String,
    },
}

/// Why a request failed. Its `Display` never contains a URL, a header value or a token.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// An attempt took longer than the timeout (connecting, waiting or reading the body).
    #[error("the request timed out")]
    Timeout,
    /// The call's [deadline](crate::TransportConfig::deadline) passed without an answer: its last
    /// attempt was cut by the deadline or timed out with no time left for a retry, or the
    /// call waited for an identical request in flight that did not finish in time. (A call
    /// whose last attempt failed otherwise, with no time left for a retry, returns that
    /// failure.)
    #[error("no answer within the deadline of {} ms{}", deadline.as_millis(), deadline_hint(*attempts, *joined))]
    DeadlineExceeded {
        /// The time the call (or the operation it belongs to) was given: its
        /// [`Deadline::budget`](crate::Deadline::budget).
        deadline: Duration,
        /// The attempts this call made.
        attempts: u32,
        /// Whether the call waited for an identical request in flight, sent by another caller.
        joined: bool,
    },
    /// The server could not be reached.
    #[error("cannot connect: {message}")]
    Connect {
        /// The causes.
        message: String,
    },
    /// The TLS handshake failed (not retried).
    #[error("the TLS handshake failed: {message}")]
    Tls {
        /// The causes, with a hint when one applies.
        message: String,
    },
    /// The connection failed after it was established, before a response arrived.
    #[error("the request failed: {message}")]
    Network {
        /// The causes.
        message: String,
    },
    /// The server answered with a status of 400 or more; its `Display` is a short summary
    /// (see [`http_error_summary`](crate::http_error_summary)).
    #[error(
        "the server answered {}{}",
        http_error_summary(*status, content_type.as_deref(), body),
        retry_hint(*retry_after)
    )]
    Status {
        /// The status code.
        status: u16,
        /// The server's `Retry-After`, if any.
        retry_after: Option<Duration>,
        /// The answer's `Content-Type`, if any.
        content_type: Option<String>,
        /// The start of the body (at most 16 KiB), for error details such as OFREP's
        /// `errorCode`.
        body: Bytes,
        /// The answer's headers (a service's usage or rate-limit headers ride on its errors
        /// too).
        headers: Headers,
    },
    /// The body is larger than the configured limit.
    #[error(
        "the response is larger than the limit of {limit} bytes; raise `max_body` if it is expected"
    )]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The circuit breaker is open: no request was sent.
    #[error("the circuit breaker is open after repeated failures; no request sent{}", open_hint(*retry_in))]
    CircuitOpen {
        /// When the next attempt may go through (zero: a probe is in flight).
        retry_in: Duration,
    },
    /// The server answered 429 with a `Retry-After` that has not passed yet: requests to its
    /// origin fail fast, without I/O, until `until`.
    #[error(
        "rate limited by the server; no request until its `Retry-After` passes (in {} ms)",
        until.saturating_duration_since(Instant::now()).as_millis()
    )]
    RateLimited {
        /// When requests to this origin go out again.
        until: Instant,
        /// The headers of the 429 that opened the window, when this error is that answer;
        /// empty for a request refused without I/O while the window lasts.
        headers: Headers,
    },
    /// Reading the body failed.
    #[error("cannot read the response body: {message}")]
    Body {
        /// The causes.
        message: String,
    },
    /// The request cannot be sent (a bad URL or header); not retried.
    #[error("invalid request: {message}")]
    InvalidRequest {
        /// What is wrong (without the URL or header values).
        message: String,
    },
}

fn retry_hint(retry_after: Option<Duration>) -> String {
    retry_after
        .map(|d| format!(" (retry after {} s)", d.as_secs()))
        .unwrap_or_default()
}

fn deadline_hint(attempts: u32, joined: bool) -> String {
    match (attempts, joined) {
        (0, true) => " (waiting for an identical request in flight)".to_owned(),
        (0, false) => " (no time left for an attempt)".to_owned(),
        (1, _) => " (1 attempt)".to_owned(),
        (n, _) => format!(" ({n} attempts)"),
    }
}

fn open_hint(retry_in: Duration) -> String {
    if retry_in.is_zero() {
        "; a probe request is in flight".to_owned()
    } else {
        format!("; next attempt in {} ms", retry_in.as_millis())
    }
}

impl TransportError {
    /// The HTTP status, for [`Status`](Self::Status) (and `429` for
    /// [`RateLimited`](Self::RateLimited)).
    pub fn status(&self) -> Option<u16> {
        match self {
            TransportError::Status { status, .. } => Some(*status),
            TransportError::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    /// The headers of the answer this error is, when it is one (a status of 400 or more, or
    /// the 429 that opened a rate-limit window), and it had any.
    pub fn headers(&self) -> Option<&Headers> {
        match self {
            TransportError::Status { headers, .. }
            | TransportError::RateLimited { headers, .. }
                if !headers.is_empty() =>
            {
                Some(headers)
            }
            _ => None,
        }
    }

    /// Whether the transport retries this failure (when it has retries left).
    pub fn is_retryable(&self) -> bool {
        match self {
            TransportError::Timeout
            | TransportError::Connect { .. }
            | TransportError::Network { .. }
            | TransportError::Body { .. } => true,
            TransportError::Status { status, .. } => *status >= 500 || *status == 429,
            TransportError::RateLimited { .. } => true,
            TransportError::Tls { .. }
            | TransportError::DeadlineExceeded { .. }
            | TransportError::TooLarge { .. }
            | TransportError::CircuitOpen { .. }
            | TransportError::InvalidRequest { .. } => false,
        }
    }

    /// Whether no request was sent because of the breaker or a rate limit window.
    pub fn is_fail_fast(&self) -> bool {
        matches!(
            self,
            TransportError::CircuitOpen { .. } | TransportError::RateLimited { .. }
        )
    }

    pub(crate) fn outcome(&self) -> Outcome {
        match self {
            TransportError::Timeout
            | TransportError::Connect { .. }
            | TransportError::Tls { .. }
            | TransportError::Network { .. }
            | TransportError::Body { .. } => Outcome::Failure,
            TransportError::Status { status, .. } if *status >= 500 => Outcome::Failure,
            TransportError::Status { .. } | TransportError::RateLimited { .. } => Outcome::Success,
            // The attempt's own timeout was reported as it happened.
            TransportError::DeadlineExceeded { .. }
            | TransportError::TooLarge { .. }
            | TransportError::CircuitOpen { .. }
            | TransportError::InvalidRequest { .. } => Outcome::Neutral,
        }
    }
}
