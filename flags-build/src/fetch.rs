//! Fetching remote sources (feature `http`): one blocking call per sync, on a current-thread
//! runtime of its own, with a timeout, a response size limit, a few retries of transient
//! failures, and credentials read from the environment at the last moment and never echoed.

use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::Error;
use crate::source::{Kind, Source};

/// The largest answer accepted.
pub(crate) const MAX_BODY: usize = 32 << 20;

/// The most of an error answer's body read (for its summary; the rest is not read).
const ERROR_BODY: usize = 16 << 10;

/// Attempts per source: the first and two retries of transient failures (connection errors,
/// timeouts, 429, 5xx).
const ATTEMPTS: u32 = 3;

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
    let parsed = reqwest::Url::parse(&url).map_err(|e| fail(format!("invalid URL: {e}"), false))?;
    let has_credentials = !secrets.is_empty();
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(flags_runtime::transport::tls_config())
        .timeout(source.timeout)
        .connect_timeout(source.timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("flags-build/", env!("CARGO_PKG_VERSION")))
        // Credentials never follow a redirect to another origin.
        .redirect(reqwest::redirect::Policy::custom(move |attempt| {
            let same_origin = attempt
                .previous()
                .first()
                .is_some_and(|first| first.origin() == attempt.url().origin());
            if attempt.previous().len() >= 5 {
                attempt.error("more than 5 redirects")
            } else if has_credentials && !same_origin {
                attempt.stop()
            } else {
                attempt.follow()
            }
        }))
        .build()
        .map_err(|e| fail(flags_runtime::transport::describe_error(&e), true))?;

    let (method, body) = request_body(source);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut request = client
            .request(method.clone(), parsed.clone())
            .headers(headers.clone());
        if let Some(body) = &body {
            request = request
                .header(header::CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        let outcome = exchange(request).await;
        let retry = match &outcome {
            Err(Failure::Transport(_)) => true,
            Err(Failure::Status { status, .. }) => {
                *status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
            }
            _ => false,
        };
        if retry && attempt < ATTEMPTS {
            let wait = match &outcome {
                Err(Failure::Status {
                    retry_after: Some(after),
                    ..
                }) => (*after).min(Duration::from_secs(5)),
                _ => Duration::from_millis(200 << (attempt - 1)),
            };
            tokio::time::sleep(wait).await;
            continue;
        }
        return match outcome {
            Ok(bytes) => {
                let document: Value = serde_json::from_slice(&bytes)
                    .map_err(|e| fail(format!("the answer is not JSON: {e}"), false))?;
                Ok(Answer { url, document })
            }
            Err(Failure::Transport(message)) => Err(fail(message, true)),
            Err(Failure::TooLarge) => Err(fail(
                format!("the answer is larger than {} MiB", MAX_BODY >> 20),
                false,
            )),
            Err(Failure::Status {
                status, summary, ..
            }) => {
                let hint = match status {
                    StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => credential_hint(source),
                    StatusCode::NOT_FOUND => "; check the URL, namespace or ids".to_owned(),
                    _ => String::new(),
                };
                Err(fail(format!("the server answered {summary}{hint}"), true))
            }
        };
    }
}

enum Failure {
    Transport(String),
    Status {
        status: StatusCode,
        /// `HTTP 503 Service Unavailable: <the start of the body>`, short.
        summary: String,
        retry_after: Option<Duration>,
    },
    TooLarge,
}

async fn exchange(request: reqwest::RequestBuilder) -> Result<Vec<u8>, Failure> {
    let mut response = request
        .send()
        .await
        .map_err(|e| Failure::Transport(flags_runtime::transport::describe_error(&e)))?;
    let status = response.status();
    if status.is_success()
        && let Some(length) = response.content_length()
        && length > MAX_BODY as u64
    {
        return Err(Failure::TooLarge);
    }
    let mut bytes = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) if !status.is_success() => {
                // An error page: its start is enough for the summary.
                let room = ERROR_BODY - bytes.len();
                bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if bytes.len() >= ERROR_BODY {
                    break;
                }
            }
            Ok(Some(chunk)) => {
                if bytes.len() + chunk.len() > MAX_BODY {
                    return Err(Failure::TooLarge);
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(error) if status.is_success() => {
                return Err(Failure::Transport(format!(
                    "the answer broke off: {}",
                    flags_runtime::transport::describe_error(&error)
                )));
            }
            Err(_) => break,
        }
    }
    if status.is_success() {
        return Ok(bytes);
    }
    let retry_after = response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    Err(Failure::Status {
        status,
        summary: flags_runtime::transport::http_error_summary(
            status.as_u16(),
            content_type,
            &bytes,
        ),
        retry_after,
    })
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

/// The request headers, and the secret values in them (to scrub from messages).
fn headers(source: &Source) -> Result<(HeaderMap, Vec<String>), Error> {
    let mut map = HeaderMap::new();
    map.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    if let Kind::Flipt { environment, .. } = &source.kind {
        // The snapshot format version this importer reads.
        map.insert(
            HeaderName::from_static("x-flipt-accept-server-version"),
            HeaderValue::from_static("1.47.0"),
        );
        if let Some(environment) = environment {
            let value = HeaderValue::from_str(environment).map_err(|_| Error::InvalidSource {
                source_name: source.to_string(),
                message: "the Flipt environment is not a valid header value".to_owned(),
            })?;
            map.insert(HeaderName::from_static("x-flipt-environment"), value);
        }
    }
    let mut secrets = Vec::new();
    let mut secret = |name: HeaderName, var: &str, prefix: &str| -> Result<(), Error> {
        let value = std::env::var(var).map_err(|_| Error::MissingEnv {
            var: var.to_owned(),
            what: format!("the credentials of {source}"),
        })?;
        let mut header = HeaderValue::from_str(&format!("{prefix}{value}")).map_err(|_| {
            Error::InvalidSource {
                source_name: source.to_string(),
                message: format!("the value of `{var}` is not a valid header value"),
            }
        })?;
        header.set_sensitive(true);
        if !value.is_empty() {
            secrets.push(value);
        }
        map.insert(name, header);
        Ok(())
    };
    let c = &source.credentials;
    if let Some(var) = &c.bearer_env {
        secret(header::AUTHORIZATION, var, "Bearer ")?;
    }
    if let Some(var) = &c.api_key_env {
        secret(HeaderName::from_static("x-api-key"), var, "")?;
    }
    for (name, var) in &c.header_envs {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| Error::InvalidSource {
            source_name: source.to_string(),
            message: format!("`{name}` is not a valid header name"),
        })?;
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
