//! Flipt snapshots (`Format::Flipt`: the server's namespace document or the engine's
//! snapshot): loaded, compiled, and every flag read in the context after the separator
//! (segments, constraints, distributions, rollouts).
#![no_main]
use flags_fuzz::{context, definitions, split, text};
use flags_runtime::Format;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (document, ctx) = split(data);
    let format = Format::Flipt {
        namespace: "default".into(),
    };
    definitions(format, &text(document), &context(ctx));
});
