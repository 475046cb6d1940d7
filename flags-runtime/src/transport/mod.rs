//! HTTP for the runtime: the shared [`Transport`] of the remote providers, and the plumbing
//! shared with the HTTP sources and `flags-build`'s sync (one TLS set-up, error messages that
//! never carry a URL, short summaries of HTTP error answers, URL redaction).
//!
//! A [`Transport`] wraps one `reqwest` client (rustls with `ring`) and adds what a flag service
//! client needs on a bad network:
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
//! [`Transport::open_stream`] opens a long-lived response (server-sent events) with the same
//! client, headers and TLS, and reads its body as it arrives.
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

mod breaker;
mod client;
mod deadline;
mod retry;
mod summary;
mod tls;

pub use breaker::CircuitState;
pub use client::{
    ConfigError, HeadersFactory, MAX_DEADLINE, Method, Request, Response, Stream, Transport,
    TransportConfig, TransportError, TransportStats,
};
pub use deadline::Deadline;
pub(crate) use retry::jitter;
pub use retry::parse_retry_after;
pub use summary::{EXCERPT_CHARS, http_error_summary};
pub(crate) use summary::{excerpt, is_html};

use std::sync::Arc;

/// rustls with the `ring` provider and the platform's certificate verifier; without
/// platform roots, no root at all (plain `http` still works; `https` fails with a clear error).
pub fn tls_config() -> rustls::ClientConfig {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = || {
        rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
    };
    let config = builder()
        .and_then(|b| b.with_platform_verifier())
        .map(|b| b.with_no_client_auth());
    let mut config = match config {
        Ok(config) => config,
        Err(error) => {
            tracing::warn!(target: "flags", "no platform certificate verifier: {error}");
            match builder() {
                Ok(b) => b
                    .with_root_certificates(rustls::RootCertStore::empty())
                    .with_no_client_auth(),
                Err(_) => rustls::ClientConfig::builder_with_provider(provider.clone())
                    .with_protocol_versions(rustls::DEFAULT_VERSIONS)
                    .unwrap_or_else(|_| unreachable!("ring supports the default versions"))
                    .with_root_certificates(rustls::RootCertStore::empty())
                    .with_no_client_auth(),
            }
        }
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config
}

/// An error and its causes, without the URL (which may carry credentials).
pub fn describe_error(error: &reqwest::Error) -> String {
    let mut message = if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "cannot connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.ends_with(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// The URL without user information, query or fragment (where credentials hide).
pub fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.set_query(None);
            parsed.set_fragment(None);
            parsed.to_string()
        }
        // Not a URL: keep the scheme and host-looking part only.
        Err(_) => url
            .split(['?', '#'])
            .next()
            .map(|s| match s.rsplit_once('@') {
                Some((_, host)) => host.to_owned(),
                None => s.to_owned(),
            })
            .unwrap_or_default(),
    }
}
