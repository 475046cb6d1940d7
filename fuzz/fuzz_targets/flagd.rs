//! flagd flag definitions (`Format::Flagd`): the schema's importer and loader, the runtime's
//! compiler, and every flag read as every type in the context after the separator.
#![no_main]
use flags_fuzz::{context, definitions, split, text};
use flags_runtime::Format;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (document, ctx) = split(data);
    definitions(Format::Flagd, &text(document), &context(ctx));
});
