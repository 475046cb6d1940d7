//! FlagKit's answers (init, updates, evaluate, evaluate-all, the stream token) and its stream's
//! event payloads (the first byte picks the event's name).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| flags_runtime::fuzzing::flagkit(data));
