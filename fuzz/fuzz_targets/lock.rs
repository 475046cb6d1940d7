//! The lock file: read (`Manifest::from_lock_str`), written back and read again to the same
//! manifest, linted; then loaded by the runtime as for `flagd`.
#![no_main]
use flags_fuzz::{context, definitions, split, text};
use flags_runtime::Format;
use flags_schema::Manifest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (document, ctx) = split(data);
    let document = text(document);
    if let Ok(manifest) = Manifest::from_lock_str(&document, "fuzz") {
        let written = manifest.to_lock_string();
        let again = Manifest::from_lock_str(&written, "fuzz")
            .unwrap_or_else(|error| panic!("a written lock does not read back: {error}"));
        assert_eq!(
            again.to_lock_string(),
            written,
            "a lock changes when read back"
        );
        let _ = flags_schema::lint(&manifest);
    }
    definitions(Format::Lock, &document, &context(ctx));
});
