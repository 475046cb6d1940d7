//! Cloudflare Flagship over HTTP: options and their validation, the evaluate request (GET with
//! query parameters for flat contexts, POST with a JSON body otherwise) and the answer. No I/O.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value as J;

pub(crate) mod config_error;

pub use config_error::FlagshipConfigError;

use super::Resolution;
use super::context::{self, Dates};
use crate::context::Context;
use crate::details::{ErrorCode, EvaluationError, FlagMetadata, Reason, VariantName};
use crate::transport::{excerpt, http_error_summary};

/// The default base URL.
pub(crate) const DEFAULT_BASE_URL: &str = "https://api.cloudflare.com";
/// The default request timeout.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// The default number of retries after a failed attempt.
pub(crate) const DEFAULT_RETRIES: u32 = 1;
/// The most retries allowed (more are capped).
pub(crate) const MAX_RETRIES: u32 = 10;
/// The default delay between attempts.
pub(crate) const DEFAULT_RETRY_DELAY: Duration = Duration::from_secs(1);
/// The longest delay allowed (longer ones are capped).
pub(crate) const MAX_RETRY_DELAY: Duration = Duration::from_secs(30);

/// The longest GET URL; a longer one is sent as a POST.
pub(crate) const MAX_GET_URL: usize = 4096;

/// Extra headers computed for every request (a rotating token, say); they win over the
/// bearer token.
pub(crate) type HeadersFactory = Arc<dyn Fn() -> Vec<(String, String)> + Send + Sync>;

/// Flagship options as given: either `app_id` and `account_id`, or a full `endpoint`.
#[derive(Clone, Default)]
pub(crate) struct FlagshipOptions {
    /// The app id (with `account_id`; excludes `endpoint`).
    pub app_id: Option<String>,
    /// The account id (required with `app_id`).
    pub account_id: Option<String>,
    /// The full evaluate URL (excludes `app_id`).
    pub endpoint: Option<String>,
    /// The API base URL with `app_id`; default [`DEFAULT_BASE_URL`].
    pub base_url: Option<String>,
    /// Sent as `Authorization: Bearer …`; a secret.
    pub auth_token: Option<String>,
    /// Headers computed per request; they win over `auth_token`.
    pub headers_factory: Option<HeadersFactory>,
    /// The request timeout; default 5 s.
    pub timeout: Option<Duration>,
    /// Retries after a failed attempt; default 1, capped at 10.
    pub retries: Option<u32>,
    /// The base delay between attempts; default 1 s, capped at 30 s.
    pub retry_delay: Option<Duration>,
    /// The deadline of one evaluation, retries included; default: the transport's (by
    /// default the timeout).
    pub deadline: Option<Duration>,
}

impl fmt::Debug for FlagshipOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlagshipOptions")
            .field("app_id", &self.app_id)
            .field("account_id", &self.account_id)
            .field("endpoint", &self.endpoint.as_deref().map(context::redacted))
            .field("base_url", &self.base_url.as_deref().map(context::redacted))
            .field(
                "auth_token",
                &self.auth_token.as_ref().map(|_| "(redacted)"),
            )
            .field("headers_factory", &self.headers_factory.is_some())
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("retry_delay", &self.retry_delay)
            .field("deadline", &self.deadline)
            .finish()
    }
}

/// Validated Flagship settings.
#[derive(Clone)]
pub(crate) struct FlagshipConfig {
    /// The evaluate URL (built from the ids, or the endpoint as given).
    pub evaluate_url: String,
    /// The bearer token.
    pub auth_token: Option<String>,
    /// Headers computed per request.
    pub headers_factory: Option<HeadersFactory>,
    /// The request timeout.
    pub timeout: Duration,
    /// Retries after a failed attempt (≤ 10).
    pub retries: u32,
    /// The base delay between attempts (≤ 30 s).
    pub retry_delay: Duration,
    /// The deadline, when set.
    pub deadline: Option<Duration>,
}

impl fmt::Debug for FlagshipConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlagshipConfig")
            .field("evaluate_url", &context::redacted(&self.evaluate_url))
            .field(
                "auth_token",
                &self.auth_token.as_ref().map(|_| "(redacted)"),
            )
            .field("headers_factory", &self.headers_factory.is_some())
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("retry_delay", &self.retry_delay)
            .field("deadline", &self.deadline)
            .finish()
    }
}

impl FlagshipOptions {
    /// Validates the options; no I/O.
    ///
    /// # Errors
    ///
    /// See [`FlagshipConfigError`].
    pub(crate) fn validate(&self) -> Result<FlagshipConfig, FlagshipConfigError> {
        let evaluate_url = match (&self.app_id, &self.endpoint) {
            (Some(_), Some(_)) => return Err(FlagshipConfigError::AppIdAndEndpoint),
            (None, None) => return Err(FlagshipConfigError::MissingTarget),
            (None, Some(endpoint)) => {
                let endpoint = endpoint.trim();
                context::check_http_url(endpoint).map_err(|problem| {
                    FlagshipConfigError::InvalidUrl {
                        field: "endpoint",
                        problem,
                    }
                })?;
                endpoint.to_owned()
            }
            (Some(app_id), None) => {
                let account_id = self
                    .account_id
                    .as_deref()
                    .ok_or(FlagshipConfigError::MissingAccountId)?;
                if app_id.is_empty() {
                    return Err(FlagshipConfigError::EmptyId { field: "app_id" });
                }
                if account_id.is_empty() {
                    return Err(FlagshipConfigError::EmptyId {
                        field: "account_id",
                    });
                }
                let base = self
                    .base_url
                    .as_deref()
                    .map(str::trim)
                    .unwrap_or(DEFAULT_BASE_URL)
                    .trim_end_matches('/');
                context::check_http_url(base).map_err(|problem| {
                    FlagshipConfigError::InvalidUrl {
                        field: "base_url",
                        problem,
                    }
                })?;
                format!(
                    "{base}/client/v4/accounts/{}/flagship/apps/{}/evaluate",
                    context::encode(account_id),
                    context::encode(app_id)
                )
            }
        };
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        if timeout.is_zero() {
            return Err(FlagshipConfigError::ZeroTimeout);
        }
        if let Some(deadline) = self.deadline
            && (deadline.is_zero() || deadline > crate::transport::MAX_DEADLINE)
        {
            return Err(FlagshipConfigError::InvalidDeadline { deadline });
        }
        Ok(FlagshipConfig {
            evaluate_url,
            auth_token: self.auth_token.clone(),
            headers_factory: self.headers_factory.clone(),
            timeout,
            retries: self.retries.unwrap_or(DEFAULT_RETRIES).min(MAX_RETRIES),
            retry_delay: self
                .retry_delay
                .unwrap_or(DEFAULT_RETRY_DELAY)
                .min(MAX_RETRY_DELAY),
            deadline: self.deadline,
        })
    }
}

/// The definitions URL of local evaluation: `{base}/client/v4/accounts/{account}/flagship/apps/{app}/definitions`
/// (ids percent-encoded, no character left as it is but the unreserved ones; `base` without
/// its trailing slashes, [`DEFAULT_BASE_URL`] when `None`), or `endpoint`, a full evaluate URL,
/// whose path's `/evaluate` (trailing slashes aside) becomes `/definitions`, its query kept.
///
/// # Errors
///
/// An empty id, an endpoint or base URL without an `http(s)` scheme and a host, an endpoint
/// whose path does not end in `/evaluate`.
pub(crate) fn definitions_url(
    account_id: &str,
    app_id: &str,
    base_url: Option<&str>,
    endpoint: Option<&str>,
) -> Result<String, FlagshipConfigError> {
    // The account seeds the rollouts: needed with an endpoint too.
    if account_id.is_empty() {
        return Err(FlagshipConfigError::EmptyId {
            field: "account_id",
        });
    }
    if let Some(endpoint) = endpoint {
        let endpoint = endpoint.trim();
        context::check_http_url(endpoint).map_err(|problem| FlagshipConfigError::InvalidUrl {
            field: "endpoint",
            problem,
        })?;
        // The path runs from the first `/` after the authority to the query or fragment.
        let after_scheme = endpoint.find("://").map_or(0, |i| i + 3);
        let end = endpoint[after_scheme..]
            .find(['?', '#'])
            .map_or(endpoint.len(), |i| after_scheme + i);
        let (url, rest) = endpoint.split_at(end);
        let path_start = url[after_scheme..]
            .find('/')
            .map_or(url.len(), |i| after_scheme + i);
        let (origin, path) = url.split_at(path_start);
        let Some(stem) = path.trim_end_matches('/').strip_suffix("/evaluate") else {
            return Err(FlagshipConfigError::NotAnEvaluateEndpoint);
        };
        return Ok(format!("{origin}{stem}/definitions{rest}"));
    }
    if app_id.is_empty() {
        return Err(FlagshipConfigError::EmptyId { field: "app_id" });
    }
    let base = base_url
        .map(str::trim)
        .unwrap_or(DEFAULT_BASE_URL)
        .trim_end_matches('/');
    context::check_http_url(base).map_err(|problem| FlagshipConfigError::InvalidUrl {
        field: "base_url",
        problem,
    })?;
    Ok(format!(
        "{base}/client/v4/accounts/{}/flagship/apps/{}/definitions",
        context::encode(account_id),
        context::encode(app_id)
    ))
}

impl FlagshipConfig {
    /// The headers of one request: `Authorization: Bearer <token>`, then the factory's
    /// (called now), which replace headers of the same name (case-insensitive).
    pub(crate) fn request_headers(&self) -> Vec<(String, String)> {
        let mut headers = Vec::new();
        if let Some(token) = &self.auth_token {
            headers.push(("Authorization".to_owned(), format!("Bearer {token}")));
        }
        if let Some(factory) = &self.headers_factory {
            for (name, value) in factory() {
                headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
                headers.push((name, value));
            }
        }
        headers
    }
}

/// An evaluate request, ready to send.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum FlagshipRequest {
    /// `GET` this URL (the query carries the flag key and the context).
    Get {
        /// The URL with its query.
        url: String,
    },
    /// `POST` `{"flagKey", "context"}` as JSON to this URL.
    Post {
        /// The evaluate URL.
        url: String,
        /// The JSON body.
        body: Vec<u8>,
    },
}

impl fmt::Debug for FlagshipRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The query holds the context: personal data, not for logs.
        match self {
            FlagshipRequest::Get { url } => write!(f, "GET {}", context::redacted(url)),
            FlagshipRequest::Post { url, body } => {
                write!(f, "POST {} ({} bytes)", context::redacted(url), body.len())
            }
        }
    }
}

/// The evaluate request for `flag_key` in `ctx`: a GET with query parameters (`flagKey`
/// first, then `targetingKey` and the attributes in key order; booleans as `true`/`false`,
/// numbers as JavaScript prints them, date-times as ISO 8601) when every attribute is a
/// scalar, otherwise a POST with `{"flagKey", "context"}` (nested values kept, `null` kept).
/// An attribute named `flagKey` also selects the POST form, where it cannot replace the flag
/// key, and so does a URL longer than [`MAX_GET_URL`] (servers and proxies limit URLs).
///
/// # Errors
///
/// `INVALID_CONTEXT` for a number that is not finite, before anything is sent.
pub(crate) fn evaluate_request(
    config: &FlagshipConfig,
    flag_key: &str,
    ctx: &Context,
) -> Result<FlagshipRequest, EvaluationError> {
    let wire = context::to_json(ctx, Dates::Iso8601)?;
    let flat = !wire.contains_key("flagKey")
        && wire
            .values()
            .all(|v| matches!(v, J::Bool(_) | J::Number(_) | J::String(_)));
    if !flat {
        return post(config, flag_key, wire);
    }
    let mut url = config.evaluate_url.clone();
    url.push(if url.contains('?') { '&' } else { '?' });
    url.push_str("flagKey=");
    context::encode_into(&mut url, flag_key);
    // `targetingKey` first (the context's, or an attribute of that name), then the
    // attributes in key order.
    let pairs = wire
        .get_key_value("targetingKey")
        .into_iter()
        .chain(wire.iter().filter(|(k, _)| k.as_str() != "targetingKey"));
    for (name, value) in pairs {
        url.push('&');
        context::encode_into(&mut url, name);
        url.push('=');
        let text = match value {
            J::Bool(b) => if *b { "true" } else { "false" }.to_owned(),
            J::Number(n) => match n.as_i64() {
                Some(i) => i.to_string(),
                None => match n.as_u64() {
                    Some(u) => u.to_string(),
                    None => context::js_number(n.as_f64().unwrap_or(0.0)),
                },
            },
            J::String(s) => s.clone(),
            _ => String::new(),
        };
        context::encode_into(&mut url, &text);
    }
    if url.len() > MAX_GET_URL {
        return post(config, flag_key, wire);
    }
    Ok(FlagshipRequest::Get { url })
}

fn post(
    config: &FlagshipConfig,
    flag_key: &str,
    context: serde_json::Map<String, J>,
) -> Result<FlagshipRequest, EvaluationError> {
    let body = serde_json::json!({ "flagKey": flag_key, "context": context });
    let body = serde_json::to_vec(&body).map_err(|e| {
        EvaluationError::new(
            ErrorCode::InvalidContext,
            format!("cannot encode the context: {e}"),
        )
    })?;
    Ok(FlagshipRequest::Post {
        url: config.evaluate_url.clone(),
        body,
    })
}

#[cfg_attr(not(test), allow(dead_code))] // the transport never retries these statuses; kept as the tested statement of Flagship's rule
/// Whether a failed attempt with this status may be retried: not 400, 401, 403 or 404 (the
/// answer would not change), nor a success.
pub(crate) fn retryable_status(status: u16) -> bool {
    !matches!(status, 200..=399 | 400 | 401 | 403 | 404)
}

/// Reads the answer of an evaluate request.
///
/// 200 → `{flagKey, value, variant?, reason?}` (`flagKey` and `value` required, else
/// `PARSE_ERROR`; reason default `DEFAULT`, unknown reasons kept); 404 → `FLAG_NOT_FOUND`
/// (the body's `errorDetails`, or its text); 400 → `GENERAL` (do not retry); a body that is
/// not JSON → `PARSE_ERROR`; any other status → `GENERAL` with a short summary (`HTTP 503
/// Service Unavailable: <excerpt>`, never an HTML page: `content_type` tells).
pub(crate) fn parse_evaluate(
    flag_key: &str,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Resolution {
    if status == 200 {
        let fields = match serde_json::from_slice::<J>(body) {
            Ok(J::Object(fields)) => fields,
            Ok(_) => {
                return Resolution::error(
                    ErrorCode::ParseError,
                    format!("the answer for flag `{flag_key}` is not a JSON object"),
                );
            }
            Err(e) => {
                return Resolution::error(
                    ErrorCode::ParseError,
                    format!("the answer for flag `{flag_key}` is not JSON: {e}"),
                );
            }
        };
        let (Some(J::String(_)), Some(value)) = (fields.get("flagKey"), fields.get("value")) else {
            return Resolution::error(
                ErrorCode::ParseError,
                format!("the answer for flag `{flag_key}` lacks `flagKey` or `value`"),
            );
        };
        let reason = match fields.get("reason") {
            Some(J::String(r)) if !r.is_empty() => Reason::parse(r),
            _ => Reason::Default,
        };
        let variant = match fields.get("variant") {
            Some(J::String(v)) if !v.is_empty() => Some(VariantName::from(v.as_str())),
            _ => None,
        };
        return Resolution {
            value: Some(value.clone()),
            variant,
            reason,
            error: None,
            metadata: FlagMetadata::empty(),
        };
    }
    if status != 404 {
        return Resolution::error(
            ErrorCode::General,
            http_error_summary(status, content_type, body),
        );
    }
    let details = match serde_json::from_slice::<J>(body) {
        Ok(J::Object(fields)) => fields.get("errorDetails").and_then(J::as_str).map(excerpt),
        _ if crate::transport::is_html(content_type, body) => None,
        _ => Some(excerpt(&String::from_utf8_lossy(body))),
    }
    .filter(|d| !d.is_empty());
    Resolution::error(
        ErrorCode::FlagNotFound,
        details.unwrap_or_else(|| format!("flag `{flag_key}` not found")),
    )
}

#[cfg(test)]
mod tests;
