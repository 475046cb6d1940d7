//! The OpenFeature formats: the CLI's flag manifest, the OpenFeature API's flag list, an OFREP
//! bulk answer and FlagKit's init answer read as definitions (the input's first byte picks the
//! format); then as for `flagd`.
#![no_main]
use flags_fuzz::{context, definitions, split, text};
use flags_runtime::Format;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((pick, rest)) = data.split_first() else {
        return;
    };
    let format = match pick % 4 {
        0 => Format::OpenfeatureCli,
        1 => Format::OpenfeatureApi,
        2 => Format::Ofrep,
        _ => Format::FlagKit,
    };
    let (document, ctx) = split(rest);
    definitions(format, &text(document), &context(ctx));
});
