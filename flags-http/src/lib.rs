//! HTTP for [`flags`](https://docs.rs/flags): the one transport of the runtime's remote
//! providers, its HTTP polling and `flags-build`'s sync, and the helpers they share (URL
//! redaction, HTTP dates, the SSE parser and the NDJSON line reader, short summaries of error
//! answers). One retry policy,
//! one redaction, one date parser. Users reach the transport as `flags::transport`.
//!
//! A [`Transport`] wraps one HTTP client (`reqwest`, rustls with `ring`; neither appears in
//! this crate's API) and adds what a flag service client needs on a bad network:
//!
//! - a timeout per attempt (connection, headers and body) and a connect timeout;
//! - one deadline per call ([`TransportConfig::deadline`], by default the timeout) bounding
//!   every attempt, every wait between attempts and the wait for an identical request in
//!   flight: a caller never waits past it;
//! - retries with capped exponential backoff and full jitter, honouring `Retry-After`, for
//!   transport failures, body read failures, 5xx and 429 only (never 400, 401, 403, 404 nor
//!   any other 4xx), each only when it can still finish before the deadline;
//! - a circuit breaker ([`CircuitState`]), opened by consecutive transport/5xx failures;
//! - a per-origin fail-fast window after a 429 with `Retry-After` ([`TransportError::RateLimited`]);
//! - coalescing: identical requests in flight at the same time share one HTTP call;
//! - a response size limit, checked on `Content-Length` and while reading;
//! - static headers, a bearer token and a per-request headers factory, all redacted from
//!   `Debug`, logs and errors;
//! - a custom CA and a client identity (mutual TLS).
//!
//! [`Transport::open_stream`] opens a long-lived response (server-sent events, read with
//! [`sse::SseParser`]; newline-delimited JSON, read with [`ndjson::NdjsonReader`]) with the
//! same client, headers and TLS, and reads its body as it arrives.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use flags_http::{Request, TransportConfig};
//!
//! let transport = TransportConfig::new()
//!     .timeout(Duration::from_secs(2))
//!     .deadline(Duration::from_secs(5)) // retries included
//!     .retries(2)
//!     .bearer_token("secret")
//!     .build()?;
//! let response = transport
//!     .send(Request::post_json(
//!         "https://flags.example.com/ofrep/v1/evaluate/flags",
//!         r#"{"context":{"targetingKey":"user-1"}}"#,
//!     ))
//!     .await?;
//! assert_eq!(response.status, 200);
//! # Ok(()) }
//! ```
//!
//! Without the `client` feature (on by default), only what needs no I/O is built: [`date`],
//! [`redact_url`], [`sse`], [`ndjson`], [`backoff`], [`jitter`] and [`parse_retry_after`], with no
//! dependency at all.
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

pub mod date;
pub mod ndjson;
mod redact;
mod retry;
pub mod sse;

#[cfg(feature = "client")]
mod breaker;
#[cfg(feature = "client")]
mod classify;
#[cfg(feature = "client")]
mod coalesce;
#[cfg(feature = "client")]
mod config;
#[cfg(feature = "client")]
mod deadline;
#[cfg(feature = "client")]
mod error;
#[cfg(feature = "client")]
mod headers;
#[cfg(feature = "client")]
mod request;
#[cfg(feature = "client")]
mod stream;
#[cfg(feature = "client")]
mod summary;
#[cfg(feature = "client")]
mod tls;
#[cfg(feature = "client")]
mod transport;

pub use redact::redact_url;
pub use retry::{MAX_DELAY, backoff, jitter, parse_retry_after};

#[cfg(feature = "client")]
pub use breaker::CircuitState;
#[cfg(feature = "client")]
pub use config::{HeadersFactory, MAX_DEADLINE, TransportConfig};
#[cfg(feature = "client")]
pub use deadline::Deadline;
#[cfg(feature = "client")]
pub use error::{ConfigError, TransportError};
#[cfg(feature = "client")]
pub use headers::{Headers, is_header_name, is_header_value};
#[cfg(feature = "client")]
pub use request::{Method, Request, Response, UrlError, check_url};
#[cfg(feature = "client")]
pub use stream::Stream;
#[cfg(feature = "client")]
pub use summary::{EXCERPT_CHARS, excerpt, http_error_summary, is_html};
#[cfg(feature = "client")]
pub use transport::{Transport, TransportStats};
