//! The SSE reader of `flags-http`: the input is fed whole, then in chunks cut where its first
//! bytes say; the events, last id and retry must not depend on the cut, and an event's fields
//! stay within the limit (bytes not UTF-8 read as U+FFFD, three bytes each; the data's limit
//! is checked before the line end that joins a line to it, so it may pass by that one byte).
#![no_main]
use flags_http::sse::SseParser;
use libfuzzer_sys::fuzz_target;
// The bounded allocator (src/lib.rs) is linked only into a binary that uses the library.
use flags_fuzz as _;

const MAX_LINE: usize = 64;

fuzz_target!(|data: &[u8]| {
    let Some((cut, body)) = data.split_first() else {
        return;
    };
    let mut whole = SseParser::new(MAX_LINE);
    let events = whole.feed(body);
    let mut chunked = SseParser::new(MAX_LINE);
    let mut pieces = Vec::new();
    let step = usize::from(*cut % 7) + 1;
    for chunk in body.chunks(step) {
        pieces.extend(chunked.feed(chunk));
    }
    assert_eq!(events, pieces, "events depend on how the body is cut");
    assert_eq!(whole.last_id(), chunked.last_id());
    assert_eq!(whole.retry(), chunked.retry());
    for event in &events {
        assert!(event.event.len() <= 3 * MAX_LINE);
        assert!(event.id.as_ref().is_none_or(|id| id.len() <= 3 * MAX_LINE));
        assert!(event.data.len() <= MAX_LINE + 1);
    }
});
