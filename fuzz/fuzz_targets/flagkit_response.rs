//! FlagKit's answers (init, updates, evaluate, evaluate-all, the stream token) and its stream's
//! event payloads (the first byte picks the event's name).
#![no_main]
use libfuzzer_sys::fuzz_target;
// The bounded allocator (src/lib.rs) is linked only into a binary that uses the library.
use flags_fuzz as _;

fuzz_target!(|data: &[u8]| flags_runtime::fuzzing::flagkit(data));
