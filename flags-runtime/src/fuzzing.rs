//! The entry points of the fuzz targets in `fuzz/` (see `fuzz/README.md`): the wire codecs of
//! the remote providers are private, so this module hands the targets each reader of a
//! server's answer, fed with arbitrary bytes, and reads every resolution back as each type.
//! Compiled only with `--cfg fuzzing` (set by the fuzz build), so it is no part of the API.

use crate::key::FlagKey;
use crate::provider::Resolution;
use crate::{Reason, wire};

/// The statuses a fuzz input picks from (its first byte): the ones the readers tell apart and a
/// few they do not know.
const STATUSES: [u16; 12] = [200, 200, 200, 304, 400, 401, 403, 404, 429, 500, 503, 302];

/// The content types a fuzz input picks from (its second byte).
const CONTENT_TYPES: [Option<&str>; 3] = [
    None,
    Some("application/json"),
    Some("text/html; charset=utf-8"),
];

/// Splits an input into a status, a content type and the body.
fn envelope(data: &[u8]) -> (u16, Option<&'static str>, &[u8]) {
    match data {
        [status, content_type, body @ ..] => (
            STATUSES[usize::from(*status) % STATUSES.len()],
            CONTENT_TYPES[usize::from(*content_type) % CONTENT_TYPES.len()],
            body,
        ),
        _ => (200, None, data),
    }
}

/// Reads `resolution` as every type a key can have, as a client does.
fn read_all(key: &str, resolution: &Resolution) {
    let key = key.to_owned();
    let _ = resolution.to_details(&FlagKey::<bool>::new(key.clone(), false));
    let _ = resolution.to_details(&FlagKey::<i64>::new(key.clone(), 0));
    let _ = resolution.to_details(&FlagKey::<f64>::new(key.clone(), 0.0));
    let _ = resolution.to_details(&FlagKey::<String>::new(key.clone(), String::new()));
    let _ = resolution.to_cached_details(&FlagKey::<serde_json::Value>::new(
        key,
        serde_json::Value::Null,
    ));
    let _ = resolution.raw_value();
}

/// OFREP: the answer of a single evaluation, of a bulk evaluation (each of its flags read as
/// each type), and the event a notification stream carries.
pub fn ofrep(data: &[u8]) {
    let (status, content_type, body) = envelope(data);
    let answer = wire::ofrep::parse_single("flag", status, content_type, body);
    read_all("flag", &answer.resolution);
    if let wire::ofrep::BulkAnswer::Updated(bulk) =
        wire::ofrep::parse_bulk(status, content_type, body, Some("\"etag\""))
    {
        let keys: Vec<String> = bulk.flags.keys().map(str::to_owned).collect();
        for key in keys.into_iter().chain(["absent".to_owned()]) {
            let _ = bulk.details(&FlagKey::<bool>::new(key.clone(), false));
            let _ = bulk.details(&FlagKey::<i64>::new(key.clone(), 0));
            let _ = bulk.details(&FlagKey::<f64>::new(key.clone(), 0.0));
            let _ = bulk.details(&FlagKey::<String>::new(key.clone(), String::new()));
            let _ = bulk.details(&FlagKey::<serde_json::Value>::new(
                key.clone(),
                serde_json::Value::Null,
            ));
        }
        for stream in &bulk.event_streams {
            let _ = stream.url("https://flags.example.com/base/");
        }
    }
    let mut parser = wire::ofrep::SseParser::new(4096);
    for event in parser.feed(body) {
        if let Some(refetch) = event.refetch() {
            let _ = wire::ofrep::refetch_url("https://flags.example.com", &refetch);
        }
    }
}

/// Cloudflare Flagship: the answer of an evaluation.
pub fn flagship(data: &[u8]) {
    let (status, content_type, body) = envelope(data);
    read_all(
        "flag",
        &wire::flagship::parse_evaluate("flag", status, content_type, body),
    );
}

/// FlagKit: the answers of init, updates, evaluate, evaluate-all and the stream token, and
/// the payloads of its stream's events (the input's first byte picks the event's name).
pub fn flagkit(data: &[u8]) {
    let reason = Reason::Static;
    if let Ok(init) = wire::flagkit::parse_init(data) {
        for state in &init.flags {
            read_all("flag", &state.resolution(&reason));
        }
    }
    if let Ok(updates) = wire::flagkit::parse_updates(data) {
        for state in &updates.changed {
            read_all("flag", &state.resolution(&reason));
        }
    }
    read_all("flag", &wire::flagkit::parse_evaluate("flag", data));
    if let Ok(all) = wire::flagkit::parse_evaluate_all(data) {
        for (key, resolution) in &all {
            read_all(key, resolution);
        }
    }
    let _ = wire::flagkit::stream::parse_token(data);
    if let Some((first, rest)) = data.split_first() {
        const EVENTS: [&str; 6] = [
            "flag_updated",
            "flag_deleted",
            "flags_reset",
            "heartbeat",
            "error",
            "other",
        ];
        let event = EVENTS[usize::from(*first) % EVENTS.len()];
        let text = String::from_utf8_lossy(rest);
        match wire::flagkit::stream::parse_message(event, &text) {
            wire::flagkit::stream::StreamMessage::Updated(state) => {
                read_all("flag", &state.resolution(&reason));
            }
            wire::flagkit::stream::StreamMessage::Reset(states) => {
                for state in &states {
                    read_all("flag", &state.resolution(&reason));
                }
            }
            _ => {}
        }
    }
}

/// Flipt: a line of the namespace stream (NDJSON), its document read as a Flipt snapshot.
pub fn flipt_stream_line(line: &str) {
    if let Ok(document) = wire::flipt::stream_line(line) {
        let _ = flags_schema::load_as(
            flags_schema::Format::Flipt {
                namespace: "default".into(),
            },
            &document,
            "stream",
        );
    }
}

/// flagd: the specialised form of `targeting` (a string operator on an attribute, a
/// `fractional` over literal buckets) picks what the interpreter chooses for `ctx`, under each
/// `fractional` version; panics when they disagree. Whether the form answered at all.
pub fn flagd_specialised(
    targeting: &serde_json::Value,
    flag_key: &str,
    ctx: &crate::Context,
) -> bool {
    crate::engine::check_flagd_specialised(targeting, flag_key, ctx)
}

/// GO Feature Flag: a one-comparison `query` answers from its clause as the query does, and
/// `flag`, when of the simple shape, decides as the general path does, for `ctx`; panics when
/// they disagree. Whether either specialised form answered.
pub fn gofeatureflag_specialised(
    query: &str,
    flag: &serde_json::Value,
    ctx: &crate::Context,
) -> bool {
    crate::engine::check_gofeatureflag_specialised(query, flag, ctx)
}
