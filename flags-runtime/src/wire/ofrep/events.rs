//! Change notification: the event streams a bulk answer announces, and OFREP's
//! `refetchEvaluation` messages on them (read with `flags-http`'s SSE parser).

use std::fmt;
use std::time::Duration;

use serde_json::Value as J;

use crate::wire::context;

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
    pub(super) fn parse(value: &J) -> Option<EventStream> {
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

/// A `refetchEvaluation` notification: re-fetch the bulk evaluation with these as
/// `flagConfigEtag` / `flagConfigLastModified`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Refetch {
    /// The flag configuration's ETag.
    pub etag: Option<String>,
    /// Epoch seconds (as digits) or a date-time, as the server sent it.
    pub last_modified: Option<String>,
}

/// The SSE parser of `flags-http`, whose events read OFREP's notifications.
#[derive(Debug)]
pub(crate) struct SseParser(flags_http::sse::SseParser);

impl SseParser {
    /// A parser dropping lines (and their event) longer than `max_line` bytes.
    pub(crate) fn new(max_line: usize) -> SseParser {
        SseParser(flags_http::sse::SseParser::new(max_line))
    }

    /// The reconnection delay the server asked for (`retry:`), if any.
    pub(crate) fn retry(&self) -> Option<Duration> {
        self.0.retry()
    }

    /// The last event id (for `Last-Event-ID`).
    pub(crate) fn last_id(&self) -> Option<&str> {
        self.0.last_id()
    }

    /// Feeds bytes; returns the events they complete.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        self.0.feed(chunk).into_iter().map(SseEvent).collect()
    }
}

/// One server-sent event on an OFREP event stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseEvent(pub(crate) flags_http::sse::SseEvent);

impl SseEvent {
    /// The OFREP notification in this event: `Some` for `refetchEvaluation`, `None` for other
    /// types and data that is not a JSON object with a `type`.
    pub(crate) fn refetch(&self) -> Option<Refetch> {
        let data: J = serde_json::from_str(&self.0.data).ok()?;
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

#[cfg(test)]
mod tests {
    use super::*;

    // The parsing itself (splits, line ends, fields, limits) is tested in flags-http's
    // `sse.rs`; here, what OFREP reads in the events.
    #[test]
    fn refetch_messages_carry_their_metadata() {
        let stream = b"\xEF\xBB\xBF: comment\r\nevent: message\r\nid: evt-1\r\ndata: {\"type\":\"refetchEvaluation\",\r\ndata: \"etag\":\"e1\",\"lastModified\":1771622898}\r\n\r\nretry: 2500\ndata:{\"type\":\"somethingElse\"}\n\ndata: {\"type\":\"refetchEvaluation\"}\r\r";
        let mut parser = SseParser::new(1 << 20);
        let whole = parser.feed(stream);
        assert_eq!(whole.len(), 3);
        assert_eq!(parser.retry(), Some(Duration::from_millis(2500)));
        assert_eq!(parser.last_id(), Some("evt-1"));
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
    fn refetch_reads_only_refetch_evaluation_objects() {
        let mut parser = SseParser::new(1 << 20);
        let events = parser.feed(b"id: a\0b\ndata: {\"type\":\"refetchEvaluation\",\"lastModified\":\"2026-02-20T21:28:18Z\"}\n\n");
        assert_eq!(
            events[0].refetch().unwrap().last_modified.as_deref(),
            Some("2026-02-20T21:28:18Z")
        );
        for data in ["not json", "[1]", "{\"etag\":\"x\"}", "{\"type\":3}"] {
            let e = SseEvent(flags_http::sse::SseEvent {
                event: "message".into(),
                data: data.into(),
                id: None,
            });
            assert_eq!(e.refetch(), None, "{data}");
        }
    }
}
