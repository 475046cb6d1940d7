//! Short accounts of HTTP error answers, for messages: the status, its reason and the gist of
//! the body, on one line, never a whole page.

use serde_json::Value as J;

/// The most characters of a body (or of a JSON error's text) quoted in a message.
pub const EXCERPT_CHARS: usize = 160;

/// `HTTP 503 Service Unavailable: <what the body says>`, on one line, for an error message.
///
/// What the body says is, for a JSON body, its error text (`errorDetails`, `message`,
/// `error.message`, `error` or `errors[0].message`) or else the JSON itself; for an HTML
/// body (`Content-Type` naming HTML, or a body starting with `<`), `(HTML body omitted)`;
/// for any other body, its text. Whitespace runs become one space, control characters go, and
/// at most [`EXCERPT_CHARS`] characters are kept, cut on a character boundary and followed by
/// `…` when cut. An empty body adds nothing; a status without a standard reason shows its
/// number only.
///
/// ```
/// use flags_http::http_error_summary;
///
/// assert_eq!(
///     http_error_summary(503, Some("text/plain"), b"  upstream\n  down  "),
///     "HTTP 503 Service Unavailable: upstream down"
/// );
/// assert_eq!(
///     http_error_summary(500, Some("text/html"), b"<!DOCTYPE html><html>...</html>"),
///     "HTTP 500 Internal Server Error (HTML body omitted)"
/// );
/// assert_eq!(
///     http_error_summary(400, None, br#"{"errorCode":"PARSE_ERROR","errorDetails":"bad context"}"#),
///     "HTTP 400 Bad Request: bad context"
/// );
/// assert_eq!(http_error_summary(599, None, b""), "HTTP 599");
/// let long = http_error_summary(502, None, "x".repeat(10_000).as_bytes());
/// assert!(long.chars().count() < 200 && long.ends_with('…'));
/// ```
pub fn http_error_summary(status: u16, content_type: Option<&str>, body: &[u8]) -> String {
    let mut out = format!("HTTP {status}");
    if let Some(reason) = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        out.push(' ');
        out.push_str(reason);
    }
    if is_html(content_type, body) {
        out.push_str(" (HTML body omitted)");
        return out;
    }
    let gist = body_gist(body);
    if !gist.is_empty() {
        out.push_str(": ");
        out.push_str(&gist);
    }
    out
}

/// Whether the body is a web page: the content type names HTML, or the text starts with `<`
/// (an HTML or XML document, whatever the server labelled it).
pub fn is_html(content_type: Option<&str>, body: &[u8]) -> bool {
    let labelled = content_type.is_some_and(|ct| ct.to_ascii_lowercase().contains("html"));
    let text = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    labelled || text.trim_ascii_start().first() == Some(&b'<')
}

/// What a (non-HTML) error body says, as one bounded line: a JSON error's text, or the text.
fn body_gist(body: &[u8]) -> String {
    if let Ok(value) = serde_json::from_slice::<J>(body) {
        for pointer in [
            "/errorDetails",
            "/message",
            "/error/message",
            "/error",
            "/errors/0/message",
        ] {
            if let Some(text) = value.pointer(pointer).and_then(J::as_str)
                && !text.trim().is_empty()
            {
                return excerpt(text);
            }
        }
    }
    excerpt(&String::from_utf8_lossy(body))
}

/// `text` on one line (whitespace runs as one space, control characters dropped), trimmed,
/// at most [`EXCERPT_CHARS`] characters, with `…` when cut.
pub fn excerpt(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(EXCERPT_CHARS * 4 + 3));
    let mut kept = 0;
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            pending_space = kept > 0;
            continue;
        }
        if c.is_control() {
            continue;
        }
        let needed = usize::from(pending_space) + 1;
        if kept + needed > EXCERPT_CHARS {
            out.push('…');
            return out;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
        kept += needed;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_one_trimmed_line_of_at_most_excerpt_chars() {
        assert_eq!(excerpt("  a \r\n\t b  \n"), "a b");
        assert_eq!(excerpt("bell\u{7}less"), "bellless");
        assert_eq!(excerpt(""), "");
        assert_eq!(excerpt(" \n "), "");
        let exact = "y".repeat(EXCERPT_CHARS);
        assert_eq!(excerpt(&exact), exact);
        // Multi-byte characters are counted and cut as characters.
        let wide = "é".repeat(1000);
        let cut = excerpt(&wide);
        assert_eq!(cut.chars().count(), EXCERPT_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert!(cut.starts_with("éé"));
        // Trailing whitespace before the cut is not kept.
        let spaced = format!("{} {}", "z".repeat(EXCERPT_CHARS), "tail");
        assert_eq!(excerpt(&spaced), format!("{}…", "z".repeat(EXCERPT_CHARS)));
    }

    #[test]
    fn summaries_name_the_status_and_quote_little() {
        assert_eq!(
            http_error_summary(404, Some("text/plain"), b""),
            "HTTP 404 Not Found"
        );
        assert_eq!(
            http_error_summary(500, None, b"\xEF\xBB\xBF  <html><body>boom</body></html>"),
            "HTTP 500 Internal Server Error (HTML body omitted)"
        );
        assert_eq!(
            http_error_summary(502, Some("Text/HTML; charset=utf-8"), b"Bad gateway"),
            "HTTP 502 Bad Gateway (HTML body omitted)"
        );
        assert_eq!(
            http_error_summary(
                401,
                None,
                br#"{"errors":[{"code":10000,"message":"Authentication error"}]}"#
            ),
            "HTTP 401 Unauthorized: Authentication error"
        );
        assert_eq!(
            http_error_summary(500, None, br#"{"error":{"message":"db down"}}"#),
            "HTTP 500 Internal Server Error: db down"
        );
        // JSON without a known error field: the JSON itself, bounded.
        assert_eq!(
            http_error_summary(503, None, br#"{"status": "down"}"#),
            r#"HTTP 503 Service Unavailable: {"status": "down"}"#
        );
        // Not UTF-8: replaced characters, still bounded.
        let binary = vec![0xFF; 5000];
        let summary = http_error_summary(500, None, &binary);
        assert!(summary.chars().count() < 250, "{summary}");
        // A 1 MB page and a long text are both short.
        let page = format!("<html>{}</html>", "<p>lorem ipsum</p>\n".repeat(60_000));
        let summary = http_error_summary(500, Some("text/html"), page.as_bytes());
        assert_eq!(
            summary,
            "HTTP 500 Internal Server Error (HTML body omitted)"
        );
        let text = "a long line of log output ".repeat(40_000);
        let summary = http_error_summary(500, Some("text/plain"), text.as_bytes());
        assert!(summary.chars().count() < 300, "{summary}");
        assert!(summary.starts_with("HTTP 500 Internal Server Error: a long line"));
        assert!(!summary.contains('\n'));
        let long_details = format!(r#"{{"errorDetails": "{}"}}"#, "d".repeat(100_000));
        let summary = http_error_summary(400, None, long_details.as_bytes());
        assert!(summary.chars().count() < 300, "{summary}");
    }
}
