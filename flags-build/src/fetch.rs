//! Fetching remote sources (feature `http`): one blocking call per sync, on a current-thread
//! runtime of its own, through `flags-http`'s transport (a timeout per attempt, a response
//! size limit, retries of transient failures with backoff and `Retry-After`), with credentials
//! read from the environment at the last moment and never echoed.

use std::time::{Duration, Instant};

use flags_http::{
    MAX_DEADLINE, Method, Request, TransportConfig, TransportError, http_error_summary,
    is_header_name, is_header_value,
};
use serde_json::{Value, json};

use crate::Error;
use crate::source::{Kind, Source};

/// The largest answer accepted.
pub(crate) const MAX_BODY: usize = 32 << 20;

/// Attempts per source: the first and two retries of transient failures (connection errors,
/// timeouts, 429, 5xx).
const ATTEMPTS: u32 = 3;

/// The base of the backoff between attempts (the waits are at most 200 ms, then 400 ms, unless
/// the server's `Retry-After` asks for more).
const RETRY_DELAY: Duration = Duration::from_millis(200);

/// Room in the deadline for each wait between attempts (the transport waits for a
/// `Retry-After` only when it asks for no more than the timeout).
const WAIT_ROOM: Duration = Duration::from_secs(5);

/// What a source answered: its body, parsed.
pub(crate) struct Answer {
    pub(crate) url: String,
    pub(crate) document: Value,
}

/// Fetches every remote source in `sources`, in order; one result per source.
pub(crate) fn fetch_all(sources: &[&Source]) -> Vec<Result<Answer, Error>> {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let message = format!("cannot start the HTTP runtime: {error}");
            return sources
                .iter()
                .map(|s| {
                    Err(Error::Fetch {
                        source_name: s.to_string(),
                        message: message.clone(),
                        unreachable: true,
                    })
                })
                .collect();
        }
    };
    runtime.block_on(async {
        let mut results = Vec::with_capacity(sources.len());
        for source in sources {
            results.push(fetch(source).await);
        }
        results
    })
}

async fn fetch(source: &Source) -> Result<Answer, Error> {
    let url = source.request_url()?.unwrap_or_default();
    if let Kind::Url(crate::source::Location::Literal(written))
    | Kind::OpenfeatureApi(crate::source::Location::Literal(written)) = &source.kind
        && crate::source::has_user_info(written)
    {
        return Err(Error::InvalidSource {
            source_name: source.to_string(),
            message: "the URL carries credentials (`user:password@`); put them in the \
                      environment and name the variable with `token-env` or `headers`"
                .to_owned(),
        });
    }
    let (headers, secrets) = headers(source)?;
    let fail = |message: String, unreachable: bool| Error::Fetch {
        source_name: source.to_string(),
        message: scrub(&message, &secrets),
        unreachable,
    };
    flags_http::check_url(&url).map_err(|e| fail(format!("invalid URL: {e}"), false))?;
    // The transport refuses a zero timeout; the shortest one times every attempt out at once,
    // as a zero timeout always did.
    let timeout = source.timeout.max(Duration::from_nanos(1));
    // Each attempt has the source's timeout, and the waits between them fit in what is left.
    let deadline = timeout
        .saturating_mul(ATTEMPTS)
        .saturating_add(WAIT_ROOM.saturating_mul(ATTEMPTS - 1))
        .min(MAX_DEADLINE);
    let mut config = TransportConfig::new()
        .timeout(timeout)
        .deadline(deadline)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .retries(ATTEMPTS - 1)
        .retry_delay(RETRY_DELAY)
        .max_body(MAX_BODY as u64)
        .user_agent(concat!("flags-build/", env!("CARGO_PKG_VERSION")))
        // Credentials never follow a redirect to another origin.
        .cross_origin_redirects(secrets.is_empty());
    for (name, value) in headers {
        config = config.header(name, value);
    }
    let transport = config.build().map_err(|e| fail(e.to_string(), false))?;

    let request = match request_body(source) {
        (Method::POST, Some(body)) => Request::post_json(url.as_str(), body.to_string()),
        (method, _) => Request::new(method, url.as_str()),
    };
    let response = match transport.send(request).await {
        Ok(response) if (200..300).contains(&response.status) => response,
        // A redirect not followed, say.
        Ok(response) => {
            let summary =
                http_error_summary(response.status, response.content_type(), &response.body);
            return Err(fail(format!("the server answered {summary}"), true));
        }
        Err(error) => return Err(failure(source, &error, &fail)),
    };
    let document: Value = serde_json::from_slice(&response.body)
        .map_err(|e| fail(format!("the answer is not JSON: {e}"), false))?;
    Ok(Answer { url, document })
}

/// The error of a request that failed for good.
fn failure(
    source: &Source,
    error: &TransportError,
    fail: &impl Fn(String, bool) -> Error,
) -> Error {
    match error {
        TransportError::Status {
            status,
            content_type,
            body,
            ..
        } => {
            let summary = http_error_summary(*status, content_type.as_deref(), body);
            let hint = match status {
                401 | 403 => credential_hint(source),
                404 => "; check the URL, namespace or ids".to_owned(),
                _ => String::new(),
            };
            fail(format!("the server answered {summary}{hint}"), true)
        }
        TransportError::TooLarge { .. } => fail(
            format!("the answer is larger than {} MiB", MAX_BODY >> 20),
            false,
        ),
        TransportError::RateLimited { until, .. } => fail(
            format!(
                "the server answered {}; no request before its `Retry-After` passes (in {} ms)",
                http_error_summary(429, None, b""),
                until.saturating_duration_since(Instant::now()).as_millis()
            ),
            true,
        ),
        TransportError::InvalidRequest { message } => fail(message.clone(), false),
        other => fail(other.to_string(), true),
    }
}

fn credential_hint(source: &Source) -> String {
    let c = &source.credentials;
    let mut vars: Vec<&str> = c
        .bearer_env
        .iter()
        .chain(&c.api_key_env)
        .map(String::as_str)
        .collect();
    vars.extend(c.header_envs.iter().map(|(_, var)| var.as_str()));
    if vars.is_empty() {
        "; the source sends no credentials: name the variable that holds them with `token-env`, \
         `api-key-env` or `headers`"
            .to_owned()
    } else {
        let vars: Vec<String> = vars.iter().map(|v| format!("`{v}`")).collect();
        format!("; check the credentials in {}", vars.join(", "))
    }
}

/// The method and JSON body of a source's request.
fn request_body(source: &Source) -> (Method, Option<Value>) {
    match &source.kind {
        Kind::Ofrep { context, .. } => (Method::POST, Some(json!({ "context": context }))),
        Kind::GoFeatureFlag { flags, .. } => (Method::POST, Some(json!({ "flags": flags }))),
        _ => (Method::GET, None),
    }
}

/// Request headers, in order (a later one replaces an earlier one of the same name).
type Headers = Vec<(String, String)>;

/// The request headers, and the secret values in them (to scrub from messages).
fn headers(source: &Source) -> Result<(Headers, Vec<String>), Error> {
    let mut map: Headers = vec![("accept".to_owned(), "application/json".to_owned())];
    if let Kind::Flipt { environment, .. } = &source.kind {
        // The snapshot format version this importer reads.
        map.push((
            "x-flipt-accept-server-version".to_owned(),
            "1.47.0".to_owned(),
        ));
        if let Some(environment) = environment {
            if !is_header_value(environment) {
                return Err(Error::InvalidSource {
                    source_name: source.to_string(),
                    message: "the Flipt environment is not a valid header value".to_owned(),
                });
            }
            map.push(("x-flipt-environment".to_owned(), environment.clone()));
        }
    }
    let mut secrets = Vec::new();
    let mut secret = |name: &str, var: &str, prefix: &str| -> Result<(), Error> {
        let value = std::env::var(var).map_err(|_| Error::MissingEnv {
            var: var.to_owned(),
            what: format!("the credentials of {source}"),
        })?;
        let header = format!("{prefix}{value}");
        if !is_header_value(&header) {
            return Err(Error::InvalidSource {
                source_name: source.to_string(),
                message: format!("the value of `{var}` is not a valid header value"),
            });
        }
        if !value.is_empty() {
            secrets.push(value);
        }
        map.push((name.to_owned(), header));
        Ok(())
    };
    let c = &source.credentials;
    if let Some(var) = &c.bearer_env {
        secret("authorization", var, "Bearer ")?;
    }
    if let Some(var) = &c.api_key_env {
        secret("x-api-key", var, "")?;
    }
    for (name, var) in &c.header_envs {
        if !is_header_name(name) {
            return Err(Error::InvalidSource {
                source_name: source.to_string(),
                message: format!("`{name}` is not a valid header name"),
            });
        }
        secret(name, var, "")?;
    }
    Ok((map, secrets))
}

/// `message` with every secret value replaced, in case a server echoes one back.
fn scrub(message: &str, secrets: &[String]) -> String {
    let mut message = message.to_owned();
    for secret in secrets {
        if secret.len() >= 4 {
            message = message.replace(secret.as_str(), "[redacted]");
        }
    }
    message
}

#[cfg(test)]
mod tests {
    use flags_test_support::server::{Reply, Server};

    use super::*;

    /// The message of a failed fetch of `reply`, and how many requests the server saw.
    fn failure(reply: Reply) -> (String, usize) {
        let server = Server::start(reply);
        let source = Source::url(server.url("/flags.json"));
        let result = fetch_all(&[&source]).remove(0);
        match result {
            Err(Error::Fetch {
                message,
                unreachable: true,
                ..
            }) => (message, server.count()),
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("an error status fetched"),
        }
    }

    #[test]
    fn error_answers_are_summarised_in_one_short_line() {
        let page = format!(
            "<!DOCTYPE html>\n<html><body>{}</body></html>",
            "<p>Something went wrong on our side.</p>\n".repeat(25_000)
        );
        assert!(page.len() > 1_000_000);
        let (message, requests) = failure(
            Reply::status(500)
                .header("content-type", "text/html")
                .body(&page),
        );
        assert_eq!(
            message,
            "the server answered HTTP 500 Internal Server Error (HTML body omitted)"
        );
        assert_eq!(requests, ATTEMPTS as usize, "a 500 is retried");

        let text = "stack frame at worker::run (line 12)\n".repeat(2_700);
        let (message, _) = failure(
            Reply::status(503)
                .header("content-type", "text/plain")
                .body(&text),
        );
        assert!(message.chars().count() < 300, "{message}");
        assert!(
            message.starts_with(
                "the server answered HTTP 503 Service Unavailable: stack frame at worker::run \
                 (line 12) stack frame"
            ),
            "{message}"
        );
        assert!(
            message.ends_with('…') && !message.contains('\n'),
            "{message}"
        );

        // A JSON error says what its error field says; a 404 adds its hint.
        let (message, requests) =
            failure(Reply::status(404).body(r#"{"error":{"message":"no such namespace"}}"#));
        assert_eq!(
            message,
            "the server answered HTTP 404 Not Found: no such namespace; check the URL, \
             namespace or ids"
        );
        assert_eq!(requests, 1, "a 404 is not retried");
    }
}
