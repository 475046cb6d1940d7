//! Polling a flag file (`source::http`), Flagship's definitions (`source::flagship`) or a Flipt
//! namespace (`source::flipt`) over HTTP: one background thread per provider, running a
//! current-thread tokio runtime.
//!
//! Each poll sends `If-None-Match` with the ETag of the configuration in use; `304` means
//! nothing to do (and is a protocol error in answer to an unconditional request); a response
//! without an ETag makes the next polls unconditional. The ETag of
//! a response is kept only once its configuration has been compiled and swapped in, so an
//! invalid body is fetched (and rejected) again rather than skipped for good; a source that
//! asks for it (Flipt's) forgets it after any failed poll. A poll still in flight when the
//! provider stops is dropped: it never applies.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use flags_http::{
    Request, Transport, TransportConfig, TransportError, UrlError, check_url, http_error_summary,
    is_header_name, is_header_value, jitter, redact_url,
};
use tokio::sync::mpsc;

use super::shared::{Failure, Origin, Shared};
use super::worker::{Command, Failed, Worker};
use crate::error::Error;
use crate::source::http::HttpConfig;

/// Starts polling for `shared`. Fails on an invalid URL or header.
pub(crate) fn start(shared: Arc<Shared>, config: HttpConfig) -> Result<Worker, Error> {
    let invalid = |message: String| Error::Source {
        origin: shared.describe().to_owned(),
        message,
    };
    check_url(&config.url).map_err(|error| {
        invalid(match error {
            UrlError::Unparsable { reason } => format!("not a valid URL: {reason}"),
            other => other.to_string(),
        })
    })?;
    let transport = transport_config(&config).map_err(invalid)?;
    let (tx, rx) = mpsc::unbounded_channel::<Command>();
    let worker_shared = shared.clone();
    Worker::spawn(
        "flags-poll",
        move |command| tx.send(command).is_ok(),
        move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => {
                    worker_shared.record_failure(
                        Failure::Unreachable,
                        format!("cannot start the polling runtime: {error}"),
                    );
                    return;
                }
            };
            runtime.block_on(run(&worker_shared, &config, transport, rx));
            // Without waiting for a name lookup still running on the blocking pool.
            runtime.shutdown_background();
        },
    )
    .map_err(|error| invalid(format!("cannot start the polling thread: {error}")))
}

/// The shared transport's settings for polling, over the source's own (breaker, TLS): the
/// source's attempts per poll (a plain flag file: one, the next poll is the retry), its timeout
/// for connecting and for each attempt, its body limit, and its headers after `Accept` (a
/// header of the same name replaces an earlier one). Redirects may leave the origin only when
/// no credential would follow them.
pub(crate) fn transport_config(config: &HttpConfig) -> Result<TransportConfig, String> {
    // The transport refuses a zero timeout; the shortest one fails every poll at once, as a
    // zero timeout always did.
    let timeout = config.timeout.max(Duration::from_nanos(1));
    let credentials =
        config.bearer.is_some() || !config.headers.is_empty() || config.headers_factory.is_some();
    let mut transport = config
        .transport
        .clone()
        .timeout(timeout)
        .connect_timeout(timeout)
        .retries(config.retries)
        .retry_delay(config.retry_delay)
        // The transport refuses a zero limit; one byte is no flag file either.
        .max_body(u64::try_from(config.max_body.max(1)).unwrap_or(u64::MAX))
        .cross_origin_redirects(!credentials)
        .header("accept", "application/json");
    if let Some(deadline) = config.deadline {
        transport = transport.deadline(deadline.clamp(timeout, flags_http::MAX_DEADLINE));
    }
    if let Some(token) = &config.bearer {
        let value = format!("Bearer {}", token.0);
        if !is_header_value(&value) {
            return Err("the bearer token is not a valid header value".to_owned());
        }
        transport = transport.header("authorization", value);
    }
    for (name, value) in &config.headers {
        if !is_header_name(name) {
            return Err(format!("`{name}` is not a valid header name"));
        }
        if !is_header_value(&value.0) {
            return Err(format!("the value of header `{name}` is not valid"));
        }
        transport = transport.header(name.as_str(), &*value.0);
    }
    Ok(transport)
}

/// What one poll found.
enum Fetched {
    Body {
        bytes: Vec<u8>,
        etag: Option<String>,
    },
    NotModified,
    Failed {
        message: String,
        retry_after: Option<Duration>,
    },
    Fatal(String),
}

async fn run(
    shared: &Shared,
    config: &HttpConfig,
    transport: TransportConfig,
    mut commands: mpsc::UnboundedReceiver<Command>,
) {
    let transport = match transport.build() {
        Ok(transport) => transport,
        Err(error) => {
            shared.fatal(format!("cannot set up the HTTP client: {error}"));
            return;
        }
    };
    // Names the body in messages: the URL without credentials.
    let name = redact_url(&config.url);
    let mut etag: Option<String> = None;
    let mut waiting: Vec<std::sync::mpsc::Sender<Result<(), Failed>>> = Vec::new();
    let mut delay = Duration::ZERO;
    loop {
        // Until the next poll, a refresh request or stop.
        if waiting.is_empty() {
            match race(tokio::time::sleep(delay), commands.recv()).await {
                Either::Left(()) => {}
                Either::Right(Some(Command::Refresh(reply))) => waiting.push(reply),
                Either::Right(Some(Command::Stop) | None) => return,
            }
        }
        if shared.is_closed() {
            return;
        }
        let fetched = {
            let mut fetch = pin!(fetch(&transport, config, &name, etag.as_deref()));
            loop {
                match race(fetch.as_mut(), commands.recv()).await {
                    Either::Left(fetched) => break fetched,
                    Either::Right(Some(Command::Refresh(reply))) => waiting.push(reply),
                    Either::Right(Some(Command::Stop) | None) => return,
                }
            }
        };
        if shared.is_closed() {
            return;
        }
        let mut fatal = false;
        let mut retry_after = None;
        let outcome = match fetched {
            Fetched::Body { bytes, etag: new } => match String::from_utf8(bytes) {
                Ok(text) => match shared.apply(&text, &name, Origin::Live) {
                    Ok(()) => {
                        // Only now: the state this ETag names is the one in use.
                        etag = new;
                        Ok(())
                    }
                    Err(error) => {
                        shared.failed(&error);
                        Err(Failed::Rejected(error.to_string()))
                    }
                },
                Err(_) => {
                    let message = format!("{} sent a body that is not UTF-8", shared.describe());
                    shared.record_failure(Failure::Rejected, message.clone());
                    Err(Failed::Rejected(message))
                }
            },
            Fetched::NotModified => {
                shared.confirmed();
                Ok(())
            }
            Fetched::Failed {
                message,
                retry_after: after,
            } => {
                retry_after = after;
                shared.record_failure(Failure::Unreachable, message.clone());
                Err(Failed::Fetch(message))
            }
            Fetched::Fatal(message) => {
                fatal = true;
                shared.fatal(message.clone());
                Err(Failed::Fatal(message))
            }
        };
        for reply in waiting.drain(..) {
            let _ = reply.send(outcome.clone());
        }
        if fatal {
            // Polling stops; a refresh request gets the reason.
            while let Some(command) = commands.recv().await {
                match command {
                    Command::Refresh(reply) => {
                        let _ = reply.send(outcome.clone());
                    }
                    Command::Stop => return,
                }
            }
            return;
        }
        if outcome.is_err() && config.forget_etag_on_error {
            etag = None;
        }
        delay = next_delay(config, retry_after);
    }
}

/// The interval plus a random jitter, or longer when the server asked for it.
fn next_delay(config: &HttpConfig, retry_after: Option<Duration>) -> Duration {
    config
        .interval
        .saturating_add(jitter(config.jitter()))
        .max(retry_after.unwrap_or_default())
}

/// One poll: `GET` (or `POST` with the config's JSON body) with `If-None-Match`, through the transport (its breaker, rate-limit
/// window and deadline), with the headers factory's headers when there is one (over the
/// token; `If-None-Match` stays the poll's). `origin` names the URL in messages.
async fn fetch(
    transport: &Transport,
    config: &HttpConfig,
    origin: &str,
    etag: Option<&str>,
) -> Fetched {
    let failed = |message: String| Fetched::Failed {
        message,
        retry_after: None,
    };
    let mut request = match &config.post_json {
        Some(body) => Request::post_json(config.url.as_str(), body.clone()),
        None => Request::get(config.url.as_str()),
    };
    let mut conditional = etag.is_some();
    if let Some(factory) = &config.headers_factory {
        // User code: a panic fails this poll, not the polling thread.
        let Ok(headers) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| factory()))
        else {
            return failed(format!(
                "the headers factory panicked; `{origin}` was not asked"
            ));
        };
        for (name, value) in headers {
            let validator = name.eq_ignore_ascii_case("if-none-match");
            if etag.is_none() || !validator {
                conditional |= validator;
                request = request.header(name, value);
            }
        }
    }
    if let Some(etag) = etag {
        request = request.header("if-none-match", etag);
    }
    match transport.send(request).await {
        Ok(response) if response.is_not_modified() && !conditional => failed(format!(
            "`{origin}` answered 304 Not Modified to a request without `If-None-Match`: a \
             protocol error"
        )),
        Ok(response) if response.is_not_modified() => Fetched::NotModified,
        Ok(response) if (200..300).contains(&response.status) => Fetched::Body {
            etag: response.etag().map(str::to_owned),
            bytes: response.body.into(),
        },
        // A redirect not followed, say.
        Ok(response) => failed(format!(
            "`{origin}` answered {}",
            http_error_summary(response.status, response.content_type(), &response.body)
        )),
        Err(TransportError::Status { status, .. }) if status == 401 || status == 403 => {
            let status = http_error_summary(status, None, b"");
            let status = status.trim_start_matches("HTTP ");
            Fetched::Fatal(format!(
                "`{origin}` refused the credentials ({status}); polling stopped"
            ))
        }
        Err(TransportError::Status {
            status,
            retry_after,
            content_type,
            body,
            ..
        }) => Fetched::Failed {
            message: format!(
                "`{origin}` answered {}",
                http_error_summary(status, content_type.as_deref(), &body)
            ),
            retry_after,
        },
        Err(TransportError::RateLimited { until, .. }) => {
            let wait = until.saturating_duration_since(Instant::now());
            Fetched::Failed {
                message: format!(
                    "`{origin}` answered {}; no request before its `Retry-After` passes (in {} ms)",
                    http_error_summary(429, None, b""),
                    wait.as_millis()
                ),
                retry_after: Some(wait),
            }
        }
        Err(TransportError::TooLarge { .. }) => failed(format!(
            "`{origin}` sent a body larger than {} bytes",
            config.max_body
        )),
        Err(TransportError::Body { message }) => {
            failed(format!("cannot read the body from `{origin}`: {message}"))
        }
        Err(TransportError::Timeout | TransportError::DeadlineExceeded { .. }) => failed(format!(
            "cannot reach `{origin}`: timed out after {} ms",
            config.timeout.as_millis()
        )),
        Err(error) => failed(format!("cannot reach `{origin}`: {error}")),
    }
}

pub(crate) enum Either<A, B> {
    Left(A),
    Right(B),
}

/// Whichever of `a` and `b` finishes first (`a` when both are ready); the other is dropped.
pub(crate) async fn race<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let mut a = pin!(a);
    let mut b = pin!(b);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(out) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(out));
        }
        if let Poll::Ready(out) = b.as_mut().poll(cx) {
            return Poll::Ready(Either::Right(out));
        }
        Poll::Pending
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_is_the_interval_plus_at_most_the_jitter_or_what_the_server_asked() {
        let config = crate::source::http("http://127.0.0.1/")
            .interval(Duration::from_millis(100))
            .jitter(Duration::from_millis(50))
            .config_for_tests();
        let delays: Vec<Duration> = (0..200).map(|_| next_delay(&config, None)).collect();
        assert!(delays.iter().all(|d| *d >= Duration::from_millis(100)));
        assert!(delays.iter().all(|d| *d <= Duration::from_millis(150)));
        // 200 draws from 51 values are not all equal.
        assert!(delays.iter().any(|d| *d != delays[0]), "{delays:?}");
        assert_eq!(
            next_delay(&config, Some(Duration::from_secs(5))),
            Duration::from_secs(5)
        );
        let default = crate::source::http("http://127.0.0.1/").config_for_tests();
        assert_eq!(default.jitter(), crate::source::http::DEFAULT_INTERVAL / 10);
    }
}
