//! [`Transport`]: one request's attempts, retries, deadline, breaker, rate-limit window and
//! coalescing, and the reading of its answer.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use reqwest::header::{self, HeaderMap};

use crate::breaker::{Breaker, CircuitState, Outcome};
use crate::classify::{causes, classify};
use crate::coalesce::{InFlight, Key};
use crate::headers::header_pair;
use crate::request::parse_url;
use crate::retry::{MAX_DELAY, backoff, parse_retry_after};
use crate::{
    ConfigError, Deadline, Headers, Method, Request, Response, TransportConfig, TransportError,
    UrlError,
};

/// The most of an error response's body kept in [`TransportError::Status`].
const ERROR_BODY_LIMIT: usize = 16 * 1024;
/// The least time a retry must have before the deadline to be started: a tenth of the
/// timeout, at most this.
const MIN_RETRY_BUDGET: Duration = Duration::from_millis(100);

/// Counters of a transport (cumulative, all clones together).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportStats {
    /// HTTP attempts started (each retry counts).
    pub requests: u64,
    /// Retries (attempts after a first one).
    pub retries: u64,
    /// Callers that joined an identical request in flight instead of sending their own.
    pub coalesced: u64,
    /// Calls that failed fast, without I/O (breaker open, rate limit window).
    pub failed_fast: u64,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    retries: AtomicU64,
    coalesced: AtomicU64,
    failed_fast: AtomicU64,
}

/// A validated request, with its merged headers.
pub(crate) struct Prepared {
    pub(crate) method: Method,
    pub(crate) url: reqwest::Url,
    pub(crate) origin: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Bytes>,
}

impl Prepared {
    /// A `reqwest` request of this, the body included.
    pub(crate) fn builder(&self, client: &reqwest::Client) -> reqwest::RequestBuilder {
        let builder = client
            .request(self.method.to_reqwest(), self.url.clone())
            .headers(self.headers.clone());
        match &self.body {
            Some(body) => builder.body(body.clone()),
            None => builder,
        }
    }
}

pub(crate) struct Inner {
    pub(crate) client: reqwest::Client,
    /// The static headers and the bearer token, marked sensitive.
    headers: HeaderMap,
    breaker: Breaker,
    /// Per origin: no request before this instant (429 with `Retry-After`).
    limits: Mutex<HashMap<String, Instant>>,
    in_flight: InFlight,
    pub(crate) stats: Counters,
    pub(crate) config: TransportConfig,
}

/// The HTTP transport shared by remote providers: one connection pool, retries, a circuit
/// breaker, coalescing, limits (see the [crate](crate) documentation). Cheap to clone (an
/// `Arc`); clones share everything, counters and breaker included.
///
/// [`send`](Self::send) may be polled from any tokio runtime with the I/O and time drivers
/// (`enable_all`), current-thread or multi-thread. Pooled connections are driven by the
/// runtime that opened them: drive one transport from one long-lived runtime where possible
/// (a connection whose runtime is gone is discarded, and such a failure is retried).
#[derive(Clone)]
pub struct Transport {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("config", &self.inner.config)
            .field("circuit", &self.circuit_state())
            .field("stats", &self.stats())
            .finish()
    }
}

impl Transport {
    /// The transport of a validated configuration ([`TransportConfig::build`]).
    pub(crate) fn from_parts(
        client: reqwest::Client,
        headers: HeaderMap,
        config: TransportConfig,
    ) -> Transport {
        Transport {
            inner: Arc::new(Inner {
                client,
                headers,
                breaker: Breaker::new(config.breaker_threshold(), config.breaker_open_for),
                limits: Mutex::new(HashMap::new()),
                in_flight: InFlight::default(),
                stats: Counters::default(),
                config,
            }),
        }
    }

    /// A transport with the default configuration.
    pub fn new() -> Result<Transport, ConfigError> {
        TransportConfig::new().build()
    }

    /// The configuration builder.
    pub fn builder() -> TransportConfig {
        TransportConfig::new()
    }

    /// The circuit breaker's state.
    pub fn circuit_state(&self) -> CircuitState {
        self.inner.breaker.state()
    }

    /// The counters.
    pub fn stats(&self) -> TransportStats {
        let c = &self.inner.stats;
        TransportStats {
            requests: c.requests.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            coalesced: c.coalesced.load(Ordering::Relaxed),
            failed_fast: c.failed_fast.load(Ordering::Relaxed),
        }
    }

    /// The configured [deadline](TransportConfig::deadline) of one call.
    pub fn deadline(&self) -> Duration {
        self.inner.config.effective_deadline()
    }

    /// Sends `request`: retried, coalesced and limited as configured, and answered within the
    /// [deadline](TransportConfig::deadline) from now. A status below 400 is a [`Response`];
    /// 400 and above is a [`TransportError::Status`] (or [`TransportError::RateLimited`] for
    /// a 429 with `Retry-After`).
    pub async fn send(&self, request: Request) -> Result<Response, TransportError> {
        self.send_until(request, Deadline::after(self.deadline()))
            .await
    }

    /// [`send`](Self::send), answered by `deadline` rather than within the configured deadline
    /// from now: several calls that make one operation (the flags of one struct, say) share
    /// one deadline. After `deadline`, no attempt is started and a caller waiting for an
    /// identical request in flight stops waiting; either way
    /// [`TransportError::DeadlineExceeded`].
    pub async fn send_until(
        &self,
        request: Request,
        deadline: Deadline,
    ) -> Result<Response, TransportError> {
        let prepared = self.prepare(request)?;
        self.check_limit(&prepared.origin)?;
        let attempts = AtomicU32::new(0);
        let cut_off = |joined: bool| TransportError::DeadlineExceeded {
            deadline: deadline.budget(),
            attempts: attempts.load(Ordering::Relaxed),
            joined,
        };
        if deadline.has_passed() {
            return Err(cut_off(false));
        }
        let until = tokio::time::Instant::from_std(deadline.instant());
        if !self.inner.config.coalesce {
            // The attempts keep to the deadline themselves; this bounds what they cannot
            // (a name lookup that ignores its timeout, say).
            let work = self.execute(&prepared, deadline, &attempts);
            return match tokio::time::timeout_at(until, work).await {
                Ok(result) => result,
                Err(_) => Err(cut_off(false)),
            };
        }
        let key = Key::new(
            prepared.method,
            &prepared.url,
            &prepared.headers,
            prepared.body.as_ref(),
        );
        let (cell, joined) = self.inner.in_flight.join(&key);
        if joined {
            self.inner.stats.coalesced.fetch_add(1, Ordering::Relaxed);
        }
        // Whoever runs the request (the caller that started it, or a caller that takes over
        // when that one gives up) runs it to its own deadline; everyone stops waiting at
        // their own.
        let work = cell.get_or_init(|| async {
            let _leave = self.inner.in_flight.leave_on_drop(&key, &cell);
            self.execute(&prepared, deadline, &attempts).await
        });
        match tokio::time::timeout_at(until, work).await {
            Ok(result) => result.clone(),
            Err(_) => Err(cut_off(joined && attempts.load(Ordering::Relaxed) == 0)),
        }
    }

    /// Parses the URL and merges the headers: static and bearer, then the factory's, then the
    /// request's.
    pub(crate) fn prepare(&self, request: Request) -> Result<Prepared, TransportError> {
        let invalid = |message: String| TransportError::InvalidRequest { message };
        let url = parse_url(&request.url).map_err(|e| {
            invalid(match e {
                UrlError::Unparsable { reason } => format!("the URL cannot be parsed ({reason})"),
                UrlError::Scheme { scheme } => {
                    format!("the URL's scheme is `{scheme}`; use `http` or `https`")
                }
            })
        })?;
        let origin = url.origin().ascii_serialization();
        let mut headers = self.inner.headers.clone();
        let factory = self
            .inner
            .config
            .headers_factory
            .as_ref()
            .map(|f| f())
            .unwrap_or_default();
        // Within each layer, several values of a name are all sent; a layer replaces the
        // names it sets in the layers below.
        for layer in [factory, request.headers] {
            let mut replaced = Vec::new();
            for (name, value) in &layer {
                let (name, value) = header_pair(name, value)
                    .map_err(|name| invalid(format!("header `{name}` is not valid HTTP")))?;
                if !replaced.contains(&name) {
                    headers.remove(&name);
                    replaced.push(name.clone());
                }
                headers.append(name, value);
            }
        }
        Ok(Prepared {
            method: request.method,
            url,
            origin,
            headers,
            body: request.body,
        })
    }

    pub(crate) fn check_limit(&self, origin: &str) -> Result<(), TransportError> {
        let mut limits = self.inner.limits.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        match limits.get(origin) {
            Some(&until) if now < until => {
                self.inner.stats.failed_fast.fetch_add(1, Ordering::Relaxed);
                Err(TransportError::RateLimited {
                    until,
                    headers: Headers::new(),
                })
            }
            Some(_) => {
                limits.remove(origin);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// The attempts of one request, within `deadline`; `attempts` counts them.
    async fn execute(
        &self,
        request: &Prepared,
        deadline: Deadline,
        attempts: &AtomicU32,
    ) -> Result<Response, TransportError> {
        let config = &self.inner.config;
        let min_retry_budget = (config.timeout / 10).min(MIN_RETRY_BUDGET);
        let mut retry = 0;
        loop {
            if retry > 0 {
                self.check_limit(&request.origin)?;
            }
            let remaining = deadline.remaining();
            if remaining.is_zero() {
                return Err(TransportError::DeadlineExceeded {
                    deadline: deadline.budget(),
                    attempts: attempts.load(Ordering::Relaxed),
                    joined: false,
                });
            }
            let permit = self.inner.breaker.acquire().map_err(|retry_in| {
                self.inner.stats.failed_fast.fetch_add(1, Ordering::Relaxed);
                TransportError::CircuitOpen { retry_in }
            })?;
            self.inner.stats.requests.fetch_add(1, Ordering::Relaxed);
            attempts.fetch_add(1, Ordering::Relaxed);
            let budget = config.timeout.min(remaining);
            // The attempt's own timer ends no later than the deadline, so when both end in the
            // same tick the caller's cut-off (which polls the attempt first) sees the attempt's
            // timeout, and the breaker hears of it.
            let attempt_until = (tokio::time::Instant::now() + config.timeout)
                .min(tokio::time::Instant::from_std(deadline.instant()));
            let result = tokio::time::timeout_at(attempt_until, self.attempt(request, budget))
                .await
                .unwrap_or(Err(TransportError::Timeout));
            let error = match result {
                Ok(response) => {
                    permit.report(Outcome::Success);
                    return Ok(response);
                }
                Err(error) => error,
            };
            // An attempt the deadline cut well short of the timeout says little about the
            // server: it does not count towards opening the breaker.
            let cut_short = budget < config.timeout / 2;
            permit.report(match error {
                TransportError::Timeout if cut_short => Outcome::Neutral,
                _ => error.outcome(),
            });
            // A timeout with no time left for a retry is the deadline's doing.
            let out_of_time = |error: TransportError| match error {
                TransportError::Timeout => TransportError::DeadlineExceeded {
                    deadline: deadline.budget(),
                    attempts: attempts.load(Ordering::Relaxed),
                    joined: false,
                },
                error => error,
            };
            if !error.is_retryable() || retry >= config.retries {
                return Err(if budget < config.timeout {
                    out_of_time(error)
                } else {
                    error
                });
            }
            let asked = match &error {
                TransportError::Status { retry_after, .. } => *retry_after,
                TransportError::RateLimited { until, .. } => {
                    Some(until.saturating_duration_since(Instant::now()))
                }
                _ => None,
            };
            let wait = backoff(config.retry_delay, retry).max(asked.unwrap_or_default());
            // A server that asks for a longer wait than one request may take is not waited
            // for: the caller gets the error now (a rate limit fails fast until it passes).
            if wait > MAX_DELAY || asked.is_some_and(|asked| asked > config.timeout) {
                return Err(error);
            }
            // Nor is a wait that would leave the retry too little time before the deadline.
            let remaining = deadline.remaining();
            if wait.saturating_add(min_retry_budget) > remaining {
                tracing::debug!(
                    target: "flags",
                    "not retrying: {} ms left before the deadline after: {error}",
                    remaining.as_millis()
                );
                return Err(out_of_time(error));
            }
            tracing::debug!(target: "flags", "retrying in {} ms after: {error}", wait.as_millis());
            tokio::time::sleep(wait).await;
            retry += 1;
            self.inner.stats.retries.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// One HTTP exchange, from connecting to the end of the body within `timeout`.
    async fn attempt(
        &self,
        request: &Prepared,
        timeout: Duration,
    ) -> Result<Response, TransportError> {
        let config = &self.inner.config;
        let mut response = request
            .builder(&self.inner.client)
            .timeout(timeout)
            .send()
            .await
            .map_err(classify)?;
        let status = response.status().as_u16();
        let headers = std::mem::take(response.headers_mut());
        if status >= 400 {
            return Err(self.status_error(request, status, &headers, response).await);
        }
        if response
            .content_length()
            .is_some_and(|n| n > config.max_body)
        {
            return Err(TransportError::TooLarge {
                limit: config.max_body,
            });
        }
        let body = read_body(&mut response, config.max_body, false).await?;
        Ok(Response {
            status,
            headers: Headers::from_map(headers),
            body,
        })
    }

    /// The error for an answer of 400 or more: a 429 with `Retry-After` opens the origin's
    /// fail-fast window.
    pub(crate) async fn status_error(
        &self,
        request: &Prepared,
        status: u16,
        headers: &HeaderMap,
        mut response: reqwest::Response,
    ) -> TransportError {
        let retry_after = headers
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        if status == 429
            && let Some(wait) = retry_after
        {
            let until = Instant::now() + wait.min(Duration::from_secs(24 * 3600));
            tracing::warn!(
                target: "flags",
                "rate limited (429); no request to this origin for {} s",
                wait.as_secs()
            );
            self.inner
                .limits
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(request.origin.clone(), until);
            return TransportError::RateLimited {
                until,
                headers: Headers::from_map(headers.clone()),
            };
        }
        // The start of the body, for error details; a failure to read it loses only that.
        let body = read_body(&mut response, ERROR_BODY_LIMIT as u64, true)
            .await
            .unwrap_or_default();
        TransportError::Status {
            status,
            retry_after,
            content_type: headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body,
            headers: Headers::from_map(headers.clone()),
        }
    }
}

/// The body, up to `limit` bytes: beyond it, an error (or, with `truncate`, the first `limit`
/// bytes).
async fn read_body(
    response: &mut reqwest::Response,
    limit: u64,
    truncate: bool,
) -> Result<Bytes, TransportError> {
    let limit_usize = usize::try_from(limit).unwrap_or(usize::MAX);
    let hint = response
        .content_length()
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0)
        .min(limit_usize)
        .min(1 << 20);
    let mut body = BytesMut::with_capacity(hint);
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return Ok(body.freeze()),
            Err(error) if error.is_timeout() => return Err(TransportError::Timeout),
            Err(error) => {
                return Err(TransportError::Body {
                    message: causes(&error),
                });
            }
        };
        if body.len().saturating_add(chunk.len()) > limit_usize {
            if truncate {
                body.extend_from_slice(&chunk[..limit_usize - body.len()]);
                return Ok(body.freeze());
            }
            return Err(TransportError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
}
