//! What the pipeline carries: tracking and evaluation events, their ids and their encoding in
//! the event log. A leaf of the module: it imports nothing of its siblings.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value as Json};

use crate::context::Context;
use crate::value::Value;

/// What [`Client::track`](crate::Client::track) records beside the event's name: an optional
/// numeric value (a price, a duration) and fields (OpenFeature's tracking event details).
///
/// ```
/// use flags_runtime::tracking::TrackingDetails;
/// let details = TrackingDetails::value(42.0).with("currency", "EUR");
/// assert_eq!(details.numeric(), Some(42.0));
/// assert_eq!(details.field("currency").and_then(|v| v.as_str()), Some("EUR"));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[must_use]
pub struct TrackingDetails {
    value: Option<f64>,
    fields: BTreeMap<String, Value>,
}

impl TrackingDetails {
    /// No value, no field.
    pub fn new() -> TrackingDetails {
        TrackingDetails::default()
    }

    /// With a numeric value.
    pub fn value(value: f64) -> TrackingDetails {
        TrackingDetails {
            value: Some(value),
            fields: BTreeMap::new(),
        }
    }

    /// With one more field (replacing one of that name).
    pub fn with(mut self, key: impl Into<String>, value: impl Into<Value>) -> TrackingDetails {
        self.fields.insert(key.into(), value.into());
        self
    }

    /// The numeric value, if any.
    pub fn numeric(&self) -> Option<f64> {
        self.value
    }

    /// A field.
    pub fn field(&self, key: &str) -> Option<&Value> {
        self.fields.get(key)
    }

    /// The fields, in key order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v))
    }
}

/// An event's id: unique across processes and restarts (a random number drawn when the
/// process starts, and a counter), so that a receiver can drop the duplicates an at-least-once
/// resend may deliver. Written as 32 hexadecimal digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(u128);

impl EventId {
    /// The next id of this process.
    pub(crate) fn next() -> EventId {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        static NONCE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
        let nonce = *NONCE.get_or_init(nonce);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        EventId((u128::from(nonce) << 64) | u128::from(n))
    }

    pub(crate) fn from_u128(id: u128) -> EventId {
        EventId(id)
    }

    /// The id as a number.
    pub fn as_u128(self) -> u128 {
        self.0
    }

    /// Parses the 32 hexadecimal digits of [`EventId`]'s `Display`.
    pub fn parse(text: &str) -> Option<EventId> {
        (text.len() == 32)
            .then(|| u128::from_str_radix(text, 16).ok().map(EventId))
            .flatten()
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

/// 64 bits that differ between processes: the standard library's random hash keys, mixed with
/// the time and the process id.
fn nonce() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.write_u32(std::process::id());
    hasher.finish()
}

/// One event of the pipeline.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Event {
    /// Unique across processes and restarts.
    pub id: EventId,
    /// When it happened, in milliseconds since the Unix epoch.
    pub created_ms: i64,
    /// What happened.
    pub kind: EventKind,
}

/// What an [`Event`] records.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum EventKind {
    /// A call of [`Client::track`](crate::Client::track).
    Tracked(TrackingEvent),
    /// A flag evaluation (fed to the exporters that ask for them).
    Evaluated(EvaluationEvent),
}

/// A call of [`Client::track`](crate::Client::track).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TrackingEvent {
    /// The event's name (`checkout-completed`).
    pub name: String,
    /// The evaluation context it was tracked in (API, transaction, client and call contexts
    /// merged).
    pub context: Context,
    /// The value and fields.
    pub details: TrackingDetails,
}

/// One flag evaluation, as an exporter of evaluation events sees it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct EvaluationEvent {
    /// The flag's key.
    pub flag_key: String,
    /// The context's targeting key.
    pub targeting_key: Option<String>,
    /// Whether the context's `anonymous` attribute is the boolean `true`.
    pub anonymous: bool,
    /// The variant served; `None` when the caller's default was.
    pub variant: Option<String>,
    /// The value served.
    pub value: Value,
    /// Whether the caller's default was served because the evaluation failed.
    pub default: bool,
    /// The flag's `version` metadata, when it has one.
    pub version: Option<String>,
}

impl Event {
    pub(crate) fn new(kind: EventKind) -> Event {
        Event {
            id: EventId::next(),
            created_ms: now_ms(),
            kind,
        }
    }

    /// Whether this is an evaluation event.
    pub fn is_evaluation(&self) -> bool {
        matches!(self.kind, EventKind::Evaluated(_))
    }

    /// The event's creation time in whole seconds since the Unix epoch.
    pub fn created_s(&self) -> i64 {
        self.created_ms.div_euclid(1000)
    }

    /// The event as the log stores it: JSON (dates as Unix seconds), written into `out`
    /// without building a document first.
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        // Writing into a `Vec` fails only for values serde_json refuses, which ours are not.
        let _ = serde_json::to_writer(out, &Record(self));
    }

    /// [`Event::encode_into`] a new buffer.
    #[cfg(test)]
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }

    /// Reads back what [`Event::encode`] wrote; `None` for anything else.
    pub(crate) fn decode(bytes: &[u8]) -> Option<Event> {
        let Json::Object(mut o) = serde_json::from_slice(bytes).ok()? else {
            return None;
        };
        let id = EventId::parse(o.get("id")?.as_str()?)?;
        let created_ms = o.get("t")?.as_i64()?;
        let string = |o: &mut Map<String, Json>, k: &str| match o.remove(k) {
            Some(Json::String(s)) => Some(s),
            _ => None,
        };
        let kind = match o.get("k")?.as_str()? {
            "tracking" => {
                let mut context = Context::default();
                if let Some(key) = string(&mut o, "targetingKey") {
                    context = context.with_targeting_key(key);
                }
                if let Some(Json::Object(attributes)) = o.remove("attributes") {
                    for (k, v) in attributes {
                        context.set(k, Value::from(v));
                    }
                }
                let mut details = TrackingDetails {
                    value: o.get("value").and_then(Json::as_f64),
                    fields: BTreeMap::new(),
                };
                if let Some(Json::Object(fields)) = o.remove("fields") {
                    for (k, v) in fields {
                        details.fields.insert(k, Value::from(v));
                    }
                }
                EventKind::Tracked(TrackingEvent {
                    name: string(&mut o, "name")?,
                    context,
                    details,
                })
            }
            "evaluation" => EventKind::Evaluated(EvaluationEvent {
                flag_key: string(&mut o, "flag")?,
                targeting_key: string(&mut o, "targetingKey"),
                anonymous: o.get("anonymous") == Some(&Json::Bool(true)),
                variant: string(&mut o, "variant"),
                value: Value::from(o.remove("value").unwrap_or(Json::Null)),
                default: o.get("default") == Some(&Json::Bool(true)),
                version: string(&mut o, "version"),
            }),
            _ => return None,
        };
        Some(Event {
            id,
            created_ms,
            kind,
        })
    }
}

/// Milliseconds since the Unix epoch (0 before it).
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// An event as the log writes it.
struct Record<'a>(&'a Event);

impl serde::Serialize for Record<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let event = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("id", &Hex(event.id))?;
        map.serialize_entry("t", &event.created_ms)?;
        match &event.kind {
            EventKind::Tracked(t) => {
                map.serialize_entry("k", "tracking")?;
                map.serialize_entry("name", &t.name)?;
                if let Some(key) = t.context.targeting_key() {
                    map.serialize_entry("targetingKey", key)?;
                }
                map.serialize_entry("attributes", &Entries(|| t.context.attributes()))?;
                if let Some(value) = t.details.value {
                    map.serialize_entry("value", &value)?;
                }
                map.serialize_entry("fields", &Entries(|| t.details.fields()))?;
            }
            EventKind::Evaluated(e) => {
                map.serialize_entry("k", "evaluation")?;
                map.serialize_entry("flag", &e.flag_key)?;
                if let Some(key) = &e.targeting_key {
                    map.serialize_entry("targetingKey", key)?;
                }
                map.serialize_entry("anonymous", &e.anonymous)?;
                if let Some(variant) = &e.variant {
                    map.serialize_entry("variant", variant)?;
                }
                map.serialize_entry("value", &AsJson(&e.value))?;
                map.serialize_entry("default", &e.default)?;
                if let Some(version) = &e.version {
                    map.serialize_entry("version", version)?;
                }
            }
        }
        map.end()
    }
}

/// An id in hexadecimal, written without a string in between.
struct Hex(EventId);

impl serde::Serialize for Hex {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// Attributes or fields as a JSON object (the function lists them).
struct Entries<F>(F);

impl<'a, F, I> serde::Serialize for Entries<F>
where
    F: Fn() -> I,
    I: Iterator<Item = (&'a str, &'a Value)>,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map((self.0)().map(|(k, v)| (k, AsJson(v))))
    }
}

/// A value as JSON, as [`Value::to_json`] makes it, written without building it.
struct AsJson<'a>(&'a Value);

impl serde::Serialize for AsJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Int(i) => serializer.serialize_i64(*i),
            Value::Float(f) if f.is_finite() => serializer.serialize_f64(*f),
            Value::Float(_) => serializer.serialize_unit(),
            Value::String(s) => serializer.serialize_str(s),
            Value::List(items) => serializer.collect_seq(items.iter().map(AsJson)),
            Value::Map(map) => serializer.collect_map(map.iter().map(|(k, v)| (k, AsJson(v)))),
            other => serde::Serialize::serialize(&other.to_json(), serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_read_back() {
        let a = EventId::next();
        let b = EventId::next();
        assert_ne!(a, b);
        assert_eq!(EventId::parse(&a.to_string()), Some(a));
        assert_eq!(EventId::parse("xyz"), None);
    }

    #[test]
    fn events_read_back_as_encoded() {
        let tracking = Event::new(EventKind::Tracked(TrackingEvent {
            name: "checkout".into(),
            context: Context::new("user-1").with("plan", "pro"),
            details: TrackingDetails::value(42.5).with("currency", "EUR"),
        }));
        assert_eq!(Event::decode(&tracking.encode()), Some(tracking));
        let evaluation = Event::new(EventKind::Evaluated(EvaluationEvent {
            flag_key: "beta".into(),
            targeting_key: None,
            anonymous: true,
            variant: Some("on".into()),
            value: Value::Bool(true),
            default: false,
            version: Some("3".into()),
        }));
        assert_eq!(Event::decode(&evaluation.encode()), Some(evaluation));
        assert_eq!(Event::decode(b"{\"id\": 1}"), None);
    }
}
