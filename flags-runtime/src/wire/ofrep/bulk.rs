//! Answers of the bulk endpoint: every flag's result, the flag set's metadata and the event
//! streams announced, read locally afterwards.

use serde_json::Value as J;

use super::answer::{Signal, error_code, failure, parse_item};
use super::events::EventStream;
use crate::details::{ErrorCode, EvaluationError, FlagMetadata};
use crate::transport::{excerpt, http_error_summary};
use crate::wire::bulk::BulkFlags;
use crate::wire::{Resolution, metadata_map};

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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::details::{MetadataValue, Reason};
    use crate::wire::ofrep::events::DEFAULT_INACTIVITY;

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
}
