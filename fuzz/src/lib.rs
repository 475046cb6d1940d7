//! What the fuzz targets share: splitting an input into a document and a context, building an
//! evaluation context from arbitrary JSON, and reading every flag of a client as every type.

use std::time::{Duration, SystemTime};

use flags_runtime::{Client, Context, FlagKey, Format, Value, source};

/// The byte that separates the parts of an input (never in UTF-8 text, so a document and a
/// context written by hand in a seed file stay readable around it).
pub const SEPARATOR: u8 = 0xFF;

/// The input before the first [`SEPARATOR`] and after it (empty without one).
pub fn split(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == SEPARATOR) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[]),
    }
}

/// A context from JSON text: `targetingKey` (when a string) as the targeting key, every other
/// member as an attribute (see [`value`]); anything that is not a JSON object, or not UTF-8, is
/// the context with its text as the targeting key (or none).
pub fn context(data: &[u8]) -> Context {
    let Ok(text) = std::str::from_utf8(data) else {
        return Context::anonymous();
    };
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(members)) => {
            let mut ctx = match members.get("targetingKey") {
                Some(serde_json::Value::String(key)) => Context::new(key.clone()),
                _ => Context::anonymous(),
            };
            for (name, value) in members {
                if name != "targetingKey" {
                    ctx.set(name, self::value(value));
                }
            }
            ctx
        }
        _ if text.is_empty() => Context::anonymous(),
        _ => Context::new(text),
    }
}

/// An attribute from JSON, with the values JSON cannot spell: `{"$datetime": seconds,
/// "nanos": n}` is a date and time (seconds from the Unix epoch, negative before it; the
/// convention of `conformance/flipt/cases.json`), `{"$float": "nan" | "inf" | "-inf"}` that
/// float; anything else as `Value::from` reads it.
pub fn value(json: serde_json::Value) -> Value {
    use serde_json::Value as J;
    match json {
        J::Object(members) => {
            if let Some(seconds) = members.get("$datetime").and_then(J::as_f64) {
                let nanos = members.get("nanos").and_then(J::as_u64).unwrap_or(0);
                let offset = Duration::try_from_secs_f64(seconds.abs())
                    .unwrap_or(Duration::MAX)
                    .saturating_add(Duration::from_nanos(nanos));
                let time = if seconds < 0.0 {
                    SystemTime::UNIX_EPOCH.checked_sub(offset)
                } else {
                    SystemTime::UNIX_EPOCH.checked_add(offset)
                };
                return time.map_or(Value::Null, Value::DateTime);
            }
            match members.get("$float").and_then(J::as_str) {
                Some("nan") => return Value::Float(f64::NAN),
                Some("inf") => return Value::Float(f64::INFINITY),
                Some("-inf") => return Value::Float(f64::NEG_INFINITY),
                _ => {}
            }
            Value::Map(members.into_iter().map(|(k, v)| (k, value(v))).collect())
        }
        J::Array(items) => Value::List(items.into_iter().map(value).collect()),
        other => Value::from(other),
    }
}

/// Reads `key` of `client` as every type, in `ctx`, through `details` and `value`.
pub fn read_all(client: &Client, key: &str, ctx: &Context) {
    let key = key.to_owned();
    let _ = client.details(FlagKey::<bool>::new(key.clone(), false), ctx);
    let _ = client.details(FlagKey::<i64>::new(key.clone(), 0), ctx);
    let _ = client.details(FlagKey::<f64>::new(key.clone(), 0.0), ctx);
    let _ = client.details(FlagKey::<String>::new(key.clone(), String::new()), ctx);
    let _ = client.value(
        FlagKey::<serde_json::Value>::new(key, serde_json::Value::Null),
        ctx,
    );
}

/// Definitions in `format`: read by the schema (as `flags sync` and the macros do, and as the
/// runtime does), then compiled by the runtime's engine and every flag read in `ctx`. The
/// runtime and the schema must agree on whether the document loads.
pub fn definitions(format: Format, text: &str, ctx: &Context) {
    let _ = flags_schema::import_str(text, "fuzz");
    let loaded = flags_schema::load_as(format.clone(), text, "fuzz");
    let client = Client::builder()
        .in_process(source::json(text).format(format))
        .build();
    match (&loaded, &client) {
        (Ok(loaded), Ok(client)) => {
            for key in loaded
                .manifest
                .flags
                .keys()
                .chain(loaded.broken.keys())
                .take(64)
            {
                read_all(client, key, ctx);
            }
            read_all(client, "absent-flag", ctx);
        }
        (Err(_), Err(_)) => {}
        (Ok(_), Err(error)) => panic!("the schema loads the document, the runtime fails: {error}"),
        (Err(error), Ok(_)) => panic!("the runtime loads the document, the schema fails: {error}"),
    }
}

/// Input as text: the part before the separator, lossily (the readers take `&str`).
pub fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// The largest single allocation a target may make: an input is at most a few KiB (the runs'
/// `-max_len`), so anything near this size is an allocation sized by the input's content (a
/// length or a count read from it) rather than by its length. libFuzzer's own
/// `-malloc_limit_mb` needs a sanitizer's allocator hooks, which the stable toolchain lacks,
/// so the targets check it here.
pub const MAX_ALLOCATION: usize = 64 << 20;

/// The system allocator, aborting (a crash libFuzzer records with its input) on an allocation
/// larger than [`MAX_ALLOCATION`].
pub struct BoundedAllocator;

// SAFETY: every call is forwarded unchanged to the system allocator; the check only reads the
// requested size, and aborting allocates nothing.
unsafe impl std::alloc::GlobalAlloc for BoundedAllocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        check(layout.size());
        // SAFETY: the caller's contract, passed on.
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        check(layout.size());
        // SAFETY: the caller's contract, passed on.
        unsafe { std::alloc::System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        check(new_size);
        // SAFETY: the caller's contract, passed on.
        unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
    }
}

fn check(size: usize) {
    if size > MAX_ALLOCATION {
        // Writing to stderr through a fixed buffer allocates nothing.
        use std::io::Write;
        let _ = std::io::stderr().write_all(b"flags-fuzz: an allocation above MAX_ALLOCATION\n");
        std::process::abort();
    }
}

#[global_allocator]
static ALLOCATOR: BoundedAllocator = BoundedAllocator;
