//! OFREP answers: a single evaluation, a bulk evaluation (every flag read as every type, its
//! event streams' URLs), and the notifications of an event stream. The first byte picks the
//! HTTP status, the second the content type; the rest is the body.
#![no_main]
use libfuzzer_sys::fuzz_target;
// The bounded allocator (src/lib.rs) is linked only into a binary that uses the library.
use flags_fuzz as _;

fuzz_target!(|data: &[u8]| flags_runtime::fuzzing::ofrep(data));
