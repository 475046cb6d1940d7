//! HTTP for the runtime: the shared [`Transport`] of the remote providers and of HTTP polling,
//! from the `flags-http` crate (see its documentation for the whole behaviour). Its API is made
//! of this crate's own types: no `reqwest` or rustls type appears in it.
//!
//! A [`Transport`] adds what a flag service client needs on a bad network: a timeout per
//! attempt and a [deadline](TransportConfig::deadline) per call, retries with capped
//! exponential backoff and full jitter honouring `Retry-After` (delta-seconds or an HTTP date),
//! a circuit breaker ([`CircuitState`]), a per-origin fail-fast window after a 429,
//! coalescing of identical requests in flight, a response size limit, secret headers, a custom
//! CA and mutual TLS.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use flags_runtime::transport::{Request, TransportConfig};
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

pub use flags_http::{
    CircuitState, ConfigError, Deadline, EXCERPT_CHARS, Headers, HeadersFactory, MAX_DEADLINE,
    Method, Request, Response, Stream, Transport, TransportConfig, TransportError, TransportStats,
    http_error_summary, parse_retry_after, redact_url,
};
pub(crate) use flags_http::{excerpt, is_html, jitter};

impl From<ConfigError> for crate::Error {
    fn from(error: ConfigError) -> Self {
        crate::Error::Source {
            origin: "the HTTP transport".to_owned(),
            message: error.to_string(),
        }
    }
}
