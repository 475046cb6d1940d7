//! Typed flag keys and the Rust types a flag value can be read as.

use std::borrow::Cow;
use std::fmt;

use std::sync::atomic::{AtomicU64, Ordering};

use serde::de::DeserializeOwned;

pub use flags_schema::FlagType;

use crate::engine::{ObjectValue, key_hash};

/// A flag value as the engine holds it, borrowed for the duration of one read.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum FlagValueRef<'a> {
    /// A boolean.
    Bool(bool),
    /// A whole number that fits `i64`.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// A string.
    Str(&'a str),
    /// A JSON object, with the values already decoded from it.
    Object(&'a ObjectValue),
}

impl FlagValueRef<'_> {
    /// The flag type this value belongs to.
    pub fn flag_type(&self) -> FlagType {
        match self {
            FlagValueRef::Bool(_) => FlagType::Boolean,
            FlagValueRef::Int(_) => FlagType::Integer,
            FlagValueRef::Float(_) => FlagType::Float,
            FlagValueRef::Str(_) => FlagType::String,
            FlagValueRef::Object(_) => FlagType::Object,
        }
    }

    /// The value as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            FlagValueRef::Bool(b) => serde_json::Value::Bool(*b),
            FlagValueRef::Int(i) => serde_json::Value::from(*i),
            FlagValueRef::Float(f) => serde_json::Value::from(*f),
            FlagValueRef::Str(s) => serde_json::Value::from(*s),
            FlagValueRef::Object(o) => o.json().clone(),
        }
    }
}

/// A Rust type a flag can be read as: any type serde can deserialize, cloneable and shareable
/// across threads.
///
/// - boolean flags: `bool`;
/// - integer flags: `i64`, `i32`, `u32`, `u64`, `usize` and the other integers (a value that
///   does not fit is a `TYPE_MISMATCH`);
/// - float flags: `f64`, `f32` (integer flags read as floats too);
/// - string flags: `String`, `Arc<str>`, `Box<str>`, and enums deriving `FlagVariant`;
/// - object flags: any `serde::Deserialize` type, or `serde_json::Value` for untyped objects;
/// - `Option<T>` of any of these.
///
/// Scalars are read without allocating; objects are decoded once per configuration and type,
/// then cloned (read an `Arc<T>`... field as `T` and keep it small, or clone cheaply).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold a flag value",
    label = "flag values are read into owned, cloneable, thread-safe types that serde can deserialize",
    note = "derive `Clone` (and `serde::Deserialize` for object flags, or `FlagVariant` for the values of a string flag)"
)]
pub trait FlagValue: DeserializeOwned + Clone + Send + Sync + 'static {}

impl<T: DeserializeOwned + Clone + Send + Sync + 'static> FlagValue for T {}

/// Why a flag value could not be read as the requested type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReadError(pub(crate) Cow<'static, str>);

/// Reads a flag value as `T`.
#[inline]
pub(crate) fn read<T: FlagValue>(value: FlagValueRef<'_>) -> Result<T, ReadError> {
    // The common scalar types, without going through serde: the downcast is a comparison of
    // type ids that the compiler decides for each `T`.
    let direct = match &value {
        FlagValueRef::Bool(b) => (b as &dyn std::any::Any).downcast_ref::<T>(),
        FlagValueRef::Int(i) => (i as &dyn std::any::Any).downcast_ref::<T>(),
        FlagValueRef::Float(f) => (f as &dyn std::any::Any).downcast_ref::<T>(),
        _ => None,
    };
    if let Some(value) = direct {
        return Ok(value.clone());
    }
    match value {
        FlagValueRef::Object(object) => object.decode::<T>(),
        scalar => T::deserialize(crate::de::Scalar(scalar)).map_err(|e| ReadError(Cow::Owned(e.0))),
    }
}

/// A typed flag key: the key string, the default written in code, and the value type.
///
/// `#[derive(Flags)]` generates one constant per field (`Checkout::ENABLED`), checked against
/// the schema at compile time. For keys only known at run time, [`FlagKey::new`] builds one
/// whose key and type are checked at evaluation (`FLAG_NOT_FOUND`, `TYPE_MISMATCH`).
///
/// ```
/// use flags_runtime::FlagKey;
/// let dark_mode = FlagKey::<bool>::new("dark-mode", false);
/// assert_eq!(dark_mode.key(), "dark-mode");
/// assert!(!dark_mode.default_value());
/// ```
pub struct FlagKey<T> {
    key: Cow<'static, str>,
    /// `key_hash(key)`, computed once (at compile time for constants).
    hash: u64,
    /// For generated constants: where the flag's index in the current snapshot is cached.
    slot: Option<&'static KeySlot>,
    default: DefaultRepr<T>,
}

impl<T> FlagKey<T> {
    /// A stub, for generated code in a crate that does not compile (see
    /// `__private::fallback_key`): its default is never computed.
    pub(crate) const fn stub(key: &'static str) -> FlagKey<T> {
        FlagKey {
            key: Cow::Borrowed(key),
            hash: key_hash(key),
            slot: None,
            default: DefaultRepr::Fn(never),
        }
    }

    /// A key with a `'static` name and a default computed by `default`, usable in `const`
    /// items. Prefer `#[derive(Flags)]`, which checks the key against the schema.
    pub const fn from_fn(key: &'static str, default: fn() -> T) -> FlagKey<T> {
        FlagKey {
            key: Cow::Borrowed(key),
            hash: key_hash(key),
            slot: None,
            default: DefaultRepr::Fn(default),
        }
    }

    /// A default taken from the schema, converted into `T` by `convert` (for the key
    /// constructors of `__private`).
    pub(crate) const fn from_schema(
        key: &'static str,
        value: SchemaDefault,
        convert: fn(SchemaDefault) -> T,
    ) -> FlagKey<T> {
        FlagKey {
            key: Cow::Borrowed(key),
            hash: key_hash(key),
            slot: None,
            default: DefaultRepr::Schema { value, convert },
        }
    }

    /// The flag key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// This key, caching its flag's index in `slot` (see `__private::with_slot`).
    pub(crate) const fn with_slot(mut self, slot: &'static KeySlot) -> FlagKey<T> {
        self.slot = Some(slot);
        self
    }

    /// The slot caching the flag's index, for generated constants.
    #[inline]
    pub(crate) fn slot(&self) -> Option<&'static KeySlot> {
        self.slot
    }

    /// The hash the snapshot indexes the key by.
    #[inline]
    pub(crate) fn hash(&self) -> u64 {
        self.hash
    }

    /// The key as a `Cow`, cheap to clone when it is `'static`.
    pub fn key_cow(&self) -> &Cow<'static, str> {
        &self.key
    }
}

fn never<T>() -> T {
    unreachable!("a stub key exists only in a crate that failed to compile")
}

/// How a key holds its default: built in a `const` (from the schema or a function), or owned.
enum DefaultRepr<T> {
    /// A value from the schema and the conversion into `T`, paired by the constructor.
    Schema {
        value: SchemaDefault,
        convert: fn(SchemaDefault) -> T,
    },
    /// A default written in code, computed when needed.
    Fn(fn() -> T),
    /// A default given at run time.
    Owned(T),
}

impl<T: FlagValue> FlagKey<T> {
    /// A key known only at run time.
    pub fn new(key: impl Into<Cow<'static, str>>, default: T) -> FlagKey<T> {
        let key = key.into();
        FlagKey {
            hash: key_hash(&key),
            key,
            slot: None,
            default: DefaultRepr::Owned(default),
        }
    }

    /// The default written in code (or compiled in from the schema).
    pub fn default_value(&self) -> T {
        match &self.default {
            DefaultRepr::Schema { value, convert } => convert(*value),
            DefaultRepr::Fn(default) => default(),
            DefaultRepr::Owned(value) => value.clone(),
        }
    }
}

impl<T: Clone> Clone for FlagKey<T> {
    fn clone(&self) -> Self {
        let default = match &self.default {
            DefaultRepr::Schema { value, convert } => DefaultRepr::Schema {
                value: *value,
                convert: *convert,
            },
            DefaultRepr::Fn(default) => DefaultRepr::Fn(*default),
            DefaultRepr::Owned(value) => DefaultRepr::Owned(value.clone()),
        };
        FlagKey {
            key: self.key.clone(),
            hash: self.hash,
            slot: self.slot,
            default,
        }
    }
}

impl<T> fmt::Debug for FlagKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlagKey")
            .field("key", &self.key)
            .field("type", &std::any::type_name::<T>())
            .finish_non_exhaustive()
    }
}

/// Where a generated key constant caches the index of its flag in a snapshot: the snapshot's
/// generation in the high 32 bits, the index in the low 32. Generated code declares one
/// `static` per key constant; every copy of the constant points at it, so after the first read
/// of a configuration, a read finds its flag with one atomic load and one compare.
#[doc(hidden)] // generated code names it through `__private`
#[derive(Debug)]
pub struct KeySlot(AtomicU64);

impl KeySlot {
    /// An empty slot (generation 0 is never a snapshot's).
    #[allow(clippy::new_without_default)] // a `const fn` for statics; `Default` is not const
    pub const fn new() -> KeySlot {
        KeySlot(AtomicU64::new(0))
    }

    /// The cached index, if it was cached for `generation`.
    #[inline]
    pub(crate) fn get(&self, generation: u32) -> Option<usize> {
        let cached = self.0.load(Ordering::Relaxed);
        ((cached >> 32) as u32 == generation).then_some(cached as u32 as usize)
    }

    /// Caches `index` for `generation`.
    #[inline]
    pub(crate) fn set(&self, generation: u32, index: usize) {
        self.0.store(
            (u64::from(generation) << 32) | (index as u64 & 0xffff_ffff),
            Ordering::Relaxed,
        );
    }
}

/// A schema default as generated code stores it in a `const`.
#[doc(hidden)] // generated code names it through `__private`
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SchemaDefault {
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(&'static str),
}
