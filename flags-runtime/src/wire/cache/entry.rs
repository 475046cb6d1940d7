//! An entry of the cache: the answer as the server sent it, and its value stored already
//! decoded for the type the entry is keyed by, so that a hit of a scalar reads it without
//! touching JSON (other types are decoded at their first read and kept).

use std::any::{Any, TypeId};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};

use crate::key::{FlagKey, FlagValue, FlagValueRef};
use crate::wire::Resolution;

/// The value of an entry, ready for the type the entry is keyed by.
pub(super) enum Stored {
    /// The server deferred to the caller's default.
    Default,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A string: read from the resolution's JSON, which holds it.
    Str,
    /// Anything else (objects, arrays, null): decoded at the first read into an `Option<T>`
    /// (`None`: not readable as `T`).
    Decoded(OnceLock<Box<dyn Any + Send + Sync>>),
}

impl Stored {
    /// As [`crate::wire::decode`] reads JSON: a whole number is an integer when it fits `i64`
    /// (`3.0` too), another number a float.
    pub(super) fn of(value: Option<&serde_json::Value>) -> Stored {
        use serde_json::Value as J;
        let Some(value) = value else {
            return Stored::Default;
        };
        match value {
            J::Bool(b) => Stored::Bool(*b),
            J::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Stored::Int(i),
                (None, Some(f))
                    if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 =>
                {
                    Stored::Int(f as i64)
                }
                (None, Some(f)) => Stored::Float(f),
                (None, None) => Stored::Decoded(OnceLock::new()),
            },
            J::String(_) => Stored::Str,
            J::Object(_) | J::Array(_) | J::Null => Stored::Decoded(OnceLock::new()),
        }
    }
}

/// A stored answer and its key.
pub(super) struct CacheEntry {
    pub(super) hash: u64,
    pub(super) ty: TypeId,
    /// The flag key, the type and the context in canonical form.
    pub(super) key: Box<[u64]>,
    pub(super) resolution: Arc<Resolution>,
    pub(super) value: Stored,
    /// Nanoseconds since the cache's origin.
    pub(super) expires: u64,
    /// Used since the clock hand last passed.
    pub(super) used: AtomicBool,
}

impl CacheEntry {
    /// The value as `T` (the type the entry is keyed by); `Err` when it cannot be read so.
    #[inline]
    pub(super) fn read<T: FlagValue>(&self, key: &FlagKey<T>) -> Result<T, ()> {
        let scalar = match &self.value {
            Stored::Default => return Ok(key.default_value()),
            Stored::Bool(b) => FlagValueRef::Bool(*b),
            Stored::Int(i) => FlagValueRef::Int(*i),
            Stored::Float(f) => FlagValueRef::Float(*f),
            Stored::Str => match &self.resolution.value {
                Some(serde_json::Value::String(s)) => FlagValueRef::Str(s),
                _ => return Err(()),
            },
            Stored::Decoded(cell) => {
                let Some(json) = &self.resolution.value else {
                    return Ok(key.default_value());
                };
                let decoded = cell.get_or_init(|| Box::new(crate::wire::decode::<T>(json).ok()));
                return match decoded.downcast_ref::<Option<T>>() {
                    Some(value) => value.clone().ok_or(()),
                    // Keyed by `T`'s `TypeId`, so never; should it happen, decode again.
                    None => crate::wire::decode::<T>(json).map_err(drop),
                };
            }
        };
        // `bool`, `i64` and `f64` as they are; other types through their `Deserialize`.
        let exact = match &scalar {
            FlagValueRef::Bool(b) => (b as &dyn Any).downcast_ref::<T>(),
            FlagValueRef::Int(i) => (i as &dyn Any).downcast_ref::<T>(),
            FlagValueRef::Float(f) => (f as &dyn Any).downcast_ref::<T>(),
            _ => None,
        };
        match exact {
            Some(value) => Ok(value.clone()),
            None => crate::flag_value::read(scalar).map_err(drop),
        }
    }
}
