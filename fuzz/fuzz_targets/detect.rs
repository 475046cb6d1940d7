//! Any document, its format detected (`load_str`, `parse_str`, `import_str`), then read by the
//! runtime without a format given and every flag read in the context after the separator.
#![no_main]
use flags_fuzz::{context, read_all, split, text};
use flags_runtime::{Client, source};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (document, ctx) = split(data);
    let document = text(document);
    let _ = flags_schema::parse_str(&document, "fuzz");
    let _ = flags_schema::import_str(&document, "fuzz");
    let loaded = flags_schema::load_str(&document, "fuzz");
    let client = Client::builder()
        .in_process(source::json(&*document))
        .build();
    if let (Ok(loaded), Ok(client)) = (&loaded, &client) {
        let ctx = context(ctx);
        for key in loaded.manifest.flags.keys().take(64) {
            read_all(client, key, &ctx);
        }
    }
});
