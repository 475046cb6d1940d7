//! GO Feature Flag configurations and flag files (`Format::GoFeatureFlag`, JSON, YAML or TOML):
//! loaded, compiled, and every flag read in the context after the separator (its query
//! language, JSON Logic rules, progressive rollouts and schedules).
#![no_main]
use flags_fuzz::{context, definitions, split, text};
use flags_runtime::Format;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (document, ctx) = split(data);
    definitions(Format::GoFeatureFlag, &text(document), &context(ctx));
});
