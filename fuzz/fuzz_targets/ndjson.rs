//! The NDJSON reader of `flags-http`: the input is fed whole, then in chunks cut where its first
//! byte says; the lines must not depend on the cut and none may be longer than the limit. Each
//! line is then read as a line of Flipt's namespace stream.
#![no_main]
use flags_http::ndjson::{Line, NdjsonReader};
use libfuzzer_sys::fuzz_target;
// The bounded allocator (src/lib.rs) is linked only into a binary that uses the library.
use flags_fuzz as _;

const MAX_LINE: usize = 4096;

fn lines(body: &[u8], step: usize) -> Vec<Line> {
    let mut reader = NdjsonReader::new(MAX_LINE);
    let mut lines = Vec::new();
    for chunk in body.chunks(step) {
        lines.extend(reader.feed(chunk));
    }
    lines.extend(reader.finish());
    lines
}

fuzz_target!(|data: &[u8]| {
    let Some((cut, body)) = data.split_first() else {
        return;
    };
    let whole = lines(body, body.len().max(1));
    let chunked = lines(body, usize::from(*cut % 7) + 1);
    assert_eq!(whole, chunked, "lines depend on how the body is cut");
    for line in &whole {
        if let Line::Text(text) = line {
            assert!(text.len() <= MAX_LINE);
            flags_runtime::fuzzing::flipt_stream_line(text);
        }
    }
});
