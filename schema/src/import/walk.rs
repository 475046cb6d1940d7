//! The walk every importer shares: the document, its `flags` (an object of flags by key, or an
//! array of flags each carrying its `key`) and each flag's key, with the errors they give.
//!
//! The walk takes the document by value, so that an importer moves variants and rules into
//! the manifest instead of copying them.

use serde_json::{Map, Value};

use crate::error::{Error, Problem, describe};
use crate::manifest::Manifest;

/// The top-level object of a document; `what` names the format in the error (`a flagd file`).
pub(super) fn document(
    value: Value,
    origin: &str,
    what: &str,
) -> Result<Map<String, Value>, Error> {
    match value {
        Value::Object(document) => Ok(document),
        other => Err(not_a_document(&other, origin, what)),
    }
}

/// The error of a document that is not an object; `what` names the format.
pub(super) fn not_a_document(value: &Value, origin: &str, what: &str) -> Error {
    Error::document(
        origin,
        Problem::UnknownFormat {
            hint: format!(
                "{what} is an object with `flags`, found {}",
                describe(value)
            ),
        },
    )
}

/// How a format lists its flags under `flags`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Listing {
    /// An object of flags by key.
    Map,
    /// An array of flag objects, each with a string `key`.
    Array,
    /// Either (flagd).
    MapOrArray,
}

impl Listing {
    fn expected(self) -> &'static str {
        match self {
            Listing::Map => "an object of flags by key",
            Listing::Array => "an array of flags with a `key`",
            Listing::MapOrArray => "an object of flags by key, or an array of flags with a `key`",
        }
    }
}

/// The flags of a document, taken out of it ([`flags`]): each flag's key and JSON, in the
/// document's order.
pub(super) enum Flags<'o> {
    /// Listed as an object: each value as it is.
    ByKey(serde_json::map::IntoIter),
    /// Listed as an array: each entry an object with its key.
    Keyed(KeyedFlags<'o>),
}

/// The flags of a document listed as an array ([`keyed_flags`]): each entry's `key` and its
/// fields, in order. An entry that is not an object with a string `key` is an
/// [`Error::Document`] naming its index.
pub(super) struct KeyedFlags<'o> {
    entries: std::iter::Enumerate<std::vec::IntoIter<Value>>,
    origin: &'o str,
}

/// Takes `flags` out of `document`: missing, or not listed as `listing` says, it is an
/// [`Error::Document`].
pub(super) fn flags<'o>(
    document: &mut Map<String, Value>,
    origin: &'o str,
    listing: Listing,
) -> Result<Flags<'o>, Error> {
    match (document.remove("flags"), listing) {
        (Some(Value::Object(flags)), Listing::Map | Listing::MapOrArray) => {
            Ok(Flags::ByKey(flags.into_iter()))
        }
        (Some(Value::Array(flags)), Listing::Array | Listing::MapOrArray) => {
            Ok(Flags::Keyed(KeyedFlags::new(flags, origin)))
        }
        (other, _) => Err(not_listed(other, origin, listing)),
    }
}

/// [`flags`] of a format that lists its flags as an array of objects with a `key`.
pub(super) fn keyed_flags<'o>(
    document: &mut Map<String, Value>,
    origin: &'o str,
) -> Result<KeyedFlags<'o>, Error> {
    match document.remove("flags") {
        Some(Value::Array(flags)) => Ok(KeyedFlags::new(flags, origin)),
        other => Err(not_listed(other, origin, Listing::Array)),
    }
}

/// The error of `flags` that is missing, or not listed as `listing` says.
pub(super) fn not_listed(flags: Option<Value>, origin: &str, listing: Listing) -> Error {
    match flags {
        None => Error::document(origin, Problem::MissingField { field: "flags" }),
        Some(other) => Error::document(
            origin,
            Problem::InvalidField {
                field: "flags".to_owned(),
                expected: listing.expected(),
                found: describe(&other),
            },
        ),
    }
}

impl<'o> KeyedFlags<'o> {
    fn new(flags: Vec<Value>, origin: &'o str) -> KeyedFlags<'o> {
        KeyedFlags {
            entries: flags.into_iter().enumerate(),
            origin,
        }
    }
}

impl Iterator for Flags<'_> {
    type Item = Result<(String, Value), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Flags::ByKey(entries) => entries.next().map(Ok),
            Flags::Keyed(entries) => Some(
                entries
                    .next()?
                    .map(|(key, fields)| (key, Value::Object(fields))),
            ),
        }
    }
}

impl Iterator for KeyedFlags<'_> {
    type Item = Result<(String, Map<String, Value>), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let (index, flag) = self.entries.next()?;
        Some(array_entry(index, flag).map_err(|problem| Error::document(self.origin, problem)))
    }
}

/// The `key` and the fields of the flag at `index` of a `flags` array.
fn array_entry(index: usize, flag: Value) -> Result<(String, Map<String, Value>), Problem> {
    let Value::Object(fields) = flag else {
        return Err(Problem::InvalidField {
            field: format!("flags[{index}]"),
            expected: "a flag object with a `key`",
            found: describe(&flag),
        });
    };
    match fields.get("key") {
        Some(Value::String(key)) => Ok((key.clone(), fields)),
        found => Err(Problem::InvalidField {
            field: format!("flags[{index}].key"),
            expected: "a string",
            found: found.map_or_else(|| "none".to_owned(), describe),
        }),
    }
}

/// [`Problem::EmptyKey`] for an empty key.
pub(super) fn non_empty(key: &str) -> Result<(), Problem> {
    if key.is_empty() {
        Err(Problem::EmptyKey)
    } else {
        Ok(())
    }
}

/// [`Problem::DuplicateKey`] when `manifest` already has a flag `key`.
pub(super) fn unseen(manifest: &Manifest, key: &str) -> Result<(), Problem> {
    if manifest.flags.contains_key(key) {
        Err(Problem::DuplicateKey)
    } else {
        Ok(())
    }
}
