//! flagd targeting (JSON Logic with `fractional`, `sem_ver`, `starts_with`, `ends_with`, `$ref`
//! to shared evaluators): the part before the separator is the rule of one flag whose variants
//! have every type, the part after it the context; the flag is read as every type.
#![no_main]
use flags_fuzz::{context, read_all, split, text};
use flags_runtime::{Client, Format, source};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (rule, ctx) = split(data);
    let document = format!(
        r#"{{"flags": {{"f": {{"state": "ENABLED", "defaultVariant": "a",
            "variants": {{"a": "A", "b": "B", "c": "C", "on": true, "off": false, "one": 1, "half": 0.5, "obj": {{"x": 1}}}},
            "targeting": {}}}}},
          "$evaluators": {{"shared": {{"in": ["x", {{"var": "email"}}]}}}}}}"#,
        text(rule)
    );
    if let Ok(client) = Client::builder()
        .in_process(source::json(document).format(Format::Flagd))
        .build()
    {
        read_all(&client, "f", &context(ctx));
    }
});
