//! FlagKit's event stream: the token exchange's answer and the stream's messages.

use std::time::Duration;

use serde_json::Value as J;

use super::{FlagKitError, FlagState};

/// The answer of `POST /sdk/stream/token`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StreamToken {
    pub token: String,
    /// `expiresIn` (seconds), at least one second.
    pub expires_in: Duration,
}

/// Reads the answer of `POST /sdk/stream/token` (a 200).
///
/// # Errors
///
/// `PARSE_ERROR` when there is no non-empty `token` or no positive `expiresIn`.
pub(crate) fn parse_token(body: &[u8]) -> Result<StreamToken, FlagKitError> {
    let fields = super::object(body, "stream token")?;
    let token = super::text(&fields, "token").ok_or_else(|| {
        FlagKitError::malformed("the stream token answer has no `token`".to_owned())
    })?;
    let expires_in = fields
        .get("expiresIn")
        .and_then(J::as_f64)
        .filter(|s| s.is_finite() && *s > 0.0)
        .ok_or_else(|| {
            FlagKitError::malformed(
                "the stream token answer has no positive `expiresIn`".to_owned(),
            )
        })?;
    Ok(StreamToken {
        token,
        expires_in: Duration::from_secs_f64(expires_in.clamp(1.0, 86_400.0)),
    })
}

/// `{base}/sdk/stream?token=<token, percent-encoded>`.
pub(crate) fn stream_url(base_url: &str, token: &str) -> String {
    let mut url = format!("{}/sdk/stream?token=", base_url.trim_end_matches('/'));
    crate::wire::context::encode_into(&mut url, token);
    url
}

/// The codes of an `error` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StreamErrorCode {
    /// `TOKEN_INVALID`, `TOKEN_EXPIRED`: reconnect with a new token.
    Token,
    /// `SUBSCRIPTION_SUSPENDED`: stop streaming, poll.
    Suspended,
    /// `STREAMING_UNAVAILABLE`: stop streaming, poll.
    Unavailable,
    /// `CONNECTION_LIMIT`: a failure, with backoff.
    ConnectionLimit,
    /// Anything else: a failure.
    Other(String),
}

/// One message of the stream.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StreamMessage {
    /// `flag_updated`: one flag state.
    Updated(FlagState),
    /// `flag_deleted`: `{key}`.
    Deleted(String),
    /// `flags_reset`: the whole set, in place of what is held.
    Reset(Vec<FlagState>),
    Heartbeat,
    Error {
        code: StreamErrorCode,
        message: String,
    },
    /// Anything else, or a message whose data cannot be read (why).
    Ignored(String),
}

/// Reads a message from its `event:` name and `data:`.
pub(crate) fn parse_message(event: &str, data: &str) -> StreamMessage {
    let json = || serde_json::from_str::<J>(data);
    match event {
        "flag_updated" => match json()
            .map_err(|e| e.to_string())
            .and_then(|v| FlagState::parse(&v))
        {
            Ok(state) => StreamMessage::Updated(state),
            Err(why) => StreamMessage::Ignored(format!("flag_updated: {why}")),
        },
        "flag_deleted" => match json() {
            Ok(J::Object(fields)) => match super::text(&fields, "key") {
                Some(key) => StreamMessage::Deleted(key),
                None => StreamMessage::Ignored("flag_deleted without `key`".to_owned()),
            },
            _ => StreamMessage::Ignored("flag_deleted is not a JSON object".to_owned()),
        },
        "flags_reset" => match json() {
            Ok(J::Array(items)) => {
                let states: Result<Vec<FlagState>, String> =
                    items.iter().map(FlagState::parse).collect();
                match states {
                    Ok(states) => StreamMessage::Reset(states),
                    Err(why) => StreamMessage::Ignored(format!("flags_reset: {why}")),
                }
            }
            _ => StreamMessage::Ignored("flags_reset is not a JSON array".to_owned()),
        },
        "heartbeat" => StreamMessage::Heartbeat,
        "error" => {
            let fields = match json() {
                Ok(J::Object(fields)) => fields,
                _ => serde_json::Map::new(),
            };
            let code = super::text(&fields, "code").unwrap_or_default();
            StreamMessage::Error {
                code: match code.as_str() {
                    "TOKEN_INVALID" | "TOKEN_EXPIRED" => StreamErrorCode::Token,
                    "SUBSCRIPTION_SUSPENDED" => StreamErrorCode::Suspended,
                    "STREAMING_UNAVAILABLE" => StreamErrorCode::Unavailable,
                    "CONNECTION_LIMIT" => StreamErrorCode::ConnectionLimit,
                    _ => StreamErrorCode::Other(crate::transport::excerpt(&code)),
                },
                message: super::sign::sanitize(&crate::transport::excerpt(
                    &super::text(&fields, "message").unwrap_or_default(),
                )),
            }
        }
        other => StreamMessage::Ignored(format!(
            "unknown event `{}`",
            crate::transport::excerpt(other)
        )),
    }
}
