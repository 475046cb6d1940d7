//! Polling a flag file over HTTP: one background thread per provider, running a
//! current-thread tokio runtime.
//!
//! Each poll sends `If-None-Match` with the ETag of the configuration in use; `304` means
//! nothing to do. The ETag of a response is kept only once its configuration has been
//! compiled and swapped in, so an invalid body is fetched (and rejected) again rather than
//! skipped for good.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use tokio::sync::mpsc;

use super::in_process::{Failure, Origin, Shared};
use super::worker::{Command, Failed, Worker};
use crate::error::Error;
use crate::source::http::HttpConfig;

/// Starts polling for `shared`. Fails on an invalid URL or header.
pub(crate) fn start(shared: Arc<Shared>, config: HttpConfig) -> Result<Worker, Error> {
    let invalid = |message: String| Error::Source {
        origin: shared.describe().to_owned(),
        message,
    };
    let url = reqwest::Url::parse(&config.url)
        .map_err(|error| invalid(format!("not a valid URL: {error}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(format!(
            "the scheme `{}` is not supported; use `https` or `http`",
            url.scheme()
        )));
    }
    let mut headers = HeaderMap::new();
    headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    if let Some(token) = &config.bearer {
        let mut value = HeaderValue::from_str(&format!("Bearer {}", token.0))
            .map_err(|_| invalid("the bearer token is not a valid header value".to_owned()))?;
        value.set_sensitive(true);
        headers.insert(header::AUTHORIZATION, value);
    }
    for (name, value) in &config.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| invalid(format!("`{name}` is not a valid header name")))?;
        let mut value = HeaderValue::from_str(&value.0)
            .map_err(|_| invalid(format!("the value of header `{name}` is not valid")))?;
        value.set_sensitive(true);
        headers.insert(name, value);
    }
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
            runtime.block_on(run(&worker_shared, &config, url, headers, rx));
            // Without waiting for a name lookup still running on the blocking pool.
            runtime.shutdown_background();
        },
    )
    .map_err(|error| invalid(format!("cannot start the polling thread: {error}")))
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
    url: reqwest::Url,
    headers: HeaderMap,
    mut commands: mpsc::UnboundedReceiver<Command>,
) {
    let client = match http_client(config, headers) {
        Ok(client) => client,
        Err(message) => {
            shared.fatal(message);
            return;
        }
    };
    // Names the body in messages: the URL without credentials.
    let name = crate::transport::redact_url(url.as_str());
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
            let mut fetch = pin!(fetch(&client, &url, config, etag.as_deref()));
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
        delay = next_delay(config, retry_after);
    }
}

/// The interval plus a random jitter, or longer when the server asked for it.
fn next_delay(config: &HttpConfig, retry_after: Option<Duration>) -> Duration {
    let jitter = config.jitter();
    let extra = match u64::try_from(jitter.as_millis()) {
        Ok(0) | Err(_) => Duration::ZERO,
        Ok(max) => Duration::from_millis(random() % (max + 1)),
    };
    (config.interval + extra).max(retry_after.unwrap_or_default())
}

/// A random number, from the standard library's randomly keyed hasher.
fn random() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    hasher.finish()
}

fn http_client(config: &HttpConfig, headers: HeaderMap) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .tls_backend_preconfigured(crate::transport::tls_config())
        .default_headers(headers)
        .timeout(config.timeout)
        .connect_timeout(config.timeout)
        .user_agent(concat!("flags/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| {
            format!(
                "cannot set up the HTTP client: {}",
                crate::transport::describe_error(&error)
            )
        })
}

async fn fetch(
    client: &reqwest::Client,
    url: &reqwest::Url,
    config: &HttpConfig,
    etag: Option<&str>,
) -> Fetched {
    let origin = crate::transport::redact_url(url.as_str());
    let mut request = client.get(url.clone());
    if let Some(etag) = etag.and_then(|e| HeaderValue::from_str(e).ok()) {
        request = request.header(header::IF_NONE_MATCH, etag);
    }
    let mut response = match request.send().await {
        Ok(response) => response,
        Err(error) => {
            return Fetched::Failed {
                message: format!(
                    "cannot reach `{origin}`: {}",
                    crate::transport::describe_error(&error)
                ),
                retry_after: None,
            };
        }
    };
    let status = response.status();
    match status {
        StatusCode::NOT_MODIFIED => return Fetched::NotModified,
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            return Fetched::Fatal(format!(
                "`{origin}` refused the credentials ({status}); polling stopped"
            ));
        }
        _ if !status.is_success() => {
            let retry_after = response
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let content_type = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let start = error_body_start(&mut response).await;
            let summary = crate::transport::http_error_summary(
                status.as_u16(),
                content_type.as_deref(),
                &start,
            );
            return Fetched::Failed {
                message: format!("`{origin}` answered {summary}"),
                retry_after,
            };
        }
        _ => {}
    }
    let etag = response
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut bytes = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if bytes.len() + chunk.len() > config.max_body {
                    return Fetched::Failed {
                        message: format!(
                            "`{origin}` sent a body larger than {} bytes",
                            config.max_body
                        ),
                        retry_after: None,
                    };
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(error) => {
                return Fetched::Failed {
                    message: format!(
                        "cannot read the body from `{origin}`: {}",
                        crate::transport::describe_error(&error)
                    ),
                    retry_after: None,
                };
            }
        }
    }
    Fetched::Body { bytes, etag }
}

/// The most of an error answer's body read, for its summary.
const ERROR_BODY: usize = 16 << 10;

/// The start of an error answer's body (what arrives of it within the timeout).
async fn error_body_start(response: &mut reqwest::Response) -> Vec<u8> {
    let mut start = Vec::new();
    while start.len() < ERROR_BODY {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = ERROR_BODY - start.len();
                start.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    start
}

enum Either<A, B> {
    Left(A),
    Right(B),
}

/// Whichever of `a` and `b` finishes first (`a` when both are ready); the other is dropped.
async fn race<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
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
