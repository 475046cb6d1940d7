//! Server-sent events: an incremental parser of a `text/event-stream` body, as the HTML
//! standard defines it. The caller reads the body (with `Stream::chunk` of the `client`
//! feature, say) and interprets the events.
//!
//! ```
//! use flags_http::sse::SseParser;
//!
//! let mut parser = SseParser::new(1 << 20);
//! assert!(parser.feed(b"id: 7\ndata: {\"type\":").is_empty());
//! let events = parser.feed(b"\"ping\"}\n\n");
//! assert_eq!(events.len(), 1);
//! assert_eq!(events[0].event, "message");
//! assert_eq!(events[0].data, r#"{"type":"ping"}"#);
//! assert_eq!(parser.last_id(), Some("7"));
//! ```

use std::time::Duration;

/// One server-sent event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field (`message` when absent).
    pub event: String,
    /// The data lines, joined with `\n`.
    pub data: String,
    /// The last event id seen so far on the stream (send it as `Last-Event-ID` on reconnect).
    pub id: Option<String>,
}

/// An incremental parser of a `text/event-stream` body: feed it chunks as they arrive, in any
/// split, and it returns the complete events. Lines end in LF, CRLF or CR; `:` starts a comment;
/// a blank line dispatches. Lines longer than the limit are dropped (with the event they belong
/// to), so a hostile stream cannot grow memory without bound.
///
/// Memory bound: between two calls the parser holds at most six times `max_line` bytes (the
/// line being read, the event's data, whose lines together are held to the limit too, its name
/// and the last event id each hold at most `max_line` bytes, in buffers that may have grown to
/// twice that), however long the stream runs; what one [`feed`](SseParser::feed) returns is at most the events that chunk
/// completes, each no longer than the limit.
#[derive(Debug)]
pub struct SseParser {
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
    /// A parser with a limit of 1 MiB per line.
    fn default() -> Self {
        SseParser::new(1 << 20)
    }
}

impl SseParser {
    /// A parser dropping lines (and their event) longer than `max_line` bytes.
    pub fn new(max_line: usize) -> SseParser {
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
    pub fn retry(&self) -> Option<Duration> {
        self.retry
    }

    /// The last event id (for `Last-Event-ID`).
    pub fn last_id(&self) -> Option<&str> {
        self.last_id.as_deref()
    }

    /// Feeds bytes; returns the events they complete.
    pub fn feed(&mut self, mut chunk: &[u8]) -> Vec<SseEvent> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(parser: &mut SseParser, chunks: &[&[u8]]) -> Vec<SseEvent> {
        chunks.iter().flat_map(|c| parser.feed(c)).collect()
    }

    // The OFREP reading of these events is tested in the runtime's `wire/ofrep/events.rs`.
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
        assert_eq!(whole[1].data, "{\"type\":\"somethingElse\"}");
        assert_eq!(whole[2].data, "{\"type\":\"refetchEvaluation\"}");
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
            events[1].data,
            "{\"type\":\"refetchEvaluation\",\"lastModified\":\"2026-02-20T21:28:18Z\"}"
        );
        // An incomplete event is not dispatched.
        assert!(
            p.feed(b"data: {\"type\":\"refetchEvaluation\"}\n")
                .is_empty()
        );
    }

    /// Bytes the parser holds between two calls.
    fn held(p: &SseParser) -> usize {
        p.line.capacity()
            + p.data.capacity()
            + p.event.capacity()
            + p.last_id.as_ref().map_or(0, String::capacity)
    }

    /// The memory bound: a hostile stream of 16 MiB (an endless line, data lines that add up,
    /// long names and ids, events dispatched all along) in chunks of every size never makes the
    /// parser hold more than six times its line limit.
    #[test]
    fn sse_memory_stays_within_six_times_the_line_limit() {
        const LIMIT: usize = 1000;
        let mut p = SseParser::new(LIMIT);
        let long = "x".repeat(3 * LIMIT);
        let pieces = [
            format!("data: {long}"),
            format!("data: {}\n", "y".repeat(LIMIT - 10)),
            format!("event: {}\n", "e".repeat(LIMIT - 10)),
            format!("id: {}\n", "i".repeat(LIMIT - 10)),
            format!(
                "data: {}\ndata: {}\n\n",
                "a".repeat(LIMIT / 2),
                "b".repeat(LIMIT / 2)
            ),
            "\n".to_owned(),
            "data: ok\n\n".to_owned(),
        ];
        let mut fed = 0;
        let mut dispatched = 0;
        let mut most = 0;
        let mut n = 0usize;
        while fed < 16 << 20 {
            let piece = &pieces[n % pieces.len()];
            let chunk = 1 + (n * 7919) % (piece.len() + 1);
            for part in piece.as_bytes().chunks(chunk) {
                let events = p.feed(part);
                for event in &events {
                    assert!(event.data.len() <= LIMIT);
                    assert!(event.event.len() <= LIMIT);
                }
                dispatched += events.len();
                most = most.max(held(&p));
                assert!(held(&p) <= 6 * LIMIT, "{} bytes held", held(&p));
            }
            fed += piece.len();
            n += 1;
        }
        assert!(dispatched > 0, "the stream's good events still came out");
        assert!(
            most > 2 * LIMIT,
            "the test reached the limits: {most} bytes at most"
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
}
