//! OFREP, the OpenFeature Remote Evaluation Protocol: request URLs and bodies, response
//! parsing for the single-flag and bulk endpoints, event streams and their SSE messages, and
//! the `OFREP_*` environment variables. No I/O: the provider sends and receives.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value as J;

use super::bulk::BulkFlags;
use super::context::{self, Dates};
use super::{Resolution, metadata_from_json, metadata_map};
use crate::context::Context;
use crate::details::{ErrorCode, EvaluationError, FlagMetadata, Reason};
use crate::transport::{excerpt, http_error_summary};

/// The path of the bulk endpoint, after the base URL.
pub(crate) const BULK_PATH: &str = "/ofrep/v1/evaluate/flags";

/// The default timeout of OFREP requests (the guidelines' 10 s).
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The base URL without trailing slashes (everything before `/ofrep`).
pub(crate) fn base(base_url: &str) -> &str {
    base_url.trim_end_matches('/')
}

/// The URL of the single-flag endpoint: `{base}/ofrep/v1/evaluate/flags/{key}`, the key
/// percent-encoded as one path segment.
///
/// # Errors
///
/// `FLAG_NOT_FOUND` for a key no path segment can carry (empty, `.` or `..`: URL parsers
/// remove dot segments, even escaped).
pub(crate) fn single_url(base_url: &str, key: &str) -> Result<String, EvaluationError> {
    if key.is_empty() || key == "." || key == ".." {
        return Err(EvaluationError::new(
            ErrorCode::FlagNotFound,
            format!("flag key `{key}` cannot be sent in a URL path"),
        ));
    }
    let mut url = String::with_capacity(base_url.len() + BULK_PATH.len() + key.len() + 1);
    url.push_str(base(base_url));
    url.push_str(BULK_PATH);
    url.push('/');
    context::encode_into(&mut url, key);
    Ok(url)
}

/// The URL of the bulk endpoint.
pub(crate) fn bulk_url(base_url: &str) -> String {
    format!("{}{BULK_PATH}", base(base_url))
}

/// The URL of a bulk re-fetch triggered by an event: the bulk URL with `flagConfigEtag` and
/// `flagConfigLastModified` from the event, when it carried them.
pub(crate) fn refetch_url(base_url: &str, event: &Refetch) -> String {
    let mut url = bulk_url(base_url);
    let mut sep = '?';
    for (name, value) in [
        ("flagConfigEtag", &event.etag),
        ("flagConfigLastModified", &event.last_modified),
    ] {
        if let Some(value) = value {
            url.push(sep);
            url.push_str(name);
            url.push('=');
            context::encode_into(&mut url, value);
            sep = '&';
        }
    }
    url
}

/// The request body of both endpoints: `{"context": {...}}`, with `targetingKey` when the
/// context has one and date-times as Unix seconds (the runtime's [`Context::to_json`]).
///
/// # Errors
///
/// `INVALID_CONTEXT` when a number is not finite; nothing should be sent then.
pub(crate) fn request_body(ctx: &Context) -> Result<Vec<u8>, EvaluationError> {
    let context = context::to_json(ctx, Dates::UnixSeconds)?;
    let body = serde_json::json!({ "context": context });
    serde_json::to_vec(&body).map_err(|e| {
        EvaluationError::new(
            ErrorCode::InvalidContext,
            format!("cannot encode the context: {e}"),
        )
    })
}

/// What the provider should do beyond reporting an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    /// 401 or 403: the credentials are refused; the provider is FATAL and stops polling.
    Fatal,
    /// 429: fail fast, without requests, until the `Retry-After` instant (the transport parses
    /// the header).
    RateLimited,
}

/// The answer to a single-flag request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Answer {
    /// The result for the flag (a failure is a resolution with an error).
    pub resolution: Resolution,
    /// What else the provider must do.
    pub signal: Option<Signal>,
}

/// Reads the answer of `POST /ofrep/v1/evaluate/flags/{key}`.
///
/// 200 → the flag's resolution (without `value`: the caller's default); 400 → the body's
/// `errorCode` (an unknown code → `GENERAL`); 404 → `FLAG_NOT_FOUND`; 401/403 → `GENERAL` and
/// [`Signal::Fatal`]; 429 → `GENERAL` and [`Signal::RateLimited`]; 5xx and anything else →
/// `GENERAL`; a body that is not JSON or not of the expected shape → `PARSE_ERROR`. Messages
/// quote at most a short excerpt of the body, never an HTML page (`content_type` tells).
pub(crate) fn parse_single(
    key: &str,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Answer {
    let answer = |resolution| Answer {
        resolution,
        signal: None,
    };
    match status {
        200 => answer(match serde_json::from_slice::<J>(body) {
            Ok(J::Object(fields)) => parse_item(&fields, &Default::default()).1,
            Ok(_) => Resolution::error(
                ErrorCode::ParseError,
                format!("the answer for flag `{key}` is not a JSON object"),
            ),
            Err(e) => Resolution::error(
                ErrorCode::ParseError,
                format!("the answer for flag `{key}` is not JSON: {e}"),
            ),
        }),
        400 | 404 => {
            let fields = match serde_json::from_slice::<J>(body) {
                Ok(J::Object(fields)) => Some(fields),
                _ => None,
            };
            let details = fields
                .as_ref()
                .and_then(|f| f.get("errorDetails"))
                .and_then(J::as_str)
                .map(excerpt);
            let metadata = metadata_from_json(
                fields.as_ref().and_then(|f| f.get("metadata")),
                &Default::default(),
            );
            let resolution = if status == 404 {
                let message =
                    details.unwrap_or_else(|| format!("flag `{key}` not found (HTTP 404)"));
                Resolution::error(ErrorCode::FlagNotFound, message)
            } else {
                match fields.as_ref().and_then(|f| f.get("errorCode")) {
                    Some(J::String(code)) => {
                        let message = details.unwrap_or_else(|| {
                            format!(
                                "the server could not evaluate flag `{key}` ({})",
                                excerpt(code)
                            )
                        });
                        Resolution::error(error_code(code), message)
                    }
                    _ => Resolution::error(
                        ErrorCode::ParseError,
                        format!(
                            "no `errorCode` in the answer for flag `{key}`: {}",
                            http_error_summary(status, content_type, body)
                        ),
                    ),
                }
            };
            answer(resolution.with_metadata(metadata))
        }
        _ => {
            let (resolution, signal) = failure(status, content_type, body);
            Answer { resolution, signal }
        }
    }
}

/// The failure of a status both endpoints share (401, 403, 429, 5xx, others).
fn failure(status: u16, content_type: Option<&str>, body: &[u8]) -> (Resolution, Option<Signal>) {
    let (message, signal) = match status {
        401 => ("unauthorized (HTTP 401)".to_owned(), Some(Signal::Fatal)),
        403 => ("forbidden (HTTP 403)".to_owned(), Some(Signal::Fatal)),
        429 => (
            "rate limited (HTTP 429)".to_owned(),
            Some(Signal::RateLimited),
        ),
        _ => (http_error_summary(status, content_type, body), None),
    };
    (Resolution::error(ErrorCode::General, message), signal)
}

/// An OpenFeature error code by name; `GENERAL` for a name OpenFeature does not define.
pub(crate) fn error_code(name: &str) -> ErrorCode {
    match name {
        "PROVIDER_NOT_READY" => ErrorCode::ProviderNotReady,
        "FLAG_NOT_FOUND" => ErrorCode::FlagNotFound,
        "PARSE_ERROR" => ErrorCode::ParseError,
        "TYPE_MISMATCH" => ErrorCode::TypeMismatch,
        "TARGETING_KEY_MISSING" => ErrorCode::TargetingKeyMissing,
        "INVALID_CONTEXT" => ErrorCode::InvalidContext,
        "PROVIDER_FATAL" => ErrorCode::ProviderFatal,
        _ => ErrorCode::General,
    }
}

/// One item of a success body (single answer or bulk item): its key, if any, and resolution.
/// An item with `errorCode` is a failure.
fn parse_item(
    fields: &serde_json::Map<String, J>,
    set_metadata: &std::collections::BTreeMap<String, crate::details::MetadataValue>,
) -> (Option<String>, Resolution) {
    let key = fields.get("key").and_then(J::as_str).map(str::to_owned);
    let metadata = metadata_from_json(fields.get("metadata"), set_metadata);
    if let Some(code) = fields.get("errorCode") {
        let code = code.as_str().unwrap_or("GENERAL");
        let message = fields
            .get("errorDetails")
            .and_then(J::as_str)
            .map_or_else(|| format!("the server reported {code}"), str::to_owned);
        return (
            key,
            Resolution::error(error_code(code), message).with_metadata(metadata),
        );
    }
    let reason = match fields.get("reason") {
        Some(J::String(name)) => Reason::parse(name),
        _ => Reason::Unknown,
    };
    let variant = match fields.get("variant") {
        Some(J::String(v)) if !v.is_empty() => Some(Arc::from(v.as_str())),
        _ => None,
    };
    let resolution = Resolution {
        // `null` is no value of any OFREP type: read leniently as "no value" (code default).
        value: fields.get("value").filter(|v| !v.is_null()).cloned(),
        variant,
        reason,
        error: None,
        metadata,
    };
    (key, resolution)
}

/// A successful bulk evaluation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bulk {
    /// Flag key → resolution, indexed for fast reads; failures of single flags are kept as
    /// resolutions with an error.
    pub flags: BulkFlags,
    /// The `ETag` to send as `If-None-Match` next time (drop it when the context changes).
    pub etag: Option<String>,
    /// Flag-set metadata (already overlaid under each flag's metadata).
    pub metadata: FlagMetadata,
    /// Where to listen for changes.
    pub event_streams: Vec<EventStream>,
    /// Items without a `key`, skipped.
    pub skipped: usize,
    /// Set on the empty evaluation a provider publishes when it stops for good (FATAL):
    /// every read then fails with this error.
    pub gate: Option<EvaluationError>,
}

impl Bulk {
    /// The evaluation of a provider stopped for good: no flags, every read fails with `error`.
    pub(crate) fn gated(error: EvaluationError) -> Bulk {
        Bulk {
            flags: BulkFlags::new(Vec::new()),
            etag: None,
            metadata: FlagMetadata::empty(),
            event_streams: Vec::new(),
            skipped: 0,
            gate: Some(error),
        }
    }

    /// The details of `key` read as `T`, answered locally (bulk mode): a key the bulk answer
    /// did not include is `FLAG_NOT_FOUND`; otherwise see [`Resolution::to_details`].
    pub(crate) fn details<T: crate::key::FlagValue>(
        &self,
        key: &crate::key::FlagKey<T>,
    ) -> crate::details::EvaluationDetails<T> {
        match self.flags.details(key) {
            Some(details) => details,
            None if self.gate.is_some() => {
                let error = self.gate.clone().unwrap_or_else(|| {
                    EvaluationError::new(ErrorCode::General, "the provider stopped")
                });
                Resolution::error(error.code, error.message).to_details(key)
            }
            None => Resolution::error(
                ErrorCode::FlagNotFound,
                format!("flag `{}` is not in the bulk evaluation", key.key()),
            )
            .with_metadata(self.metadata.clone())
            .to_details(key),
        }
    }
}

/// The answer to a bulk request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum BulkAnswer {
    /// 200: the new evaluations.
    Updated(Bulk),
    /// 304: what the provider holds is current.
    NotModified,
    /// The whole request failed; the provider keeps what it holds.
    Failed {
        /// What went wrong.
        error: EvaluationError,
        /// What else the provider must do.
        signal: Option<Signal>,
    },
}

/// Reads the answer of `POST /ofrep/v1/evaluate/flags`; `etag` is the response's `ETag`.
pub(crate) fn parse_bulk(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    etag: Option<&str>,
) -> BulkAnswer {
    let failed = |code, message: String| BulkAnswer::Failed {
        error: EvaluationError::new(code, message),
        signal: None,
    };
    match status {
        200 => {
            let fields = match serde_json::from_slice::<J>(body) {
                Ok(J::Object(fields)) => fields,
                Ok(_) => {
                    return failed(
                        ErrorCode::ParseError,
                        "the bulk answer is not a JSON object".to_owned(),
                    );
                }
                Err(e) => {
                    return failed(
                        ErrorCode::ParseError,
                        format!("the bulk answer is not JSON: {e}"),
                    );
                }
            };
            let Some(J::Array(items)) = fields.get("flags") else {
                return failed(
                    ErrorCode::ParseError,
                    "the bulk answer has no `flags` array".to_owned(),
                );
            };
            let set = metadata_map(fields.get("metadata"));
            let mut flags = Vec::with_capacity(items.len());
            let mut skipped = 0;
            for item in items {
                match item {
                    J::Object(item) => match parse_item(item, &set) {
                        (Some(key), resolution) => {
                            flags.push((key, resolution));
                        }
                        (None, _) => skipped += 1,
                    },
                    _ => skipped += 1,
                }
            }
            let event_streams = match fields.get("eventStreams") {
                Some(J::Array(streams)) => streams.iter().filter_map(EventStream::parse).collect(),
                _ => Vec::new(),
            };
            BulkAnswer::Updated(Bulk {
                flags: BulkFlags::new(flags),
                etag: etag.filter(|e| !e.is_empty()).map(str::to_owned),
                metadata: FlagMetadata::new(set),
                event_streams,
                skipped,
                gate: None,
            })
        }
        304 => BulkAnswer::NotModified,
        400 => match serde_json::from_slice::<J>(body) {
            Ok(J::Object(fields)) => {
                let code = fields
                    .get("errorCode")
                    .and_then(J::as_str)
                    .unwrap_or("GENERAL");
                let details = fields
                    .get("errorDetails")
                    .and_then(J::as_str)
                    .map_or_else(|| format!("the server reported {}", excerpt(code)), excerpt);
                failed(error_code(code), details)
            }
            _ => failed(
                ErrorCode::ParseError,
                format!(
                    "no OFREP error in the answer: {}",
                    http_error_summary(status, content_type, body)
                ),
            ),
        },
        _ => {
            let (resolution, signal) = failure(status, content_type, body);
            BulkAnswer::Failed {
                error: resolution
                    .error
                    .unwrap_or_else(|| EvaluationError::new(ErrorCode::General, "failed")),
                signal,
            }
        }
    }
}

/// The default inactivity delay of an event stream.
pub(crate) const DEFAULT_INACTIVITY: Duration = Duration::from_secs(120);

/// A change-notification stream announced by a bulk answer (only `sse` is defined).
#[derive(Clone, PartialEq)]
pub(crate) struct EventStream {
    target: StreamTarget,
    /// Close the connection after this much client inactivity (then reconnect and re-fetch
    /// unconditionally).
    pub inactivity_delay: Duration,
}

#[derive(Clone, PartialEq)]
enum StreamTarget {
    /// Opaque; may embed credentials, so it is never printed.
    Url(String),
    Endpoint {
        origin: Option<String>,
        request_uri: String,
    },
}

impl EventStream {
    /// One `eventStreams` entry; `None` for unknown types and malformed entries.
    fn parse(value: &J) -> Option<EventStream> {
        let fields = value.as_object()?;
        if fields.get("type")?.as_str()? != "sse" {
            return None;
        }
        let target = match (fields.get("url"), fields.get("endpoint")) {
            (Some(J::String(url)), _) if !url.is_empty() => StreamTarget::Url(url.clone()),
            (_, Some(J::Object(endpoint))) => {
                let request_uri = endpoint.get("requestUri")?.as_str()?;
                if !request_uri.starts_with('/') {
                    return None;
                }
                StreamTarget::Endpoint {
                    origin: endpoint
                        .get("origin")
                        .and_then(J::as_str)
                        .map(|o| o.trim_end_matches('/').to_owned()),
                    request_uri: request_uri.to_owned(),
                }
            }
            _ => return None,
        };
        let inactivity_delay = fields
            .get("inactivityDelaySec")
            .and_then(J::as_u64)
            .filter(|s| *s >= 1)
            .map_or(DEFAULT_INACTIVITY, Duration::from_secs);
        Some(EventStream {
            target,
            inactivity_delay,
        })
    }

    /// The URL to connect to: the `url`, or `origin + requestUri` with the origin of
    /// `base_url` when the entry has none. Treat it as a secret: never log it.
    pub(crate) fn url(&self, base_url: &str) -> Option<String> {
        match &self.target {
            StreamTarget::Url(url) => Some(url.clone()),
            StreamTarget::Endpoint {
                origin: Some(origin),
                request_uri,
            } => Some(format!("{origin}{request_uri}")),
            StreamTarget::Endpoint {
                origin: None,
                request_uri,
            } => Some(format!("{}{request_uri}", context::origin(base_url)?)),
        }
    }
}

impl fmt::Debug for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let target = match &self.target {
            StreamTarget::Url(_) => "url (redacted)",
            StreamTarget::Endpoint { .. } => "endpoint (redacted)",
        };
        f.debug_struct("EventStream")
            .field("target", &target)
            .field("inactivity_delay", &self.inactivity_delay)
            .finish()
    }
}

/// One server-sent event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseEvent {
    /// The `event:` field (`message` when absent).
    pub event: String,
    /// The data lines, joined with `\n`.
    pub data: String,
    /// The last event id seen so far on the stream (send it as `Last-Event-ID` on reconnect).
    pub id: Option<String>,
}

/// A `refetchEvaluation` notification: re-fetch the bulk evaluation with these as
/// `flagConfigEtag` / `flagConfigLastModified`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Refetch {
    /// The flag configuration's ETag.
    pub etag: Option<String>,
    /// Epoch seconds (as digits) or a date-time, as the server sent it.
    pub last_modified: Option<String>,
}

impl SseEvent {
    /// The OFREP notification in this event: `Some` for `refetchEvaluation`, `None` for other
    /// types and data that is not a JSON object with a `type`.
    pub(crate) fn refetch(&self) -> Option<Refetch> {
        let data: J = serde_json::from_str(&self.data).ok()?;
        let fields = data.as_object()?;
        if fields.get("type")?.as_str()? != "refetchEvaluation" {
            return None;
        }
        let etag = fields
            .get("etag")
            .and_then(J::as_str)
            .filter(|e| !e.is_empty())
            .map(str::to_owned);
        let last_modified = match fields.get("lastModified") {
            Some(J::Number(n)) if n.as_u64().is_some() => Some(n.to_string()),
            Some(J::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        };
        Some(Refetch {
            etag,
            last_modified,
        })
    }
}

/// An incremental parser of a `text/event-stream` body: feed it chunks as they arrive, in any
/// split, and it returns the complete events. Lines end in LF, CRLF or CR; `:` starts a comment;
/// a blank line dispatches. Lines longer than the limit are dropped (with the event they belong
/// to), so a hostile stream cannot grow memory without bound.
#[derive(Debug)]
pub(crate) struct SseParser {
    line: Vec<u8>,
    /// The previous chunk ended in CR: a leading LF in the next one belongs to that line end.
    after_cr: bool,
    /// The stream's first bytes are being read (a UTF-8 BOM there is skipped).
    at_start: bool,
    /// The current line is too long: skip to its end.
    overflow: bool,
    /// The current event lost a line to the limit: do not dispatch it.
    damaged: bool,
    event: String,
    data: String,
    has_data: bool,
    last_id: Option<String>,
    retry: Option<Duration>,
    max_line: usize,
}

impl Default for SseParser {
    fn default() -> Self {
        SseParser::new(1 << 20)
    }
}

impl SseParser {
    /// A parser dropping lines (and their event) longer than `max_line` bytes.
    pub(crate) fn new(max_line: usize) -> SseParser {
        SseParser {
            line: Vec::new(),
            after_cr: false,
            at_start: true,
            overflow: false,
            damaged: false,
            event: String::new(),
            data: String::new(),
            has_data: false,
            last_id: None,
            retry: None,
            max_line,
        }
    }

    /// The reconnection delay the server asked for (`retry:`), if any.
    pub(crate) fn retry(&self) -> Option<Duration> {
        self.retry
    }

    /// The last event id (for `Last-Event-ID`).
    pub(crate) fn last_id(&self) -> Option<&str> {
        self.last_id.as_deref()
    }

    /// Feeds bytes; returns the events they complete.
    pub(crate) fn feed(&mut self, mut chunk: &[u8]) -> Vec<SseEvent> {
        let mut events = Vec::new();
        if chunk.is_empty() {
            return events;
        }
        if self.after_cr && chunk.first() == Some(&b'\n') {
            chunk = &chunk[1..];
        }
        self.after_cr = false;
        let mut i = 0;
        while i < chunk.len() {
            let b = chunk[i];
            i += 1;
            match b {
                b'\r' | b'\n' => {
                    if b == b'\r' {
                        if i < chunk.len() {
                            if chunk[i] == b'\n' {
                                i += 1;
                            }
                        } else {
                            self.after_cr = true;
                        }
                    }
                    self.end_line(&mut events);
                }
                _ if self.overflow => {}
                _ => {
                    if self.line.len() >= self.max_line {
                        self.overflow = true;
                        self.line.clear();
                    } else {
                        self.line.push(b);
                    }
                }
            }
        }
        events
    }

    fn end_line(&mut self, events: &mut Vec<SseEvent>) {
        if self.overflow {
            self.overflow = false;
            self.damaged = true;
            return;
        }
        let mut line: &[u8] = &self.line;
        if self.at_start {
            self.at_start = false;
            line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        }
        if line.is_empty() {
            self.dispatch(events);
            return;
        }
        let text = String::from_utf8_lossy(line).into_owned();
        self.line.clear();
        if text.starts_with(':') {
            return;
        }
        let (field, value) = match text.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (text.as_str(), ""),
        };
        match field {
            "data" => {
                if self.data.len() + value.len() > self.max_line {
                    self.damaged = true;
                    return;
                }
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "event" => value.clone_into(&mut self.event),
            "id" if !value.contains('\0') => self.last_id = Some(value.to_owned()),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                if let Ok(ms) = value.parse::<u64>() {
                    self.retry = Some(Duration::from_millis(ms));
                }
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, events: &mut Vec<SseEvent>) {
        self.line.clear();
        let event = std::mem::take(&mut self.event);
        let data = std::mem::take(&mut self.data);
        let has_data = std::mem::replace(&mut self.has_data, false);
        if std::mem::replace(&mut self.damaged, false) || !has_data {
            return;
        }
        events.push(SseEvent {
            event: if event.is_empty() {
                "message".to_owned()
            } else {
                event
            },
            data,
            id: self.last_id.clone(),
        });
    }
}

/// OFREP settings read from the environment (`OFREP_ENDPOINT`, `OFREP_HEADERS`,
/// `OFREP_TIMEOUT_MS`). Header values are secrets: `Debug` shows their names only.
#[derive(Clone, Default, PartialEq)]
pub(crate) struct OfrepEnv {
    /// `OFREP_ENDPOINT`: the base URL.
    pub endpoint: Option<String>,
    /// `OFREP_HEADERS`, decoded, in order.
    pub headers: Vec<(String, String)>,
    /// `OFREP_TIMEOUT_MS`.
    pub timeout: Option<Duration>,
    /// What was skipped and why (never a header value), for a warning.
    pub problems: Vec<String>,
}

impl fmt::Debug for OfrepEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OfrepEnv")
            .field("endpoint", &self.endpoint.as_ref().map(|_| "(set)"))
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("timeout", &self.timeout)
            .field("problems", &self.problems)
            .finish()
    }
}

impl OfrepEnv {
    /// Reads the variables through `lookup` (`|name| std::env::var(name).ok()` in production).
    pub(crate) fn read(lookup: impl Fn(&str) -> Option<String>) -> OfrepEnv {
        let mut env = OfrepEnv {
            endpoint: lookup("OFREP_ENDPOINT")
                .map(|e| e.trim().to_owned())
                .filter(|e| !e.is_empty()),
            ..OfrepEnv::default()
        };
        if let Some(headers) = lookup("OFREP_HEADERS") {
            env.headers = parse_headers(&headers, &mut env.problems);
        }
        if let Some(ms) = lookup("OFREP_TIMEOUT_MS") {
            match ms.trim().parse::<u64>() {
                Ok(ms) if ms > 0 => env.timeout = Some(Duration::from_millis(ms)),
                _ => env.problems.push(format!(
                    "`OFREP_TIMEOUT_MS` is not a positive number of milliseconds (`{}`); ignored",
                    ms.trim()
                )),
            }
        }
        env
    }
}

/// `OFREP_HEADERS`: the whole string URL-decoded, split on `,`, each entry split on its first
/// `=`, names and values trimmed. Entries without `=`, with an empty or invalid name, or with
/// a value holding a line break are skipped and reported.
pub(crate) fn parse_headers(raw: &str, problems: &mut Vec<String>) -> Vec<(String, String)> {
    let decoded = context::decode(raw);
    let mut headers = Vec::new();
    for (i, entry) in decoded.split(',').enumerate() {
        if entry.trim().is_empty() {
            continue;
        }
        let n = i + 1;
        let Some((name, value)) = entry.split_once('=') else {
            problems.push(format!(
                "`OFREP_HEADERS` entry {n} has no `=` (expected `Name=value`); skipped"
            ));
            continue;
        };
        let (name, value) = (name.trim(), value.trim());
        if name.is_empty() {
            problems.push(format!(
                "`OFREP_HEADERS` entry {n} has an empty header name; skipped"
            ));
        } else if !name.bytes().all(is_token) {
            problems.push(format!(
                "`OFREP_HEADERS` entry {n}: `{name}` is not a valid header name; skipped"
            ));
        } else if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
            problems.push(format!(
                "`OFREP_HEADERS` entry {n}: the value of `{name}` holds a line break; skipped"
            ));
        } else {
            headers.push((name.to_owned(), value.to_owned()));
        }
    }
    headers
}

fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Invalid OFREP options.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OfrepConfigError {
    /// No base URL, neither given nor in `OFREP_ENDPOINT`.
    #[error(
        "no OFREP base URL; pass one (everything before `/ofrep`, e.g. `http://localhost:8016`) \
         or set `OFREP_ENDPOINT`"
    )]
    MissingBaseUrl,
    /// The base URL is not usable.
    #[error("the OFREP base URL {problem}")]
    InvalidBaseUrl {
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The timeout is zero.
    #[error("the OFREP `timeout` must be positive")]
    ZeroTimeout,
    /// The deadline is zero or longer than 24 hours.
    #[error(
        "the OFREP `deadline` must be positive and at most 24 h (it is {} ms)",
        deadline.as_millis()
    )]
    InvalidDeadline {
        /// The deadline given.
        deadline: Duration,
    },
}

/// OFREP options as given in code; unset fields come from the environment, then defaults.
#[derive(Clone, Default, PartialEq)]
pub(crate) struct OfrepOptions {
    /// The base URL (everything before `/ofrep`).
    pub base_url: Option<String>,
    /// Extra headers (authentication, say); secrets, never printed.
    pub headers: Vec<(String, String)>,
    /// The request timeout.
    pub timeout: Option<Duration>,
    /// The deadline of one evaluation or bulk fetch, retries included (`None`: the
    /// transport's, by default the timeout).
    pub deadline: Option<Duration>,
}

impl fmt::Debug for OfrepOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OfrepOptions")
            .field("base_url", &self.base_url.as_ref().map(|_| "(set)"))
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("timeout", &self.timeout)
            .field("deadline", &self.deadline)
            .finish()
    }
}

/// Validated OFREP settings.
#[derive(Clone, PartialEq)]
pub(crate) struct OfrepConfig {
    /// The base URL, without trailing slash.
    pub base_url: String,
    /// Headers for every request: the environment's, then the options' (which win by
    /// case-insensitive name).
    pub headers: Vec<(String, String)>,
    /// The request timeout.
    pub timeout: Duration,
    /// The deadline, when set.
    pub deadline: Option<Duration>,
}

impl fmt::Debug for OfrepConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OfrepConfig")
            .field("base_url", &context::redacted(&self.base_url))
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("timeout", &self.timeout)
            .field("deadline", &self.deadline)
            .finish()
    }
}

impl OfrepOptions {
    /// Merges with the environment (the options win) and validates.
    ///
    /// # Errors
    ///
    /// No base URL, one that is not an absolute `http(s)` URL with a host, a zero timeout, a
    /// deadline that is zero or longer than 24 hours.
    pub(crate) fn resolve(&self, env: &OfrepEnv) -> Result<OfrepConfig, OfrepConfigError> {
        let base_url = self
            .base_url
            .as_deref()
            .or(env.endpoint.as_deref())
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .ok_or(OfrepConfigError::MissingBaseUrl)?;
        context::check_http_url(base_url)
            .map_err(|problem| OfrepConfigError::InvalidBaseUrl { problem })?;
        let timeout = self.timeout.or(env.timeout).unwrap_or(DEFAULT_TIMEOUT);
        if timeout.is_zero() {
            return Err(OfrepConfigError::ZeroTimeout);
        }
        if let Some(deadline) = self.deadline
            && (deadline.is_zero() || deadline > crate::transport::MAX_DEADLINE)
        {
            return Err(OfrepConfigError::InvalidDeadline { deadline });
        }
        let mut headers: Vec<(String, String)> = env
            .headers
            .iter()
            .filter(|(n, _)| !self.headers.iter().any(|(o, _)| o.eq_ignore_ascii_case(n)))
            .cloned()
            .collect();
        headers.extend(self.headers.iter().cloned());
        Ok(OfrepConfig {
            base_url: base(base_url).to_owned(),
            headers,
            timeout,
            deadline: self.deadline,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::details::MetadataValue;

    fn single(status: u16, body: &str) -> Answer {
        parse_single("my-flag", status, None, body.as_bytes())
    }

    #[test]
    fn urls_encode_the_key_as_one_segment() {
        assert_eq!(
            single_url("http://h:8016/", "my-flag").unwrap(),
            "http://h:8016/ofrep/v1/evaluate/flags/my-flag"
        );
        assert_eq!(
            single_url("http://h/base//", "a/b c?d#é").unwrap(),
            "http://h/base/ofrep/v1/evaluate/flags/a%2Fb%20c%3Fd%23%C3%A9"
        );
        for bad in ["", ".", ".."] {
            let e = single_url("http://h", bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::FlagNotFound);
        }
        assert_eq!(bulk_url("http://h/"), "http://h/ofrep/v1/evaluate/flags");
    }

    #[test]
    fn refetch_urls_carry_the_event_metadata() {
        let event = Refetch {
            etag: Some("\"v 2\"".into()),
            last_modified: Some("2026-02-20T21:28:18Z".into()),
        };
        assert_eq!(
            refetch_url("http://h", &event),
            "http://h/ofrep/v1/evaluate/flags?flagConfigEtag=%22v%202%22&flagConfigLastModified=2026-02-20T21%3A28%3A18Z"
        );
        let only = Refetch {
            etag: None,
            last_modified: Some("1771622898".into()),
        };
        assert_eq!(
            refetch_url("http://h", &only),
            "http://h/ofrep/v1/evaluate/flags?flagConfigLastModified=1771622898"
        );
        assert_eq!(
            refetch_url("http://h", &Refetch::default()),
            "http://h/ofrep/v1/evaluate/flags"
        );
    }

    #[test]
    fn the_body_wraps_the_context() {
        let ctx = Context::new("user-1").with("plan", "pro").with("seats", 3);
        let body: J = serde_json::from_slice(&request_body(&ctx).unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"context": {"targetingKey": "user-1", "plan": "pro", "seats": 3}})
        );
        let body: J =
            serde_json::from_slice(&request_body(&Context::anonymous()).unwrap()).unwrap();
        assert_eq!(body, json!({"context": {}}));
        let e = request_body(&Context::new("u").with("x", f64::NAN)).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidContext);
    }

    #[test]
    fn a_success_keeps_value_variant_reason_and_metadata() {
        let a = single(
            200,
            r#"{"key":"my-flag","value":true,"reason":"TARGETING_MATCH","variant":"on",
                "metadata":{"team":"core","n":1,"bad":[1]},"extra":{"ignored":1}}"#,
        );
        assert_eq!(a.signal, None);
        let r = a.resolution;
        assert_eq!(r.value, Some(json!(true)));
        assert_eq!(r.variant.as_deref(), Some("on"));
        assert_eq!(r.reason, Reason::TargetingMatch);
        assert_eq!(r.error, None);
        assert_eq!(
            r.metadata.get("team"),
            Some(&MetadataValue::String("core".into()))
        );
        assert_eq!(r.metadata.len(), 2);
    }

    #[test]
    fn unknown_or_missing_reasons_are_kept_leniently() {
        let r = single(
            200,
            r#"{"key":"my-flag","value":1,"reason":"TARGETING_MATCH_SPLIT"}"#,
        )
        .resolution;
        assert_eq!(r.reason, Reason::Other("TARGETING_MATCH_SPLIT".into()));
        let r = single(200, r#"{"key":"my-flag","value":1}"#).resolution;
        assert_eq!(r.reason, Reason::Unknown);
        assert_eq!(r.variant, None);
    }

    #[test]
    fn a_success_without_value_defers_to_the_callers_default() {
        let r = single(200, r#"{"key":"my-flag","reason":"DEFAULT"}"#).resolution;
        assert_eq!(r.value, None);
        let d = r.to_details(&crate::FlagKey::new("my-flag", 42_i64));
        assert_eq!((d.value, d.reason, d.error), (42, Reason::Default, None));
        let r = single(200, r#"{"key":"my-flag","value":null,"reason":"DEFAULT"}"#).resolution;
        assert_eq!(r.value, None);
        let r = single(200, r#"{"key":"my-flag","reason":"DISABLED"}"#).resolution;
        let d = r.to_details(&crate::FlagKey::new("my-flag", true));
        assert_eq!((d.value, d.reason, d.error), (true, Reason::Disabled, None));
    }

    #[test]
    fn a_400_maps_the_error_code() {
        for (code, expected) in [
            ("PARSE_ERROR", ErrorCode::ParseError),
            ("TARGETING_KEY_MISSING", ErrorCode::TargetingKeyMissing),
            ("INVALID_CONTEXT", ErrorCode::InvalidContext),
            ("GENERAL", ErrorCode::General),
            ("TYPE_MISMATCH", ErrorCode::TypeMismatch),
            ("FLAG_NOT_FOUND", ErrorCode::FlagNotFound),
            ("SOMETHING_NEW", ErrorCode::General),
        ] {
            let body = format!(
                r#"{{"key":"my-flag","errorCode":"{code}","errorDetails":"why","metadata":{{"v":"1"}}}}"#
            );
            let a = single(400, &body);
            let e = a.resolution.error.clone().unwrap();
            assert_eq!((e.code, e.message.as_ref()), (expected, "why"), "{code}");
            assert_eq!(a.resolution.reason, Reason::Error);
            assert_eq!(a.resolution.metadata.len(), 1);
            assert_eq!(a.signal, None);
        }
        let e = single(400, r#"{"key":"my-flag","errorCode":"INVALID_CONTEXT"}"#)
            .resolution
            .error
            .unwrap();
        assert!(e.message.contains("INVALID_CONTEXT"), "{e}");
        let e = single(400, "not json").resolution.error.unwrap();
        assert_eq!(e.code, ErrorCode::ParseError);
    }

    #[test]
    fn a_404_is_flag_not_found() {
        let e = single(
            404,
            r#"{"key":"my-flag","errorCode":"FLAG_NOT_FOUND","errorDetails":"no such flag"}"#,
        )
        .resolution
        .error
        .unwrap();
        assert_eq!(
            (e.code, e.message.as_ref()),
            (ErrorCode::FlagNotFound, "no such flag")
        );
        let e = single(404, "").resolution.error.unwrap();
        assert_eq!(e.code, ErrorCode::FlagNotFound);
        assert!(e.message.contains("`my-flag`"), "{e}");
    }

    #[test]
    fn auth_failures_are_fatal_and_429_rate_limits() {
        for (status, word) in [(401, "unauthorized"), (403, "forbidden")] {
            let a = single(status, "");
            let e = a.resolution.error.unwrap();
            assert_eq!(e.code, ErrorCode::General);
            assert!(e.message.contains(word), "{e}");
            assert_eq!(a.signal, Some(Signal::Fatal));
        }
        let a = single(429, "");
        assert_eq!(a.signal, Some(Signal::RateLimited));
        assert_eq!(a.resolution.error.unwrap().code, ErrorCode::General);
    }

    #[test]
    fn server_errors_and_other_statuses_are_general() {
        let a = single(500, r#"{"errorDetails":"db down"}"#);
        let e = a.resolution.error.unwrap();
        assert_eq!(
            (e.code, e.message.as_ref()),
            (
                ErrorCode::General,
                "HTTP 500 Internal Server Error: db down"
            )
        );
        assert_eq!(a.signal, None);
        let e = single(503, "").resolution.error.unwrap();
        assert_eq!(e.message, "HTTP 503 Service Unavailable");
        let e = single(302, "moved").resolution.error.unwrap();
        assert_eq!(
            (e.code, e.message.as_ref()),
            (ErrorCode::General, "HTTP 302 Found: moved")
        );
    }

    #[test]
    fn bad_bodies_are_parse_errors() {
        for body in ["", "{", "[1]", "true", "<html>"] {
            let e = single(200, body).resolution.error.unwrap();
            assert_eq!(e.code, ErrorCode::ParseError, "{body}");
        }
        let r = single(
            200,
            r#"{"key":"my-flag","errorCode":"GENERAL","errorDetails":"x"}"#,
        );
        assert_eq!(r.resolution.error.unwrap().code, ErrorCode::General);
    }

    const BULK: &str = r#"{
        "flags": [
            {"key": "discount-banner", "value": true, "reason": "TARGETING_MATCH", "variant": "enabled",
             "metadata": {"team": "growth"}},
            {"key": "theme-color", "value": "blue", "reason": "STATIC", "variant": "default"},
            {"key": "non-existent-flag", "errorCode": "FLAG_NOT_FOUND", "errorDetails": "not found"},
            {"key": "code-default", "reason": "DEFAULT"},
            {"value": 1},
            "junk"
        ],
        "eventStreams": [
            {"type": "sse", "url": "https://sse.example.com/s?token=SECRET", "inactivityDelaySec": 60},
            {"type": "websocket", "url": "wss://x"},
            {"type": "sse", "endpoint": {"requestUri": "/events?c=1"}},
            {"type": "sse", "endpoint": {"origin": "https://o.example/", "requestUri": "/e"}, "inactivityDelaySec": 0},
            {"type": "sse", "endpoint": {"requestUri": "no-slash"}},
            {"type": "sse"}
        ],
        "metadata": {"version": "v12", "team": "platform"}
    }"#;

    #[test]
    fn a_bulk_success_maps_every_flag() {
        let BulkAnswer::Updated(bulk) = parse_bulk(200, None, BULK.as_bytes(), Some("\"abc\""))
        else {
            panic!("expected an update");
        };
        assert_eq!(bulk.etag.as_deref(), Some("\"abc\""));
        assert_eq!(bulk.flags.len(), 4);
        assert_eq!(bulk.skipped, 2);
        let banner = &bulk.flags["discount-banner"];
        assert_eq!(banner.value, Some(json!(true)));
        assert_eq!(banner.reason, Reason::TargetingMatch);
        assert_eq!(
            banner.metadata.get("team"),
            Some(&MetadataValue::String("growth".into()))
        );
        assert_eq!(
            banner.metadata.get("version"),
            Some(&MetadataValue::String("v12".into()))
        );
        let theme = &bulk.flags["theme-color"];
        assert_eq!(
            theme.metadata.get("team"),
            Some(&MetadataValue::String("platform".into()))
        );
        let missing = bulk.flags["non-existent-flag"].error.clone().unwrap();
        assert_eq!(
            (missing.code, missing.message.as_ref()),
            (ErrorCode::FlagNotFound, "not found")
        );
        assert_eq!(bulk.flags["code-default"].value, None);
        assert_eq!(bulk.metadata.len(), 2);
    }

    #[test]
    fn bulk_lookups_answer_locally() {
        let BulkAnswer::Updated(bulk) = parse_bulk(200, None, BULK.as_bytes(), None) else {
            panic!("expected an update");
        };
        let d = bulk.details(&crate::FlagKey::new("discount-banner", false));
        assert_eq!(
            (d.value, d.reason, d.error),
            (true, Reason::TargetingMatch, None)
        );
        let d = bulk.details(&crate::FlagKey::new("theme-color", 0_i64));
        assert_eq!(
            (d.value, d.error_code()),
            (0, Some(ErrorCode::TypeMismatch))
        );
        let d = bulk.details(&crate::FlagKey::new("non-existent-flag", 1_i64));
        assert_eq!(
            (d.value, d.error_code()),
            (1, Some(ErrorCode::FlagNotFound))
        );
        let d = bulk.details(&crate::FlagKey::new("never-heard-of", String::from("x")));
        assert_eq!(d.value, "x");
        assert_eq!(d.error_code(), Some(ErrorCode::FlagNotFound));
        assert_eq!(d.flag_metadata.len(), 2, "flag-set metadata");
        let d = bulk.details(&crate::FlagKey::new("code-default", 5_u8));
        assert_eq!((d.value, d.reason, d.error), (5, Reason::Default, None));
    }

    #[test]
    fn event_streams_resolve_and_never_print_their_url() {
        let BulkAnswer::Updated(bulk) = parse_bulk(200, None, BULK.as_bytes(), None) else {
            panic!("expected an update");
        };
        assert_eq!(bulk.etag, None);
        let streams = &bulk.event_streams;
        assert_eq!(streams.len(), 3, "{streams:?}");
        let base = "https://user:pw@flags.example:8443/prefix";
        assert_eq!(
            streams[0].url(base).as_deref(),
            Some("https://sse.example.com/s?token=SECRET")
        );
        assert_eq!(streams[0].inactivity_delay, Duration::from_secs(60));
        assert_eq!(
            streams[1].url(base).as_deref(),
            Some("https://flags.example:8443/events?c=1")
        );
        assert_eq!(streams[1].inactivity_delay, DEFAULT_INACTIVITY);
        assert_eq!(streams[2].url(base).as_deref(), Some("https://o.example/e"));
        assert_eq!(streams[2].inactivity_delay, DEFAULT_INACTIVITY);
        let printed = format!("{bulk:?}");
        assert!(
            !printed.contains("SECRET") && !printed.contains("events?c"),
            "{printed}"
        );
    }

    #[test]
    fn bulk_statuses() {
        assert_eq!(parse_bulk(304, None, b"", None), BulkAnswer::NotModified);
        let BulkAnswer::Failed { error, signal } = parse_bulk(
            400,
            None,
            br#"{"errorCode":"INVALID_CONTEXT","errorDetails":"no key"}"#,
            None,
        ) else {
            panic!()
        };
        assert_eq!(
            (error.code, error.message.as_ref(), signal),
            (ErrorCode::InvalidContext, "no key", None)
        );
        let BulkAnswer::Failed { error, .. } =
            parse_bulk(400, None, br#"{"errorCode":"VENDOR_THING"}"#, None)
        else {
            panic!()
        };
        assert_eq!(error.code, ErrorCode::General);
        assert!(error.message.contains("VENDOR_THING"));
        for (status, signal) in [
            (401, Some(Signal::Fatal)),
            (403, Some(Signal::Fatal)),
            (429, Some(Signal::RateLimited)),
            (500, None),
        ] {
            let BulkAnswer::Failed { error, signal: s } = parse_bulk(status, None, b"", None)
            else {
                panic!()
            };
            assert_eq!((error.code, s), (ErrorCode::General, signal), "{status}");
        }
        for body in ["", "[]", r#"{"flags": {}}"#, r#"{"nothing": 1}"#] {
            let BulkAnswer::Failed { error, .. } = parse_bulk(200, None, body.as_bytes(), None)
            else {
                panic!("{body}")
            };
            assert_eq!(error.code, ErrorCode::ParseError, "{body}");
        }
        let BulkAnswer::Updated(empty) = parse_bulk(200, None, br#"{"flags": []}"#, Some(""))
        else {
            panic!()
        };
        assert!(empty.flags.is_empty() && empty.etag.is_none());
    }

    fn feed_all(parser: &mut SseParser, chunks: &[&[u8]]) -> Vec<SseEvent> {
        chunks.iter().flat_map(|c| parser.feed(c)).collect()
    }

    #[test]
    fn sse_events_parse_across_any_split() {
        let stream = b"\xEF\xBB\xBF: comment\r\nevent: message\r\nid: evt-1\r\ndata: {\"type\":\"refetchEvaluation\",\r\ndata: \"etag\":\"e1\",\"lastModified\":1771622898}\r\n\r\nretry: 2500\ndata:{\"type\":\"somethingElse\"}\n\ndata: {\"type\":\"refetchEvaluation\"}\r\r";
        let whole = SseParser::default().feed(stream);
        for split in 0..=stream.len() {
            for split2 in split..=stream.len() {
                let mut p = SseParser::default();
                let events = feed_all(
                    &mut p,
                    &[&stream[..split], &stream[split..split2], &stream[split2..]],
                );
                assert_eq!(events, whole, "split at {split}/{split2}");
                assert_eq!(p.retry(), Some(Duration::from_millis(2500)));
                assert_eq!(p.last_id(), Some("evt-1"));
            }
        }
        assert_eq!(whole.len(), 3);
        assert_eq!(whole[0].event, "message");
        assert_eq!(whole[0].id.as_deref(), Some("evt-1"));
        assert_eq!(
            whole[0].data,
            "{\"type\":\"refetchEvaluation\",\n\"etag\":\"e1\",\"lastModified\":1771622898}"
        );
        assert_eq!(
            whole[0].refetch(),
            Some(Refetch {
                etag: Some("e1".into()),
                last_modified: Some("1771622898".into())
            })
        );
        assert_eq!(whole[1].refetch(), None);
        assert_eq!(whole[2].refetch(), Some(Refetch::default()));
    }

    #[test]
    fn sse_fields_follow_the_standard() {
        let mut p = SseParser::default();
        // No data → no event; a field without a colon; `data` without a value is an empty line.
        let events = p.feed(b"event: x\n\ndata\ndata\n\nid: a\0b\ndata: {\"type\":\"refetchEvaluation\",\"lastModified\":\"2026-02-20T21:28:18Z\"}\n\n");
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].event, "message");
        assert_eq!(events[0].data, "\n");
        assert_eq!(events[1].id, None);
        assert_eq!(
            events[1].refetch().unwrap().last_modified.as_deref(),
            Some("2026-02-20T21:28:18Z")
        );
        for data in ["not json", "[1]", "{\"etag\":\"x\"}", "{\"type\":3}"] {
            let e = SseEvent {
                event: "message".into(),
                data: data.into(),
                id: None,
            };
            assert_eq!(e.refetch(), None, "{data}");
        }
        // An incomplete event is not dispatched.
        assert!(
            p.feed(b"data: {\"type\":\"refetchEvaluation\"}\n")
                .is_empty()
        );
    }

    #[test]
    fn sse_lines_beyond_the_limit_drop_their_event() {
        let mut p = SseParser::new(16);
        let long = format!("data: {}\n\ndata: ok\n\n", "x".repeat(100));
        let events = p.feed(long.as_bytes());
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].data, "ok");
        let events = p.feed(b"data: 0123456789\ndata: 0123456789\n\ndata: y\n\n");
        assert_eq!(
            events.iter().map(|e| e.data.as_str()).collect::<Vec<_>>(),
            ["y"]
        );
    }

    fn env(vars: &[(&str, &str)]) -> OfrepEnv {
        let vars: std::collections::HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        OfrepEnv::read(|name| vars.get(name).cloned())
    }

    #[test]
    fn the_environment_is_read_and_decoded() {
        let e = env(&[
            ("OFREP_ENDPOINT", " http://localhost:8016/ "),
            (
                "OFREP_HEADERS",
                "Authorization=Bearer%20tok%3Den,%20X-Api-Key%20=%20k=v%2C , bad, =empty,Bad Name=1,,X-Plus=a+b",
            ),
            ("OFREP_TIMEOUT_MS", "2500"),
        ]);
        assert_eq!(e.endpoint.as_deref(), Some("http://localhost:8016/"));
        assert_eq!(
            e.headers,
            [
                ("Authorization".to_owned(), "Bearer tok=en".to_owned()),
                ("X-Api-Key".to_owned(), "k=v".to_owned()),
                ("X-Plus".to_owned(), "a+b".to_owned()),
            ]
        );
        assert_eq!(e.timeout, Some(Duration::from_millis(2500)));
        // `%2C` decodes before the split: a comma cannot be part of a value.
        assert_eq!(e.problems.len(), 3, "{:?}", e.problems);
        assert!(
            e.problems
                .iter()
                .any(|p| p.contains("entry 4") && p.contains("no `=`"))
        );
        assert!(e.problems.iter().any(|p| p.contains("empty header name")));
        assert!(e.problems.iter().any(|p| p.contains("`Bad Name`")));
        let printed = format!("{e:?}");
        assert!(
            !printed.contains("tok=en") && !printed.contains("8016"),
            "{printed}"
        );
        assert!(e.problems.iter().all(|p| !p.contains("tok")));

        let e = env(&[("OFREP_TIMEOUT_MS", "soon")]);
        assert_eq!(e.timeout, None);
        assert_eq!(e.problems.len(), 1);
        assert!(env(&[("OFREP_TIMEOUT_MS", "0")]).timeout.is_none());
        assert_eq!(env(&[]), OfrepEnv::default());
    }

    #[test]
    fn header_names_and_values_are_checked() {
        let mut problems = Vec::new();
        let h = parse_headers("X-A=1%0D%0AInjected: yes,X-B=2", &mut problems);
        assert_eq!(h, [("X-B".to_owned(), "2".to_owned())]);
        assert_eq!(problems.len(), 1);
        assert!(!problems[0].contains("Injected"));
    }

    #[test]
    fn options_win_over_the_environment() {
        let e = env(&[
            ("OFREP_ENDPOINT", "http://env:8016"),
            ("OFREP_HEADERS", "Authorization=env,X-Env=1"),
            ("OFREP_TIMEOUT_MS", "100"),
        ]);
        let config = OfrepOptions::default().resolve(&e).unwrap();
        assert_eq!(config.base_url, "http://env:8016");
        assert_eq!(config.timeout, Duration::from_millis(100));
        assert_eq!(config.headers.len(), 2);
        let options = OfrepOptions {
            base_url: Some("https://code.example/".into()),
            headers: vec![("authorization".into(), "code".into())],
            timeout: Some(Duration::from_secs(3)),
            deadline: None,
        };
        let config = options.resolve(&e).unwrap();
        assert_eq!(config.base_url, "https://code.example");
        assert_eq!(config.timeout, Duration::from_secs(3));
        assert_eq!(
            config.headers,
            [
                ("X-Env".to_owned(), "1".to_owned()),
                ("authorization".to_owned(), "code".to_owned()),
            ]
        );
        assert!(!format!("{config:?}{options:?}").contains("code\""));
        let defaults = OfrepOptions {
            base_url: Some("http://h".into()),
            ..OfrepOptions::default()
        };
        assert_eq!(
            defaults.resolve(&OfrepEnv::default()).unwrap().timeout,
            DEFAULT_TIMEOUT
        );
    }

    #[test]
    fn invalid_options_say_what_to_fix() {
        let none = OfrepOptions::default()
            .resolve(&OfrepEnv::default())
            .unwrap_err();
        assert_eq!(none, OfrepConfigError::MissingBaseUrl);
        assert!(none.to_string().contains("OFREP_ENDPOINT"));
        let bad = OfrepOptions {
            base_url: Some("localhost:8016?token=SECRET".into()),
            ..OfrepOptions::default()
        };
        let e = bad.resolve(&OfrepEnv::default()).unwrap_err();
        assert!(matches!(e, OfrepConfigError::InvalidBaseUrl { .. }));
        assert!(!e.to_string().contains("SECRET"));
        let zero = OfrepOptions {
            base_url: Some("http://h".into()),
            timeout: Some(Duration::ZERO),
            ..OfrepOptions::default()
        };
        assert_eq!(
            zero.resolve(&OfrepEnv::default()).unwrap_err(),
            OfrepConfigError::ZeroTimeout
        );
        for deadline in [
            Duration::ZERO,
            Duration::from_secs(24 * 3600 + 1),
            Duration::MAX,
        ] {
            let bad = OfrepOptions {
                base_url: Some("http://h".into()),
                deadline: Some(deadline),
                ..OfrepOptions::default()
            };
            let e = bad.resolve(&OfrepEnv::default()).unwrap_err();
            assert_eq!(e, OfrepConfigError::InvalidDeadline { deadline });
            assert!(e.to_string().contains("`deadline` must be positive"), "{e}");
        }
        let set = OfrepOptions {
            base_url: Some("http://h".into()),
            deadline: Some(Duration::from_secs(3)),
            ..OfrepOptions::default()
        };
        let config = set.resolve(&OfrepEnv::default()).unwrap();
        assert_eq!(config.deadline, Some(Duration::from_secs(3)));
    }
}
