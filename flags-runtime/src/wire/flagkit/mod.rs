//! FlagKit's wire protocol, as pure codecs: flag states, the answers of `GET /sdk/init`,
//! `GET /sdk/updates`, `POST /sdk/evaluate`, `POST /sdk/evaluate/all` and
//! `POST /sdk/stream/token`, the event stream's messages, error bodies and the mapping of
//! FlagKit's failures to OpenFeature error codes (FlagKit's numeric code kept in the error's
//! flag metadata). Request signing, bootstrap signatures and the PII check are in [`sign`] and
//! [`pii`].
//!
//! **Deletions.** FlagKit's updates answer carries the flags that changed since `since`; its
//! Python SDK reads only upserts and so never forgets a deleted flag. This codec reads a
//! deletion in either of two forms, both applied: a flag state marked `"deleted": true` (or
//! with a `deletedAt` date), and a key listed in a top-level `"deleted"` (or `"deletedFlags"`)
//! array. On the event stream a deletion is its own message, `flag_deleted` `{key}`, and
//! `flags_reset` replaces the whole set (absent keys are deleted).

use std::time::Duration;

use serde_json::Value as J;

use crate::details::{ErrorCode, EvaluationError, FlagMetadata, MetadataValue, Reason};
use crate::transport::{TransportError, excerpt};
use crate::wire::Resolution;

pub(crate) mod config_error;
pub(crate) mod pii;
pub(crate) mod request;
pub(crate) mod sign;
pub(crate) mod stream;

#[cfg(test)]
mod tests;

/// A flag's declared type (`flagType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlagType {
    Boolean,
    String,
    Number,
    Json,
}

impl FlagType {
    /// `boolean`, `string`, `number`, `json`; anything else is `None`.
    pub(crate) fn parse(text: &str) -> Option<FlagType> {
        match text {
            "boolean" => Some(FlagType::Boolean),
            "string" => Some(FlagType::String),
            "number" => Some(FlagType::Number),
            "json" => Some(FlagType::Json),
            _ => None,
        }
    }

    /// The type a value has, for a state that does not declare one.
    pub(crate) fn of(value: &J) -> FlagType {
        match value {
            J::Bool(_) => FlagType::Boolean,
            J::String(_) => FlagType::String,
            J::Number(_) => FlagType::Number,
            J::Null | J::Array(_) | J::Object(_) => FlagType::Json,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            FlagType::Boolean => "boolean",
            FlagType::String => "string",
            FlagType::Number => "number",
            FlagType::Json => "json",
        }
    }

    /// Whether `value` is of this type (`json` takes objects, arrays and `null`).
    pub(crate) fn fits(self, value: &J) -> bool {
        match self {
            FlagType::Json => matches!(value, J::Object(_) | J::Array(_) | J::Null),
            other => FlagType::of(value) == other,
        }
    }
}

/// One flag as FlagKit serves it: a value per environment, resolved by the service.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FlagState {
    pub key: String,
    pub value: J,
    pub enabled: bool,
    pub version: Option<i64>,
    pub flag_type: FlagType,
    pub last_modified: Option<String>,
    /// Marked deleted (`"deleted": true` or a `deletedAt`).
    pub deleted: bool,
}

impl FlagState {
    /// Reads one flag state: `key` (a non-empty string) is required; `flagType` defaults to
    /// the value's own type (an unknown name too: the value decides); `enabled` defaults to
    /// `true`, `value` to `null`.
    ///
    /// # Errors
    ///
    /// What is wrong, naming the key when there is one.
    pub(crate) fn parse(value: &J) -> Result<FlagState, String> {
        let J::Object(fields) = value else {
            return Err("a flag state is not a JSON object".to_owned());
        };
        let key = match fields.get("key") {
            Some(J::String(key)) if !key.is_empty() => key.clone(),
            _ => return Err("a flag state has no `key`".to_owned()),
        };
        let value = fields.get("value").cloned().unwrap_or(J::Null);
        let flag_type = match fields.get("flagType") {
            Some(J::String(name)) => FlagType::parse(name).unwrap_or(FlagType::of(&value)),
            _ => FlagType::of(&value),
        };
        let enabled = match fields.get("enabled") {
            None | Some(J::Null) => true,
            Some(J::Bool(enabled)) => *enabled,
            Some(_) => return Err(format!("flag `{key}`: `enabled` is not a boolean")),
        };
        let deleted = matches!(fields.get("deleted"), Some(J::Bool(true)))
            || matches!(fields.get("deletedAt"), Some(J::String(_)));
        Ok(FlagState {
            version: fields.get("version").and_then(J::as_i64),
            last_modified: fields
                .get("lastModified")
                .and_then(J::as_str)
                .map(str::to_owned),
            key,
            value,
            enabled,
            flag_type,
            deleted,
        })
    }

    /// How reads see this flag: its value (reason `STATIC`: one value per environment, the
    /// same for every context); a disabled flag serves the caller's default with reason
    /// `DISABLED`; a value that is not of the declared type is a `PARSE_ERROR`. The metadata
    /// carries `flagType`, `version` and `lastModified`.
    pub(crate) fn resolution(&self, reason: &Reason) -> Resolution {
        let mut map = std::collections::BTreeMap::new();
        map.insert(
            "flagType".to_owned(),
            MetadataValue::String(self.flag_type.as_str().to_owned()),
        );
        if let Some(version) = self.version {
            map.insert("version".to_owned(), MetadataValue::Int(version));
        }
        if let Some(at) = &self.last_modified {
            map.insert("lastModified".to_owned(), MetadataValue::String(at.clone()));
        }
        let metadata = FlagMetadata::new(map);
        if !self.flag_type.fits(&self.value) {
            return Resolution::error(
                ErrorCode::ParseError,
                format!(
                    "flag `{}` is declared `{}` but its value is not",
                    self.key,
                    self.flag_type.as_str()
                ),
            )
            .with_metadata(metadata);
        }
        let reason = if self.enabled {
            reason.clone()
        } else {
            Reason::Disabled
        };
        Resolution::value(self.value.clone(), reason).with_metadata(metadata)
    }
}

/// The server's SDK version advice (`metadata` of the init answer).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SdkAdvice {
    pub min: Option<String>,
    pub recommended: Option<String>,
    pub latest: Option<String>,
    pub deprecation_warning: Option<String>,
}

/// The answer of `GET /sdk/init`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct InitAnswer {
    pub flags: Vec<FlagState>,
    /// Flag states that could not be read, with why.
    pub skipped: Vec<String>,
    pub environment: Option<String>,
    pub environment_id: Option<String>,
    pub project_id: Option<String>,
    pub organization_id: Option<String>,
    /// Where the next `since` starts.
    pub server_time: Option<String>,
    /// The server's polling interval (`pollingIntervalSeconds`, 30 s when absent).
    pub polling_interval: Duration,
    pub streaming_url: Option<String>,
    pub sdk: SdkAdvice,
}

/// The polling interval FlagKit's init answer implies when it names none.
pub(crate) const DEFAULT_POLLING_INTERVAL: Duration = Duration::from_secs(30);

/// The answer of `GET /sdk/updates?since=`: the flags that changed, and the deletions.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UpdatesAnswer {
    /// Changed or added flags (deleted ones are in `deleted`).
    pub changed: Vec<FlagState>,
    /// Keys deleted since `since`.
    pub deleted: Vec<String>,
    pub skipped: Vec<String>,
    /// Where the next `since` starts.
    pub checked_at: Option<String>,
}

fn object(body: &[u8], what: &str) -> Result<serde_json::Map<String, J>, FlagKitError> {
    match serde_json::from_slice::<J>(body) {
        Ok(J::Object(fields)) => Ok(fields),
        Ok(_) => Err(FlagKitError::malformed(format!(
            "the {what} answer is not a JSON object"
        ))),
        Err(e) => Err(FlagKitError::malformed(format!(
            "the {what} answer is not JSON: {}",
            excerpt(&e.to_string())
        ))),
    }
}

fn text(fields: &serde_json::Map<String, J>, name: &str) -> Option<String> {
    match fields.get(name) {
        Some(J::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// Reads a `flags` array of flag states: the states, and why any were skipped.
fn flag_states(
    fields: &serde_json::Map<String, J>,
    what: &str,
) -> Result<(Vec<FlagState>, Vec<String>), FlagKitError> {
    let items = match fields.get("flags") {
        Some(J::Array(items)) => items,
        _ => {
            return Err(FlagKitError::malformed(format!(
                "the {what} answer has no `flags` array"
            )));
        }
    };
    let mut flags = Vec::with_capacity(items.len());
    let mut skipped = Vec::new();
    for item in items {
        match FlagState::parse(item) {
            Ok(state) => flags.push(state),
            Err(why) => skipped.push(why),
        }
    }
    Ok((flags, skipped))
}

/// Reads the answer of `GET /sdk/init` (a 200).
///
/// # Errors
///
/// `PARSE_ERROR` when the body is not a JSON object with a `flags` array.
pub(crate) fn parse_init(body: &[u8]) -> Result<InitAnswer, FlagKitError> {
    let fields = object(body, "init")?;
    let (flags, skipped) = flag_states(&fields, "init")?;
    let polling_interval = fields
        .get("pollingIntervalSeconds")
        .and_then(J::as_f64)
        .filter(|s| s.is_finite() && *s > 0.0)
        .map_or(DEFAULT_POLLING_INTERVAL, |s| {
            Duration::from_secs_f64(s.min(86_400.0))
        });
    let sdk = match fields.get("metadata") {
        Some(J::Object(meta)) => SdkAdvice {
            min: text(meta, "sdkVersionMin"),
            recommended: text(meta, "sdkVersionRecommended"),
            latest: text(meta, "sdkVersionLatest"),
            deprecation_warning: text(meta, "deprecationWarning"),
        },
        _ => SdkAdvice::default(),
    };
    Ok(InitAnswer {
        flags,
        skipped,
        environment: text(&fields, "environment"),
        environment_id: text(&fields, "environmentId"),
        project_id: text(&fields, "projectId"),
        organization_id: text(&fields, "organizationId"),
        server_time: text(&fields, "serverTime"),
        polling_interval,
        streaming_url: text(&fields, "streamingUrl"),
        sdk,
    })
}

/// Reads the answer of `GET /sdk/updates` (a 200): see the module's note on deletions.
///
/// # Errors
///
/// `PARSE_ERROR` when the body is not a JSON object with a `flags` array.
pub(crate) fn parse_updates(body: &[u8]) -> Result<UpdatesAnswer, FlagKitError> {
    let fields = object(body, "updates")?;
    let (states, skipped) = flag_states(&fields, "updates")?;
    let mut deleted: Vec<String> = ["deleted", "deletedFlags"]
        .iter()
        .filter_map(|name| match fields.get(*name) {
            Some(J::Array(keys)) => Some(keys),
            _ => None,
        })
        .flatten()
        .filter_map(|k| k.as_str().filter(|k| !k.is_empty()).map(str::to_owned))
        .collect();
    let mut changed = Vec::with_capacity(states.len());
    for state in states {
        if state.deleted {
            deleted.push(state.key);
        } else {
            changed.push(state);
        }
    }
    Ok(UpdatesAnswer {
        changed,
        deleted,
        skipped,
        checked_at: text(&fields, "checkedAt"),
    })
}

/// `{base}/sdk/updates?since=<since, percent-encoded>`.
pub(crate) fn updates_url(base_url: &str, since: &str) -> String {
    let mut url = format!("{}/sdk/updates?since=", base_url.trim_end_matches('/'));
    crate::wire::context::encode_into(&mut url, since);
    url
}

/// `{base}{path}`.
pub(crate) fn url(base_url: &str, path: &str) -> String {
    format!("{}{path}", base_url.trim_end_matches('/'))
}

/// A FlagKit reason as an OpenFeature one (`None`: the reason says the evaluation failed).
fn reason(name: &str) -> Result<Reason, (ErrorCode, Code)> {
    Ok(match name {
        "RULE_MATCH" | "SEGMENT_MATCH" | "TARGETING_MATCH" => Reason::TargetingMatch,
        "FALLTHROUGH" | "DEFAULT" => Reason::Default,
        "FLAG_DISABLED" | "DISABLED" => Reason::Disabled,
        "CACHED" => Reason::Cached,
        "STALE_CACHE" => Reason::Stale,
        "STATIC" | "SERVER" => Reason::Static,
        "SPLIT" | "PERCENTAGE_ROLLOUT" => Reason::Split,
        "FLAG_NOT_FOUND" => return Err((ErrorCode::FlagNotFound, Code::FlagNotFound)),
        "ENVIRONMENT_NOT_CONFIGURED" | "EVALUATION_ERROR" => {
            return Err((ErrorCode::General, Code::Unknown));
        }
        other => Reason::Other(other.to_owned()),
    })
}

/// One evaluation `{flagKey, value, enabled, reason, version}` as a resolution; `key` names
/// the flag asked for when the answer has no `flagKey`.
fn evaluation(key: &str, fields: &serde_json::Map<String, J>) -> Resolution {
    let reason = match fields.get("reason").and_then(J::as_str) {
        Some(name) => match reason(name) {
            Ok(reason) => reason,
            Err((code, numeric)) => {
                return FlagKitError {
                    code,
                    kind: numeric,
                    message: format!("FlagKit answered `{name}` for flag `{key}`"),
                    request_id: None,
                    status: Some(200),
                }
                .resolution();
            }
        },
        None => Reason::TargetingMatch,
    };
    let reason = if matches!(fields.get("enabled"), Some(J::Bool(false))) {
        Reason::Disabled
    } else {
        reason
    };
    let mut map = std::collections::BTreeMap::new();
    if let Some(version) = fields.get("version").and_then(J::as_i64) {
        map.insert("version".to_owned(), MetadataValue::Int(version));
    }
    Resolution {
        value: fields.get("value").cloned(),
        variant: None,
        reason,
        error: None,
        metadata: FlagMetadata::new(map),
    }
}

/// Reads the answer of `POST /sdk/evaluate` (a 200) for `key`.
pub(crate) fn parse_evaluate(key: &str, body: &[u8]) -> Resolution {
    match object(body, "evaluate") {
        Ok(fields) => evaluation(key, &fields),
        Err(error) => error.resolution(),
    }
}

/// Reads the answer of `POST /sdk/evaluate/all` (a 200): each flag's evaluation, by key.
///
/// # Errors
///
/// `PARSE_ERROR` when the body is not a JSON object with a `flags` object.
pub(crate) fn parse_evaluate_all(body: &[u8]) -> Result<Vec<(String, Resolution)>, FlagKitError> {
    let fields = object(body, "evaluate-all")?;
    let Some(J::Object(flags)) = fields.get("flags") else {
        return Err(FlagKitError::malformed(
            "the evaluate-all answer has no `flags` object".to_owned(),
        ));
    };
    Ok(flags
        .iter()
        .map(|(key, item)| {
            let resolution = match item {
                J::Object(fields) => evaluation(key, fields),
                _ => FlagKitError::malformed(format!(
                    "the evaluation of `{key}` is not a JSON object"
                ))
                .resolution(),
            };
            (key.clone(), resolution)
        })
        .collect())
}

/// FlagKit's own error codes (its numeric taxonomy), for the error's metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Code {
    /// 400.
    InvalidContext,
    /// 401.
    InvalidKey,
    /// 403.
    InsufficientPermissions,
    /// 404.
    FlagNotFound,
    /// 429.
    RateLimited,
    /// 5xx.
    ServerError,
    /// The request timed out.
    Timeout,
    /// The connection was refused.
    ConnectionRefused,
    /// Any other transport failure.
    Network,
    /// Anything else (other statuses, unreadable answers).
    Unknown,
}

impl Code {
    /// FlagKit's number for the code.
    pub(crate) fn number(self) -> i64 {
        match self {
            Code::InvalidContext => 1203,
            Code::InvalidKey => 1100,
            Code::InsufficientPermissions => 1103,
            Code::FlagNotFound => 1200,
            Code::RateLimited => 1104,
            Code::ServerError => 1306,
            Code::Timeout => 1301,
            Code::ConnectionRefused => 1303,
            Code::Network => 1300,
            Code::Unknown => 1999,
        }
    }

    /// FlagKit's name for the code.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Code::InvalidContext => "EVAL_INVALID_CONTEXT",
            Code::InvalidKey => "AUTH_INVALID_KEY",
            Code::InsufficientPermissions => "AUTH_INSUFFICIENT_PERMISSIONS",
            Code::FlagNotFound => "EVAL_FLAG_NOT_FOUND",
            Code::RateLimited => "AUTH_RATE_LIMITED",
            Code::ServerError => "NETWORK_SERVER_ERROR",
            Code::Timeout => "NETWORK_TIMEOUT",
            Code::ConnectionRefused => "NETWORK_CONNECTION_REFUSED",
            Code::Network => "NETWORK_ERROR",
            Code::Unknown => "UNKNOWN_ERROR",
        }
    }
}

/// A failed FlagKit request: the OpenFeature code, FlagKit's own code, a short sanitised
/// message, and the server's request id.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FlagKitError {
    pub code: ErrorCode,
    pub kind: Code,
    pub message: String,
    pub request_id: Option<String>,
    /// The HTTP status, when the server answered.
    pub status: Option<u16>,
}

impl FlagKitError {
    /// An answer that cannot be read: `PARSE_ERROR`, FlagKit's `UNKNOWN_ERROR`.
    pub(crate) fn malformed(message: String) -> FlagKitError {
        FlagKitError {
            code: ErrorCode::ParseError,
            kind: Code::Unknown,
            message,
            request_id: None,
            status: Some(200),
        }
    }

    /// 401 or 403: the key is refused.
    pub(crate) fn is_auth(&self) -> bool {
        matches!(self.kind, Code::InvalidKey | Code::InsufficientPermissions)
    }

    /// As a read's failure: the error, with `flagkitErrorCode` (FlagKit's number),
    /// `flagkitError` (its name) and `requestId` in the flag metadata.
    pub(crate) fn resolution(&self) -> Resolution {
        let mut map = std::collections::BTreeMap::new();
        map.insert(
            "flagkitErrorCode".to_owned(),
            MetadataValue::Int(self.kind.number()),
        );
        map.insert(
            "flagkitError".to_owned(),
            MetadataValue::String(self.kind.name().to_owned()),
        );
        if let Some(id) = &self.request_id {
            map.insert("requestId".to_owned(), MetadataValue::String(id.clone()));
        }
        Resolution {
            value: None,
            variant: None,
            reason: Reason::Error,
            error: Some(EvaluationError::new(self.code, self.message.clone())),
            metadata: FlagMetadata::new(map),
        }
    }
}

impl std::fmt::Display for FlagKitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({} {})",
            self.message,
            self.kind.name(),
            self.kind.number()
        )?;
        if let Some(id) = &self.request_id {
            write!(f, " [request {id}]")?;
        }
        Ok(())
    }
}

/// The failure an HTTP status of 400 or more stands for, with the body's `message` (or
/// `error`) and `requestId` (or the `x-request-id` header's): 400 → `INVALID_CONTEXT` (1203),
/// 401 → `PROVIDER_FATAL` (1100), 403 → `PROVIDER_FATAL` (1103), 404 → `FLAG_NOT_FOUND`
/// (1200), 429 → `GENERAL` (1104), 5xx → `GENERAL` (1306), anything else → `GENERAL` (1999).
/// The message is sanitised ([`sign::sanitize`]) and cut short; an HTML body is not quoted.
pub(crate) fn status_error(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    request_id_header: Option<&str>,
) -> FlagKitError {
    let (code, kind) = match status {
        400 => (ErrorCode::InvalidContext, Code::InvalidContext),
        401 => (ErrorCode::ProviderFatal, Code::InvalidKey),
        403 => (ErrorCode::ProviderFatal, Code::InsufficientPermissions),
        404 => (ErrorCode::FlagNotFound, Code::FlagNotFound),
        429 => (ErrorCode::General, Code::RateLimited),
        500.. => (ErrorCode::General, Code::ServerError),
        _ => (ErrorCode::General, Code::Unknown),
    };
    let fields = if crate::transport::is_html(content_type, body) {
        None
    } else {
        match serde_json::from_slice::<J>(body) {
            Ok(J::Object(fields)) => Some(fields),
            _ => None,
        }
    };
    let said = fields
        .as_ref()
        .and_then(|f| text(f, "message").or_else(|| text(f, "error")));
    let request_id = fields
        .as_ref()
        .and_then(|f| text(f, "requestId"))
        .or_else(|| request_id_header.map(str::to_owned))
        .map(|id| excerpt(&id));
    let mut message = format!("FlagKit answered HTTP {status}");
    if let Some(said) = said {
        message.push_str(": ");
        message.push_str(&excerpt(&sign::sanitize(&said)));
    }
    FlagKitError {
        code,
        kind,
        message,
        request_id,
        status: Some(status),
    }
}

/// The failure a transport error stands for: timeouts → 1301, refused connections → 1303, a
/// status → [`status_error`], a rate limit window → 1104, anything else → 1300; all `GENERAL`
/// but the statuses' own codes.
pub(crate) fn transport_error(error: &TransportError) -> FlagKitError {
    let kind = match error {
        TransportError::Status {
            status,
            content_type,
            body,
            ..
        } => return status_error(*status, content_type.as_deref(), body, None),
        TransportError::Timeout | TransportError::DeadlineExceeded { .. } => Code::Timeout,
        TransportError::Connect { .. } => Code::ConnectionRefused,
        TransportError::RateLimited { .. } => Code::RateLimited,
        _ => Code::Network,
    };
    FlagKitError {
        code: ErrorCode::General,
        kind,
        message: sign::sanitize(&error.to_string()),
        request_id: None,
        status: error.status(),
    }
}

/// The bootstrap's flags as states: a JSON object of `key: value` (enabled, typed by their
/// values), served with reason `BOOTSTRAP` until FlagKit answers.
pub(crate) fn bootstrap_states(flags: &serde_json::Map<String, J>) -> Vec<FlagState> {
    flags
        .iter()
        .filter(|(key, _)| !key.is_empty())
        .map(|(key, value)| FlagState {
            key: key.clone(),
            flag_type: FlagType::of(value),
            value: value.clone(),
            enabled: true,
            version: None,
            last_modified: None,
            deleted: false,
        })
        .collect()
}

/// The reason bootstrap values are served with.
pub(crate) fn bootstrap_reason() -> Reason {
    Reason::Other("BOOTSTRAP".to_owned())
}
