//! A flagd document read straight from its text: the document, its `flags` and each flag's
//! fields are typed as they are read, borrowing the keys from the text, and only the values
//! the manifest keeps (variants, rules, metadata) become [`Value`]s. Reading 10,000 flags this
//! way skips the tree of maps that a [`Value`] of the whole document builds and the importer
//! then takes apart again.
//!
//! Nothing here rejects a document: whatever shape a part has is kept (a part that is not what
//! flagd expects stays a [`Value`]), so that text parses exactly when it parses as a [`Value`],
//! with the same errors, and the importer (`flagd.rs`) reports the same problems in the same
//! order as it does for a [`Value`] ([`Document::from_value`]). A document that may be of
//! another format turns back into its [`Value`] ([`Document::into_value`]) for detection.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// A document as a flagd file: its `flags` typed, its other top-level fields as they are.
pub(super) enum Document<'a> {
    /// An object.
    Object {
        /// `flags`, when the document has it.
        flags: Option<FlagList<'a>>,
        /// Every other top-level field (`metadata`, `$evaluators`, `$schema`, ...).
        rest: Map<String, Value>,
    },
    /// Anything but an object.
    Other(Value),
}

/// A document's `flags`.
pub(super) enum FlagList<'a> {
    /// An object of flags by key, as a JSON object reads them: sorted by key, each key once
    /// (with the last flag written under it).
    ByKey(Vec<(Cow<'a, str>, Node<'a>)>),
    /// An array of flags, each carrying its `key`.
    Keyed(Vec<Node<'a>>),
    /// Neither.
    Other(Value),
}

/// A flag in `flags`: its fields when it is an object.
pub(super) enum Node<'a> {
    /// An object.
    Object(Fields<'a>),
    /// Anything else.
    Other(Value),
}

/// A flag's fields: those flagd reads, and the rest as written. A field written twice is
/// the last one written, as in a [`Value`].
#[derive(Default)]
pub(super) struct Fields<'a> {
    pub(super) state: Option<Text<'a>>,
    pub(super) variants: Option<Variants>,
    pub(super) default_variant: Option<Text<'a>>,
    pub(super) targeting: Option<Value>,
    pub(super) metadata: Option<Value>,
    /// Every other field (an array entry's `key`, another format's fields, ...).
    pub(super) rest: Map<String, Value>,
}

/// A field that is usually a string: borrowed from the text when it has no escapes.
pub(super) enum Text<'a> {
    /// A string.
    Str(Cow<'a, str>),
    /// Anything else.
    Other(Value),
}

/// A flag's `variants`.
pub(super) enum Variants {
    /// An object of values by name.
    Object(BTreeMap<String, Value>),
    /// Anything else.
    Other(Value),
}

/// Reads `text` as a [`Document`].
///
/// # Errors
///
/// Exactly when `serde_json::from_str::<Value>(text)` fails, with the same error.
pub(super) fn parse(text: &str) -> Result<Document<'_>, serde_json::Error> {
    serde_json::from_str::<Shaped<Document<'_>>>(text).map(|shaped| shaped.0)
}

impl<'a> Document<'a> {
    /// The document of a [`Value`], taken apart without copying its values.
    pub(super) fn from_value(value: Value) -> Document<'a> {
        match value {
            Value::Object(mut rest) => Document::Object {
                flags: rest.remove("flags").map(FlagList::from_value),
                rest,
            },
            other => Document::Other(other),
        }
    }

    /// Whether [`Format::detect`](super::Format::detect) reads this document as a flagd file.
    /// Cautious: `false` may be wrong (the caller then detects the format of
    /// [`Document::into_value`]), `true` never is. The rules of `detect` it follows: no
    /// `formatVersion` (a lock file) nor `namespace` (Flipt); `flags` that is no GO Feature Flag
    /// flag (which needs a flag named `variations`, so no such key); as an object, no flag with
    /// `flagType` (an OpenFeature CLI manifest) and one with `variants` or `state`; as an
    /// array, one entry with `variants` or `state`.
    pub(super) fn is_flagd(&self) -> bool {
        let Document::Object {
            flags: Some(flags),
            rest,
        } = self
        else {
            return false;
        };
        if rest.contains_key("formatVersion") || rest.contains_key("namespace") {
            return false;
        }
        match flags {
            FlagList::ByKey(entries) => {
                let objects = || {
                    entries.iter().filter_map(|(_, node)| match node {
                        Node::Object(fields) => Some(fields),
                        Node::Other(_) => None,
                    })
                };
                !entries.iter().any(|(key, _)| key == "variations")
                    && !objects().any(|fields| fields.rest.contains_key("flagType"))
                    && objects().any(Fields::has_flagd_field)
            }
            FlagList::Keyed(entries) => entries
                .iter()
                .any(|node| matches!(node, Node::Object(fields) if fields.has_flagd_field())),
            FlagList::Other(_) => false,
        }
    }

    /// The document as a [`Value`], as `serde_json` would have read it.
    pub(super) fn into_value(self) -> Value {
        match self {
            Document::Object { flags, mut rest } => {
                if let Some(flags) = flags {
                    rest.insert("flags".to_owned(), flags.into_value());
                }
                Value::Object(rest)
            }
            Document::Other(value) => value,
        }
    }
}

impl<'a> FlagList<'a> {
    /// [`FlagList::ByKey`] of the entries of an object in the text's order.
    fn by_key(mut entries: Vec<(Cow<'a, str>, Node<'a>)>) -> FlagList<'a> {
        // Stable: of the entries of one key, the last written stays last, and is the one kept.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|later, earlier| {
            let same = later.0 == earlier.0;
            if same {
                std::mem::swap(later, earlier);
            }
            same
        });
        FlagList::ByKey(entries)
    }

    fn from_value(value: Value) -> FlagList<'a> {
        match value {
            Value::Object(flags) => FlagList::ByKey(
                flags
                    .into_iter()
                    .map(|(key, flag)| (Cow::Owned(key), Node::from_value(flag)))
                    .collect(),
            ),
            Value::Array(flags) => {
                FlagList::Keyed(flags.into_iter().map(Node::from_value).collect())
            }
            other => FlagList::Other(other),
        }
    }

    fn into_value(self) -> Value {
        match self {
            FlagList::ByKey(entries) => Value::Object(
                entries
                    .into_iter()
                    .map(|(key, node)| (key.into_owned(), node.into_value()))
                    .collect(),
            ),
            FlagList::Keyed(entries) => {
                Value::Array(entries.into_iter().map(Node::into_value).collect())
            }
            FlagList::Other(value) => value,
        }
    }
}

impl<'a> Node<'a> {
    fn from_value(value: Value) -> Node<'a> {
        match value {
            Value::Object(mut rest) => Node::Object(Fields {
                state: rest.remove("state").map(Text::from_value),
                variants: rest.remove("variants").map(|value| match value {
                    Value::Object(variants) => Variants::Object(variants.into_iter().collect()),
                    other => Variants::Other(other),
                }),
                default_variant: rest.remove("defaultVariant").map(Text::from_value),
                targeting: rest.remove("targeting"),
                metadata: rest.remove("metadata"),
                rest,
            }),
            other => Node::Other(other),
        }
    }

    /// The flag as a [`Value`].
    pub(super) fn into_value(self) -> Value {
        match self {
            Node::Object(fields) => Value::Object(fields.into_map()),
            Node::Other(value) => value,
        }
    }
}

impl Fields<'_> {
    fn has_flagd_field(&self) -> bool {
        self.variants.is_some() || self.state.is_some()
    }

    /// The fields as a JSON object.
    pub(super) fn into_map(self) -> Map<String, Value> {
        let mut map = self.rest;
        let known = [
            ("state", self.state.map(Text::into_value)),
            ("variants", self.variants.map(Variants::into_value)),
            ("defaultVariant", self.default_variant.map(Text::into_value)),
            ("targeting", self.targeting),
            ("metadata", self.metadata),
        ];
        for (name, value) in known {
            if let Some(value) = value {
                map.insert(name.to_owned(), value);
            }
        }
        map
    }
}

impl Text<'_> {
    fn from_value(value: Value) -> Self {
        match value {
            Value::String(text) => Text::Str(Cow::Owned(text)),
            other => Text::Other(other),
        }
    }

    /// The field as a [`Value`].
    pub(super) fn into_value(self) -> Value {
        match self {
            Text::Str(text) => Value::String(text.into_owned()),
            Text::Other(value) => value,
        }
    }
}

impl Variants {
    fn into_value(self) -> Value {
        match self {
            Variants::Object(variants) => Value::Object(variants.into_iter().collect()),
            Variants::Other(value) => value,
        }
    }
}

/// What a part of the document is when it is an object, an array or a string; any other
/// shape is kept as a [`Value`] ([`Shape::other`]).
trait Shape<'de>: Sized {
    fn other(value: Value) -> Self;

    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        value_map(map).map(|map| Self::other(Value::Object(map)))
    }

    fn from_seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Self, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element::<Value>()? {
            items.push(item);
        }
        Ok(Self::other(Value::Array(items)))
    }

    fn from_str(text: Cow<'de, str>) -> Self {
        Self::other(Value::String(text.into_owned()))
    }
}

/// The rest of an object as serde_json reads it (a key written twice keeps its last value).
fn value_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Map<String, Value>, A::Error> {
    let mut values = Map::new();
    while let Some((key, value)) = map.next_entry::<String, Value>()? {
        values.insert(key, value);
    }
    Ok(values)
}

/// A [`Shape`] read from the text.
struct Shaped<T>(T);

impl<'de, T: Shape<'de>> Deserialize<'de> for Shaped<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(ShapeVisitor(PhantomData))
            .map(Shaped)
    }
}

struct ShapeVisitor<T>(PhantomData<T>);

impl<'de, T: Shape<'de>> Visitor<'de> for ShapeVisitor<T> {
    type Value = T;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<T, E> {
        Ok(T::other(Value::Bool(value)))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<T, E> {
        Ok(T::other(Value::Number(value.into())))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<T, E> {
        Ok(T::other(Value::Number(value.into())))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<T, E> {
        Ok(T::other(
            Number::from_f64(value).map_or(Value::Null, Value::Number),
        ))
    }

    fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<T, E> {
        Ok(T::from_str(Cow::Borrowed(value)))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<T, E> {
        Ok(T::from_str(Cow::Owned(value.to_owned())))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<T, E> {
        Ok(T::from_str(Cow::Owned(value)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok(T::other(Value::Null))
    }

    fn visit_none<E: de::Error>(self) -> Result<T, E> {
        Ok(T::other(Value::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        Shaped::deserialize(deserializer).map(|shaped| shaped.0)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        T::from_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::from_map(map)
    }
}

/// An object's key, borrowed from the text when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(KeyVisitor).map(Key)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a string key")
    }

    fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(value))
    }
}

impl<'de> Shape<'de> for Document<'de> {
    fn other(value: Value) -> Self {
        Document::Other(value)
    }

    fn from_map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut flags = None;
        let mut rest = Map::new();
        while let Some(Key(key)) = map.next_key()? {
            if key == "flags" {
                flags = Some(map.next_value::<Shaped<FlagList<'de>>>()?.0);
            } else {
                rest.insert(key.into_owned(), map.next_value()?);
            }
        }
        Ok(Document::Object { flags, rest })
    }
}

impl<'de> Shape<'de> for FlagList<'de> {
    fn other(value: Value) -> Self {
        FlagList::Other(value)
    }

    fn from_map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(Key(key)) = map.next_key()? {
            entries.push((key, map.next_value::<Shaped<Node<'de>>>()?.0));
        }
        Ok(FlagList::by_key(entries))
    }

    fn from_seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Self, A::Error> {
        let mut entries = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(node) = seq.next_element::<Shaped<Node<'de>>>()? {
            entries.push(node.0);
        }
        Ok(FlagList::Keyed(entries))
    }
}

impl<'de> Shape<'de> for Node<'de> {
    fn other(value: Value) -> Self {
        Node::Other(value)
    }

    fn from_map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut fields = Fields::default();
        while let Some(Key(key)) = map.next_key()? {
            match &*key {
                "state" => fields.state = Some(map.next_value::<Shaped<Text<'de>>>()?.0),
                "variants" => fields.variants = Some(map.next_value::<Shaped<Variants>>()?.0),
                "defaultVariant" => {
                    fields.default_variant = Some(map.next_value::<Shaped<Text<'de>>>()?.0);
                }
                "targeting" => fields.targeting = Some(map.next_value()?),
                "metadata" => fields.metadata = Some(map.next_value()?),
                _ => {
                    fields.rest.insert(key.into_owned(), map.next_value()?);
                }
            }
        }
        Ok(Node::Object(fields))
    }
}

impl<'de> Shape<'de> for Text<'de> {
    fn other(value: Value) -> Self {
        Text::Other(value)
    }

    fn from_str(text: Cow<'de, str>) -> Self {
        Text::Str(text)
    }
}

impl<'de> Shape<'de> for Variants {
    fn other(value: Value) -> Self {
        Variants::Other(value)
    }

    fn from_map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut variants = BTreeMap::new();
        while let Some((name, value)) = map.next_entry::<String, Value>()? {
            variants.insert(name, value);
        }
        Ok(Variants::Object(variants))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Text reads as the same [`Value`] both ways, and fails with the same error.
    #[test]
    fn reads_what_serde_json_reads() {
        let texts = [
            r#"{"flags": {"b": {"state": "ENABLED", "variants": {"a": 1, "a": 2}}, "a": 1, "b": {"state": "x\u0041", "key": 3, "state": 4}}, "metadata": {"v": 1.5e3}, "flags2": [null]}"#,
            r#"{"flags": [{"key": "k", "variants": [1, 2], "defaultVariant": null, "targeting": {"if": [true, "a"]}}, 3, "s"], "formatVersion": 1}"#,
            r#"{"fl\u0061gs": {"x": {"metadata": {"m": -0.0}, "variants": "v", "other": {"o": [1, {"p": null}]}}}}"#,
            r#"{"flags": "none", "flags": {"k": {"state": true}}}"#,
            r#"[1, "two", {"flags": {}}]"#,
            r#""text""#,
            "-12",
            "18446744073709551615",
            "1e400",
            "null",
            r#"{"flags": {"a": 1} "#,
            r#"{"flags": {"a": 1}} x"#,
            r#"{"flags": {1: 2}}"#,
            "",
        ];
        for text in texts {
            match (parse(text), serde_json::from_str::<Value>(text)) {
                (Ok(document), Ok(value)) => assert_eq!(document.into_value(), value, "{text}"),
                (Err(typed), Err(untyped)) => {
                    assert_eq!(typed.to_string(), untyped.to_string(), "{text}");
                }
                (typed, untyped) => panic!("{text}: {:?} but {untyped:?}", typed.err()),
            }
        }
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let nested = format!(r#"{{"flags": {{"f": {{"targeting": {deep}}}}}}}"#);
        for text in [deep, nested] {
            let typed = parse(&text).err().map(|e| e.to_string());
            let untyped = serde_json::from_str::<Value>(&text)
                .err()
                .map(|e| e.to_string());
            assert!(typed.is_some());
            assert_eq!(typed, untyped);
        }
    }

    #[test]
    fn from_value_and_into_value_round_trip() {
        let value = json!({
            "flags": { "a": { "state": "ENABLED", "variants": { "x": 1 }, "more": [1] }, "b": 2 },
            "$evaluators": { "e": { "var": "x" } }
        });
        assert_eq!(Document::from_value(value.clone()).into_value(), value);
        let keyed = json!({ "flags": [{ "key": "a", "state": 1 }, "x"] });
        assert_eq!(Document::from_value(keyed.clone()).into_value(), keyed);
    }

    /// `is_flagd` says flagd only where detection does.
    #[test]
    fn is_flagd_only_where_detect_says_flagd() {
        let documents = [
            (r#"{"flags": {"a": {"state": "ENABLED"}}}"#, true),
            (r#"{"flags": [{"key": "a", "variants": {}}]}"#, true),
            (
                r#"{"flags": {"a": {"variants": {}, "flagType": "boolean"}}}"#,
                false,
            ),
            (
                r#"{"flags": {"a": {"variants": {}}, "b": {"flagType": "x"}}}"#,
                false,
            ),
            (
                r#"{"flags": {"a": {"state": "ENABLED"}}, "formatVersion": 1}"#,
                false,
            ),
            (
                r#"{"flags": [{"state": "ENABLED"}], "namespace": {"key": "n"}}"#,
                false,
            ),
            (
                r#"{"flags": {"variations": {"variations": {"a": 1}, "state": "x"}}}"#,
                false,
            ),
            (r#"{"flags": {"a": {"defaultValue": 1}}}"#, false),
            (r#"{"flags": {}}"#, false),
            (r#"{"flags": []}"#, false),
            (r#"{"flags": 1}"#, false),
            ("[]", false),
            // The flag written last under a key is the one read.
            (r#"{"flags": {"a": {"state": "ENABLED"}, "a": {}}}"#, false),
            (r#"{"flags": {"a": {}, "a": {"state": "ENABLED"}}}"#, true),
        ];
        for (text, flagd) in documents {
            assert_eq!(parse(text).unwrap().is_flagd(), flagd, "{text}");
            let detected = super::super::Format::detect(&serde_json::from_str(text).unwrap());
            if flagd {
                assert_eq!(detected, Some(super::super::Format::Flagd), "{text}");
            }
        }
    }
}
