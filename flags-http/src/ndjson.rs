//! Newline-delimited JSON: an incremental splitter of a body into its lines, for streams that
//! send one JSON document per line (Flipt's namespace stream, say). The caller reads the body
//! (with `Stream::chunk` of the `client` feature) and parses each line.
//!
//! ```
//! use flags_http::ndjson::{Line, NdjsonReader};
//!
//! let mut reader = NdjsonReader::new(1 << 20);
//! assert!(reader.feed(b"{\"result\":").is_empty());
//! let lines = reader.feed(b"{}}\r\n\n{\"result\":2}\n");
//! assert_eq!(lines, [Line::Text("{\"result\":{}}".into()), Line::Text("{\"result\":2}".into())]);
//! assert_eq!(reader.finish(), None);
//! ```

/// One line of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A line, without its end (`\n` or `\r\n`).
    Text(String),
    /// A line longer than the limit: its bytes were dropped; the stream goes on after it.
    TooLong,
    /// A line that is not UTF-8.
    NotUtf8,
}

/// Splits a body into lines as its chunks arrive, in any split. Lines end in `\n` (a `\r`
/// before it is dropped); blank lines are skipped. A line longer than the limit is reported
/// as [`Line::TooLong`] without being kept, so a hostile stream cannot grow memory without
/// bound.
#[derive(Debug)]
pub struct NdjsonReader {
    line: Vec<u8>,
    /// The current line is too long: skip to its end.
    overflow: bool,
    max_line: usize,
}

impl NdjsonReader {
    /// A reader of lines of at most `max_line` bytes.
    pub fn new(max_line: usize) -> NdjsonReader {
        NdjsonReader {
            line: Vec::new(),
            overflow: false,
            max_line,
        }
    }

    /// Feeds bytes; returns the lines they complete.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<Line> {
        let mut lines = Vec::new();
        let mut rest = chunk;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            self.take(&rest[..end]);
            if let Some(line) = self.end_line() {
                lines.push(line);
            }
            rest = &rest[end + 1..];
        }
        self.take(rest);
        lines
    }

    /// The last line when the body ends without a final `\n`; `None` when there is none.
    pub fn finish(&mut self) -> Option<Line> {
        self.end_line()
    }

    fn take(&mut self, bytes: &[u8]) {
        if self.overflow {
            return;
        }
        if self.line.len() + bytes.len() > self.max_line {
            self.overflow = true;
            self.line = Vec::new();
        } else {
            self.line.extend_from_slice(bytes);
        }
    }

    fn end_line(&mut self) -> Option<Line> {
        if std::mem::replace(&mut self.overflow, false) {
            return Some(Line::TooLong);
        }
        let mut bytes = std::mem::take(&mut self.line);
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        Some(match String::from_utf8(bytes) {
            Ok(text) => Line::Text(text),
            Err(_) => Line::NotUtf8,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_come_whole_across_any_split() {
        let body = b"{\"a\":1}\r\n\n  \n{\"b\":\"\xc3\xa9\"}\n\xff\n{\"c\":3}";
        let mut whole = NdjsonReader::new(64);
        let mut expected = whole.feed(body);
        expected.extend(whole.finish());
        assert_eq!(
            expected,
            [
                Line::Text("{\"a\":1}".into()),
                Line::Text("{\"b\":\"é\"}".into()),
                Line::NotUtf8,
                Line::Text("{\"c\":3}".into()),
            ]
        );
        for split in 0..=body.len() {
            for split2 in split..=body.len() {
                let mut reader = NdjsonReader::new(64);
                let mut lines = reader.feed(&body[..split]);
                lines.extend(reader.feed(&body[split..split2]));
                lines.extend(reader.feed(&body[split2..]));
                lines.extend(reader.finish());
                assert_eq!(lines, expected, "split at {split}/{split2}");
            }
        }
    }

    #[test]
    fn long_lines_are_dropped_and_reported() {
        let mut reader = NdjsonReader::new(8);
        let lines = reader.feed(b"0123456789abcdef\n{\"a\":1}\n012345");
        assert_eq!(lines, [Line::TooLong, Line::Text("{\"a\":1}".into())]);
        assert_eq!(reader.feed(b"6789"), []);
        assert_eq!(
            reader.feed(b"\nok\n"),
            [Line::TooLong, Line::Text("ok".into())]
        );
        // Exactly the limit fits.
        assert_eq!(reader.feed(b"12345678\n"), [Line::Text("12345678".into())]);
        assert_eq!(reader.finish(), None);
    }
}
