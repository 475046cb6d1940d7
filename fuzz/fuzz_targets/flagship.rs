//! Cloudflare Flagship definitions (`Format::Flagship`, with an account id): loaded, compiled,
//! and every flag read in the context after the separator (rules, rollouts, conditions).
#![no_main]
use flags_fuzz::{context, definitions, split, text};
use flags_runtime::Format;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (document, ctx) = split(data);
    let format = Format::Flagship {
        account_id: "aaaabbbbccccdddd1111222233334444".into(),
    };
    definitions(format, &text(document), &context(ctx));
});
