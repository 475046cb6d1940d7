//! The flags of a bulk evaluation, indexed for reads as fast as in-process ones.
//!
//! A bulk answer is read many times and replaced rarely, so the work is done when it arrives:
//! every key is hashed with [`key_hash`] (the hash every `FlagKey` carries, so a read hashes
//! nothing), indexed in the engine's open-addressing table, and every value is decoded once,
//! scalars into their Rust form and objects into the engine's [`ObjectValue`], which caches each
//! type it is read as. A generated key constant also caches its flag's index per bulk answer in
//! its [`KeySlot`](crate::key::KeySlot), as it does for in-process snapshots.

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwapOption;

use serde_json::Value as J;

use super::Resolution;
use super::ofrep::Bulk;
use crate::details::{EvaluationDetails, Reason};
use crate::engine::{KeyTable, next_generation};
use crate::flag_value::{Decoders, FlagValue, FlagValueRef, ObjectValue, ReadError};
use crate::key::{FlagKey, key_hash};

/// Where a bulk provider publishes its last good evaluation, for reads from any thread.
pub(crate) struct BulkCell {
    bulk: ArcSwapOption<Bulk>,
    /// For the per-thread copies (see [`crate::provider::thread_cache`]).
    id: usize,
    /// Bumped after every store.
    version: AtomicU64,
}

thread_local! {
    /// Per thread: the bulk evaluations this thread read last.
    static BULKS: crate::provider::thread_cache::Slots<Option<Arc<Bulk>>> =
        const { RefCell::new(Vec::new()) };
}

impl BulkCell {
    /// An empty cell: no evaluation yet.
    pub(crate) fn empty() -> BulkCell {
        BulkCell {
            bulk: ArcSwapOption::empty(),
            id: crate::provider::thread_cache::next_id(),
            version: AtomicU64::new(0),
        }
    }

    /// Publishes a new evaluation (or none).
    pub(crate) fn store(&self, bulk: Option<Arc<Bulk>>) {
        self.bulk.store(bulk);
        self.version.fetch_add(1, Ordering::Release);
    }

    /// The current evaluation, through `arc-swap`.
    pub(crate) fn load(&self) -> arc_swap::Guard<Option<Arc<Bulk>>> {
        self.bulk.load()
    }

    /// The current evaluation, as an owned reference.
    pub(crate) fn load_full(&self) -> Option<Arc<Bulk>> {
        self.bulk.load_full()
    }

    /// Runs `f` on the current evaluation, through this thread's copy when it can.
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(Option<&Bulk>) -> R) -> R {
        let version = self.version.load(Ordering::Acquire);
        crate::provider::thread_cache::with_cached(
            &BULKS,
            self.id,
            version,
            || self.bulk.load_full(),
            |bulk: &Option<Arc<Bulk>>| f(bulk.as_deref()),
            |f| f(&self.bulk.load()),
        )
    }
}

impl fmt::Debug for BulkCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkCell")
            .field("flags", &self.bulk.load().as_ref().map(|b| b.flags.len()))
            .finish_non_exhaustive()
    }
}

/// The evaluations of a bulk answer, by key.
pub(crate) struct BulkFlags {
    /// In the order the server listed them (the last of a repeated key wins).
    entries: Vec<BulkEntry>,
    table: KeyTable,
    /// Unique among snapshots and bulk answers: key slots cache indexes per generation.
    generation: u64,
}

/// One flag of a bulk answer.
struct BulkEntry {
    key: Arc<str>,
    hash: u64,
    resolution: Resolution,
    /// The value as reads take it, decoded when the answer arrived.
    served: BulkServed,
}

/// What a read of a flag gets, decided when the answer arrives.
enum BulkServed {
    /// The server's value.
    Value(BulkValue),
    /// The caller's default: an error, a disabled flag, or a success without a value.
    CodeDefault,
}

/// A server value as reads take it, decoded when the answer arrived.
enum BulkValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    /// The string of the resolution's value.
    Str,
    /// Objects, arrays and `null`, decoded per type on first read and cached.
    Object(Arc<ObjectValue>),
}

impl BulkFlags {
    /// Indexes the evaluations of a bulk answer; a key listed twice keeps its last evaluation.
    pub(crate) fn new(mut items: Vec<(String, Resolution)>) -> BulkFlags {
        // Keep the last evaluation of each key, where it was last listed.
        let mut seen = std::collections::HashMap::with_capacity(items.len());
        let mut keep = vec![true; items.len()];
        for (index, (key, _)) in items.iter().enumerate() {
            if let Some(previous) = seen.insert(key.as_str(), index) {
                keep[previous] = false;
            }
        }
        let mut keep = keep.into_iter();
        items.retain(|_| keep.next().unwrap_or(false));
        let decoders = Arc::new(Decoders::default());
        let entries: Vec<BulkEntry> = items
            .into_iter()
            .map(|(key, resolution)| {
                let key: Arc<str> = Arc::from(key);
                let served = BulkServed::of(&key, &resolution, &decoders);
                BulkEntry {
                    hash: key_hash(&key),
                    key,
                    resolution,
                    served,
                }
            })
            .collect();
        let table = KeyTable::build(entries.iter().map(|e| e.hash));
        BulkFlags {
            entries,
            table,
            generation: next_generation(),
        }
    }

    /// The evaluation of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&Resolution> {
        self.find(key, key_hash(key), None)
            .map(|index| &self.entries[index].resolution)
    }

    /// The keys, in the server's order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| &*e.key)
    }

    /// The keys whose evaluation differs between `self` (the answer held) and `new` (one
    /// listed in only one of them included), sorted, each once: what a change event names.
    pub(crate) fn changed_keys(&self, new: &BulkFlags) -> Vec<String> {
        let mut keys: Vec<String> = self
            .keys()
            .chain(new.keys())
            .filter(|k| self.get(k) != new.get(k))
            .map(str::to_owned)
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// The number of flags.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    #[cfg_attr(not(test), allow(dead_code))] // used by tests
    /// `true` when the answer held no flag.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    #[inline]
    fn find(&self, key: &str, hash: u64, slot: Option<&crate::key::KeySlot>) -> Option<usize> {
        if let Some(index) = slot.and_then(|s| s.get(self.generation))
            // A slot belongs to one key: the hash guards against an index torn by a writer.
            && self.entries.get(index).is_some_and(|e| e.hash == hash)
        {
            return Some(index);
        }
        let index = self.table.find(hash, |i| {
            self.entries.get(i).is_some_and(|e| &*e.key == key)
        })?;
        if let Some(slot) = slot {
            slot.set(self.generation, index);
        }
        Some(index)
    }

    #[inline]
    fn entry<T>(&self, key: &FlagKey<T>) -> Option<&BulkEntry> {
        let index = self.find(key.key(), key.hash(), key.slot())?;
        self.entries.get(index)
    }

    /// The value of `key` read as `T`, or the key's default when the flag is missing, failed,
    /// is disabled, has no value or does not fit `T`. Allocates nothing for scalars.
    #[inline]
    pub(crate) fn value<T: FlagValue>(&self, key: &FlagKey<T>) -> T {
        match self.entry(key) {
            Some(BulkEntry {
                served: BulkServed::Value(decoded),
                resolution,
                ..
            }) => decoded
                .read(resolution)
                .unwrap_or_else(|_| key.default_value()),
            _ => key.default_value(),
        }
    }

    /// The details of `key` read as `T` (see [`Resolution::to_details`]); `None` when the
    /// answer does not hold the flag.
    pub(crate) fn details<T: FlagValue>(&self, key: &FlagKey<T>) -> Option<EvaluationDetails<T>> {
        let entry = self.entry(key)?;
        Some(entry.resolution.details_decoded(key, None, |_| {
            match &entry.served {
                BulkServed::Value(decoded) => decoded
                    .read(&entry.resolution)
                    .map_err(|e| e.0.into_owned()),
                // Not reached: a resolution served as the code default has no value to read.
                BulkServed::CodeDefault => Err("no value".to_owned()),
            }
        }))
    }
}

impl BulkServed {
    fn of(key: &Arc<str>, resolution: &Resolution, decoders: &Arc<Decoders>) -> BulkServed {
        let value = match &resolution.value {
            Some(value) if resolution.error.is_none() && resolution.reason != Reason::Disabled => {
                value
            }
            _ => return BulkServed::CodeDefault,
        };
        BulkServed::Value(match value {
            J::Bool(b) => BulkValue::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => BulkValue::Int(i),
                // The engine's number rule (`wire::decode`): integral values that fit are
                // integers, whatever their spelling.
                None => match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 => {
                        BulkValue::Int(f as i64)
                    }
                    Some(f) => BulkValue::Float(f),
                    None => BulkValue::Object(Arc::new(ObjectValue::new(
                        value.clone(),
                        key.clone(),
                        decoders.clone(),
                    ))),
                },
            },
            J::String(_) => BulkValue::Str,
            J::Object(_) | J::Array(_) | J::Null => BulkValue::Object(Arc::new(ObjectValue::new(
                value.clone(),
                key.clone(),
                decoders.clone(),
            ))),
        })
    }
}

impl BulkValue {
    #[inline]
    fn read<T: FlagValue>(&self, resolution: &Resolution) -> Result<T, ReadError> {
        let value = match self {
            BulkValue::Bool(b) => FlagValueRef::Bool(*b),
            BulkValue::Int(i) => FlagValueRef::Int(*i),
            BulkValue::Float(f) => FlagValueRef::Float(*f),
            BulkValue::Str => match &resolution.value {
                Some(J::String(s)) => FlagValueRef::Str(s),
                _ => return Err(ReadError(std::borrow::Cow::Borrowed("no string value"))),
            },
            BulkValue::Object(object) => FlagValueRef::Object(object),
        };
        crate::flag_value::read(value)
    }
}

impl PartialEq for BulkFlags {
    /// The same keys with the same evaluations, in the same order.
    fn eq(&self, other: &BulkFlags) -> bool {
        self.entries.len() == other.entries.len()
            && self
                .entries
                .iter()
                .zip(&other.entries)
                .all(|(a, b)| a.key == b.key && a.resolution == b.resolution)
    }
}

impl Clone for BulkFlags {
    fn clone(&self) -> BulkFlags {
        BulkFlags::new(
            self.entries
                .iter()
                .map(|e| (e.key.to_string(), e.resolution.clone()))
                .collect(),
        )
    }
}

impl fmt::Debug for BulkFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.entries.iter().map(|e| (&e.key, &e.resolution)))
            .finish()
    }
}

#[cfg(test)]
impl std::ops::Index<&str> for BulkFlags {
    type Output = Resolution;

    /// The evaluation of `key`; panics when the answer does not hold it (for tests).
    fn index(&self, key: &str) -> &Resolution {
        match self.get(key) {
            Some(resolution) => resolution,
            None => panic!("no flag `{key}` in the bulk answer"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::details::ErrorCode;
    use serde_json::json;

    fn flags() -> BulkFlags {
        BulkFlags::new(vec![
            ("on".into(), Resolution::value(json!(true), Reason::Static)),
            ("n".into(), Resolution::value(json!(3.0), Reason::Split)),
            ("x".into(), Resolution::value(json!(1.5), Reason::Static)),
            ("s".into(), Resolution::value(json!("blue"), Reason::Static)),
            (
                "o".into(),
                Resolution::value(json!({"a": 1}), Reason::TargetingMatch),
            ),
            (
                "off".into(),
                Resolution::value(json!(true), Reason::Disabled),
            ),
            (
                "bad".into(),
                Resolution::error(ErrorCode::ParseError, "broken"),
            ),
            ("on".into(), Resolution::value(json!(false), Reason::Static)),
        ])
    }

    #[derive(serde::Deserialize, Debug, PartialEq, Clone)]
    struct A {
        a: i64,
    }

    #[test]
    fn values_are_read_with_the_engine_rules() {
        let flags = flags();
        assert_eq!(flags.len(), 7, "the repeated key is kept once");
        assert!(!flags.value(&FlagKey::new("on", true)), "the last one wins");
        assert_eq!(flags.value(&FlagKey::<i64>::new("n", 0)), 3);
        assert_eq!(flags.value(&FlagKey::<f64>::new("n", 0.0)), 3.0);
        assert_eq!(flags.value(&FlagKey::<f64>::new("x", 0.0)), 1.5);
        assert_eq!(
            flags.value(&FlagKey::<i64>::new("x", 7)),
            7,
            "1.5 is no integer"
        );
        assert_eq!(
            flags.value(&FlagKey::<String>::new("s", String::new())),
            "blue"
        );
        assert_eq!(flags.value(&FlagKey::<A>::new("o", A { a: 0 })), A { a: 1 });
        assert!(
            !flags.value(&FlagKey::new("off", false)),
            "disabled: the default"
        );
        assert!(
            flags.value(&FlagKey::new("bad", true)),
            "failed: the default"
        );
        assert!(flags.value(&FlagKey::new("missing", true)));
        assert!(
            !flags.value(&FlagKey::new("s", false)),
            "a mismatch: the default"
        );
    }

    #[test]
    fn details_keep_the_server_reason_and_report_mismatches() {
        let flags = flags();
        let d = flags.details(&FlagKey::<i64>::new("n", 0)).unwrap();
        assert_eq!((d.value, d.reason, d.error), (3, Reason::Split, None));
        let d = flags.details(&FlagKey::new("s", false)).unwrap();
        assert_eq!(d.reason, Reason::Error);
        assert_eq!(d.error.unwrap().code, ErrorCode::TypeMismatch);
        let d = flags.details(&FlagKey::new("off", true)).unwrap();
        assert_eq!((d.value, d.reason, d.error), (true, Reason::Disabled, None));
        let d = flags.details(&FlagKey::new("bad", true)).unwrap();
        assert_eq!(d.error.unwrap().code, ErrorCode::ParseError);
        assert!(flags.details(&FlagKey::new("missing", true)).is_none());
    }

    #[test]
    fn lookups_by_string_and_equality() {
        let flags = flags();
        assert_eq!(flags.get("s").unwrap().value, Some(json!("blue")));
        assert!(flags.get("nope").is_none());
        assert_eq!(
            flags.keys().collect::<Vec<_>>(),
            ["n", "x", "s", "o", "off", "bad", "on"]
        );
        assert_eq!(flags.clone(), flags);
        assert_ne!(flags, BulkFlags::new(Vec::new()));
        assert!(BulkFlags::new(Vec::new()).is_empty());
    }
}
