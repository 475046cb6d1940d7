//! GO Feature Flag's query language: the part before the separator is the query of a
//! targeting rule of one flag, the part after it the context; the flag is read as every type.
#![no_main]
use flags_fuzz::{context, read_all, split, text};
use flags_runtime::{Client, Format, source};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (query, ctx) = split(data);
    let query = serde_json::Value::String(text(query).into_owned()).to_string();
    let document = format!(
        r#"{{"flags": {{"f": {{"variations": {{"a": "A", "b": true, "c": 1.5}},
            "targeting": [{{"query": {query}, "variation": "b"}},
                          {{"query": {query}, "percentage": {{"a": 30, "c": 70}}}}],
            "defaultRule": {{"variation": "a"}}}}}}}}"#
    );
    if let Ok(client) = Client::builder()
        .in_process(source::json(document).format(Format::GoFeatureFlag))
        .build()
    {
        read_all(&client, "f", &context(ctx));
    }
});
