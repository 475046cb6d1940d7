//! Typed flag keys and the Rust types a flag value can be read as.

use std::borrow::Cow;
use std::fmt;

pub use flags_schema::FlagType;

/// A flag value as the engine holds it, borrowed for the duration of one read.
#[derive(Debug, Clone, Copy, PartialEq)]
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
    /// A JSON object.
    Object(&'a serde_json::Value),
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
}

/// A Rust type a flag can be read as.
///
/// Implemented for `bool` (boolean flags), `i64` (integer flags), `f64` (float flags, and
/// integer flags read as floats) and `String` (string flags).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a flag value type",
    label = "flag fields are `bool`, `i64`, `f64` or `String`"
)]
pub trait FlagValue: Clone + Send + Sync + 'static {
    /// The flag type whose values this type reads.
    const TYPE: FlagType;

    /// Reads a flag value; `None` when it is not of this type.
    fn from_flag_value(value: FlagValueRef<'_>) -> Option<Self>;
}

impl FlagValue for bool {
    const TYPE: FlagType = FlagType::Boolean;

    fn from_flag_value(value: FlagValueRef<'_>) -> Option<bool> {
        match value {
            FlagValueRef::Bool(b) => Some(b),
            _ => None,
        }
    }
}

impl FlagValue for i64 {
    const TYPE: FlagType = FlagType::Integer;

    fn from_flag_value(value: FlagValueRef<'_>) -> Option<i64> {
        match value {
            FlagValueRef::Int(i) => Some(i),
            _ => None,
        }
    }
}

impl FlagValue for f64 {
    const TYPE: FlagType = FlagType::Float;

    /// Any number: an integer flag reads as a float too.
    fn from_flag_value(value: FlagValueRef<'_>) -> Option<f64> {
        match value {
            FlagValueRef::Float(f) => Some(f),
            FlagValueRef::Int(i) => Some(i as f64),
            _ => None,
        }
    }
}

impl FlagValue for String {
    const TYPE: FlagType = FlagType::String;

    fn from_flag_value(value: FlagValueRef<'_>) -> Option<String> {
        match value {
            FlagValueRef::Str(s) => Some(s.to_owned()),
            _ => None,
        }
    }
}

/// Whether a flag of type `flag` can be read as `requested`: exact, or an integer flag read as
/// a float.
pub(crate) fn readable_as(flag: FlagType, requested: FlagType) -> bool {
    flag == requested || (flag == FlagType::Integer && requested == FlagType::Float)
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
    default: DefaultRepr<T>,
}

impl<T> FlagKey<T> {
    #[doc(hidden)]
    /// Used by generated code in a crate that does not compile: the derive reported an error
    /// and emits this stub so that uses of the key do not add errors of their own. A program
    /// containing it never builds, so its default is never computed.
    pub const fn __fallback(key: &'static str) -> FlagKey<T> {
        FlagKey {
            key: Cow::Borrowed(key),
            default: DefaultRepr::Fn(never),
        }
    }
}

fn never<T>() -> T {
    unreachable!("a stub key exists only in a crate that failed to compile")
}

/// How a key holds its default: built in a `const` (from the schema or a function), or owned.
enum DefaultRepr<T> {
    /// A value from the schema and the conversion into `T`, paired by the constructor.
    Schema {
        value: FlagValueRef<'static>,
        convert: fn(FlagValueRef<'static>) -> T,
    },
    /// A default written in code, computed when needed.
    Fn(fn() -> T),
    /// A default given at run time.
    Owned(T),
}

impl<T: FlagValue> FlagKey<T> {
    /// A key known only at run time.
    pub fn new(key: impl Into<Cow<'static, str>>, default: T) -> FlagKey<T> {
        FlagKey {
            key: key.into(),
            default: DefaultRepr::Owned(default),
        }
    }

    /// A key with a `'static` name and a default computed by `default`, usable in `const`
    /// items. Prefer `#[derive(Flags)]`, which checks the key against the schema.
    pub const fn from_fn(key: &'static str, default: fn() -> T) -> FlagKey<T> {
        FlagKey {
            key: Cow::Borrowed(key),
            default: DefaultRepr::Fn(default),
        }
    }

    #[doc(hidden)]
    /// Used by generated code: a default taken from the schema, converted into `T` by `convert`.
    pub const fn __from_schema(
        key: &'static str,
        value: FlagValueRef<'static>,
        convert: fn(FlagValueRef<'static>) -> T,
    ) -> FlagKey<T> {
        FlagKey {
            key: Cow::Borrowed(key),
            default: DefaultRepr::Schema { value, convert },
        }
    }

    /// The flag key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The key as a `Cow`, cheap to clone when it is `'static`.
    pub fn key_cow(&self) -> &Cow<'static, str> {
        &self.key
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

impl<T: FlagValue> Clone for FlagKey<T> {
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
            default,
        }
    }
}

impl<T: FlagValue + fmt::Debug> fmt::Debug for FlagKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlagKey")
            .field("key", &self.key)
            .field("type", &T::TYPE)
            .field("default", &self.default_value())
            .finish()
    }
}
