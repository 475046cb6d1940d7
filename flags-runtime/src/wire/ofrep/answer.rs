//! Answers of the single-flag endpoint, and what both endpoints share: the failure of a
//! status, error codes by name, and the reading of one flag's result.

use serde_json::Value as J;

use crate::details::{ErrorCode, Reason, VariantName};
use crate::transport::{excerpt, http_error_summary};
use crate::wire::{Resolution, metadata_from_json};

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
pub(super) fn failure(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> (Resolution, Option<Signal>) {
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
pub(super) fn parse_item(
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
        Some(J::String(v)) if !v.is_empty() => Some(VariantName::from(v.as_str())),
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::details::MetadataValue;

    fn single(status: u16, body: &str) -> Answer {
        parse_single("my-flag", status, None, body.as_bytes())
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
}
