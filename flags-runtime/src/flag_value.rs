//! Flag values as a read sees them: borrowed scalars and objects ([`FlagValueRef`]), the Rust
//! types they are read as ([`FlagValue`]), and object values that remember what they have been
//! decoded into ([`ObjectValue`]).

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::sync::Arc;

use arc_swap::ArcSwap;
use serde::de::DeserializeOwned;

use flags_schema::FlagType;

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
    if let Some(value) = read_direct::<T>(&value) {
        return Ok(value);
    }
    match value {
        FlagValueRef::Object(object) => object.decode::<T>(),
        scalar => T::deserialize(crate::de::Scalar(scalar)).map_err(|e| ReadError(Cow::Owned(e.0))),
    }
}

/// A scalar read as `T` without serde, when `T` is the scalar's own type or one of the common
/// types [`converted`] knows; `None` otherwise (then [`read`] goes through serde). Inlined:
/// the value comes back in registers, where [`read`]'s `Result` is returned through memory.
#[inline(always)]
pub(crate) fn read_direct<T: FlagValue>(value: &FlagValueRef<'_>) -> Option<T> {
    // The downcast is a comparison of type ids that the compiler decides for each `T`.
    let direct = match value {
        FlagValueRef::Bool(b) => (b as &dyn std::any::Any).downcast_ref::<T>(),
        FlagValueRef::Int(i) => (i as &dyn std::any::Any).downcast_ref::<T>(),
        FlagValueRef::Float(f) => (f as &dyn std::any::Any).downcast_ref::<T>(),
        _ => None,
    };
    if let Some(value) = direct {
        return Some(value.clone());
    }
    converted::<T>(value)
}

/// A scalar read as another common Rust type without going through serde, when it fits: the
/// narrower integers, `f32`, and `Option`s of the scalars. The same value serde's visitors give
/// (`try_from` for integers, `as` for floats); a value that does not fit goes through serde,
/// which says why. Every test of a type id is decided when `T` is compiled.
#[inline(always)]
fn converted<T: 'static>(value: &FlagValueRef<'_>) -> Option<T> {
    use std::any::{Any, TypeId};
    fn cast<T: 'static, U: 'static>(value: U) -> Option<T> {
        let mut value = Some(value);
        (&mut value as &mut dyn Any)
            .downcast_mut::<Option<T>>()
            .and_then(Option::take)
    }
    let t = TypeId::of::<T>();
    macro_rules! integers {
        ($i:expr; $($ty:ty),*) => {
            $(if t == TypeId::of::<$ty>() {
                return <$ty>::try_from($i).ok().and_then(cast::<T, $ty>);
            })*
        };
    }
    match *value {
        FlagValueRef::Int(i) => {
            integers!(i; u8, u16, u32, u64, usize, i8, i16, i32, isize);
            if t == TypeId::of::<f32>() {
                return cast::<T, f32>(i as f32);
            }
            if t == TypeId::of::<f64>() {
                return cast::<T, f64>(i as f64);
            }
            if t == TypeId::of::<Option<i64>>() {
                return cast::<T, Option<i64>>(Some(i));
            }
            None
        }
        FlagValueRef::Float(f) => {
            if t == TypeId::of::<f32>() {
                return cast::<T, f32>(f as f32);
            }
            if t == TypeId::of::<Option<f64>>() {
                return cast::<T, Option<f64>>(Some(f));
            }
            None
        }
        FlagValueRef::Bool(b) if t == TypeId::of::<Option<bool>>() => {
            cast::<T, Option<bool>>(Some(b))
        }
        _ => None,
    }
}

/// Reads a variant of a dialect whose variants are keys with an attachment (Flipt's) as `T`:
/// a type that reads structured data (a struct, a map, a sequence, `serde_json::Value`) gets
/// the attachment decoded (`Ok(None)` when there is none), any other type the key, as a
/// string flag's value.
#[inline]
pub(crate) fn read_variant<T: FlagValue>(
    key: &str,
    attachment: Option<&ObjectValue>,
) -> Result<Option<T>, ReadError> {
    if reads_structured::<T>() {
        attachment.map(ObjectValue::decode::<T>).transpose()
    } else {
        read::<T>(FlagValueRef::Str(key)).map(Some)
    }
}

/// Whether `T` reads structured data rather than a scalar or a string: which method of a
/// deserializer `T`'s `Deserialize` calls, asked without data. The answer is known for each
/// `T` when it is compiled (`String` asks for a string), so the question costs nothing.
#[inline]
pub(crate) fn reads_structured<T: FlagValue>() -> bool {
    matches!(T::deserialize(Probe), Err(Asked::Structured))
}

/// A deserializer that holds no data and answers what it was asked for.
struct Probe;

#[derive(Debug)]
enum Asked {
    Scalar,
    Structured,
    /// `T` failed for a reason of its own.
    Other,
}

impl std::fmt::Display for Asked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("asked")
    }
}

impl std::error::Error for Asked {}

impl serde::de::Error for Asked {
    fn custom<M: std::fmt::Display>(_: M) -> Asked {
        Asked::Other
    }
}

macro_rules! asked {
    ($answer:ident: $($method:ident)*) => {
        $(
            #[inline]
            fn $method<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Asked> {
                Err(Asked::$answer)
            }
        )*
    };
}

impl<'de> serde::Deserializer<'de> for Probe {
    type Error = Asked;

    asked!(Scalar: deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_str
        deserialize_string deserialize_bytes deserialize_byte_buf deserialize_unit
        deserialize_identifier deserialize_ignored_any);
    asked!(Structured: deserialize_any deserialize_seq deserialize_map);

    #[inline]
    fn deserialize_option<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Asked> {
        visitor.visit_some(self)
    }

    #[inline]
    fn deserialize_newtype_struct<V: serde::de::Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Asked> {
        visitor.visit_newtype_struct(self)
    }

    #[inline]
    fn deserialize_unit_struct<V: serde::de::Visitor<'de>>(
        self,
        _: &'static str,
        _: V,
    ) -> Result<V::Value, Asked> {
        Err(Asked::Scalar)
    }

    /// An enum reads a variant's name, as a string flag's value.
    #[inline]
    fn deserialize_enum<V: serde::de::Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Asked> {
        Err(Asked::Scalar)
    }

    #[inline]
    fn deserialize_tuple<V: serde::de::Visitor<'de>>(
        self,
        _: usize,
        _: V,
    ) -> Result<V::Value, Asked> {
        Err(Asked::Structured)
    }

    #[inline]
    fn deserialize_tuple_struct<V: serde::de::Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        _: V,
    ) -> Result<V::Value, Asked> {
        Err(Asked::Structured)
    }

    #[inline]
    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Asked> {
        Err(Asked::Structured)
    }
}

/// An object flag value, with what it has been decoded into: each Rust type it is read as is
/// decoded once per configuration, so that an object read costs a clone, and a value that does
/// not fit the type is reported once (with the serde path of the problem), not per read.
pub struct ObjectValue {
    json: serde_json::Value,
    /// The flag it belongs to and the provider's registry of decoders, so that a type read
    /// once is decoded eagerly in every later configuration.
    flag: Arc<str>,
    decoders: Arc<Decoders>,
    /// `(type, Result<T, message>)` per type read so far. Appended by copy-on-write, read
    /// lock-free.
    decoded: ArcSwap<Vec<(TypeId, Arc<dyn Any + Send + Sync>)>>,
}

impl std::fmt::Debug for ObjectValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectValue")
            .field("json", &self.json)
            .finish_non_exhaustive()
    }
}

type Decoded<T> = Result<T, Arc<str>>;

/// Decodes an object value as `T` into its cache.
fn prewarm<T: FlagValue>(value: &ObjectValue) {
    let _ = value.decode::<T>();
}

/// Which flags have been read as which object types, by one provider: each new configuration
/// decodes them when it loads, so that a value that does not fit is reported then, once.
#[derive(Default)]
pub(crate) struct Decoders {
    entries: std::sync::Mutex<Vec<Decoder>>,
}

/// A flag, a type it was read as, and the function decoding a value as that type.
pub(crate) type Decoder = (Arc<str>, TypeId, fn(&ObjectValue));

impl Decoders {
    /// Cold: runs once per flag and type, on the first decode.
    fn register(&self, flag: &Arc<str>, id: TypeId, decode: fn(&ObjectValue)) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !entries.iter().any(|(f, t, _)| f == flag && *t == id) {
            entries.push((flag.clone(), id, decode));
        }
    }

    pub(crate) fn snapshot(&self) -> Vec<Decoder> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

impl ObjectValue {
    pub(crate) fn new(
        json: serde_json::Value,
        flag: Arc<str>,
        decoders: Arc<Decoders>,
    ) -> ObjectValue {
        ObjectValue {
            json,
            flag,
            decoders,
            decoded: ArcSwap::from_pointee(Vec::new()),
        }
    }

    /// The object as JSON.
    pub fn json(&self) -> &serde_json::Value {
        &self.json
    }

    /// The object as `T`, decoded on first use and cached.
    pub(crate) fn decode<T: FlagValue>(&self) -> Result<T, ReadError> {
        let id = TypeId::of::<T>();
        if let Some(hit) = self.cached::<T>(id) {
            return hit;
        }
        let decoded: Decoded<T> = serde_path_to_error::deserialize(&self.json).map_err(|e| {
            // The path (keys of the object) and serde's message (which quotes the value) are
            // bounded; the type name is the caller's.
            let message = if e.path().iter().next().is_none() {
                format!(
                    "the value does not fit `{}`: {}",
                    std::any::type_name::<T>(),
                    crate::message::bounded(e.inner())
                )
            } else {
                format!(
                    "the value does not fit `{}` at {}: {}",
                    std::any::type_name::<T>(),
                    crate::message::bounded(format_args!("`{}`", e.path())),
                    crate::message::bounded(e.inner())
                )
            };
            Arc::from(message)
        });
        if let Err(message) = &decoded {
            tracing::warn!(target: "flags", flag = %self.flag, "object flag value cannot be read: {message}");
        }
        self.decoders.register(&self.flag, id, prewarm::<T>);
        let entry: Arc<dyn Any + Send + Sync> = Arc::new(decoded.clone());
        self.decoded.rcu(|current| {
            let mut next = Vec::clone(current);
            if !next.iter().any(|(t, _)| *t == id) {
                next.push((id, entry.clone()));
            }
            next
        });
        decoded.map_err(|m| ReadError(Cow::Owned(m.to_string())))
    }

    fn cached<T: FlagValue>(&self, id: TypeId) -> Option<Result<T, ReadError>> {
        let cache = self.decoded.load();
        let (_, entry) = cache.iter().find(|(t, _)| *t == id)?;
        let decoded = entry.downcast_ref::<Decoded<T>>()?;
        Some(
            decoded
                .clone()
                .map_err(|m| ReadError(Cow::Owned(m.to_string()))),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::{FlagValueRef, converted};
    use crate::de::Scalar;

    /// What serde's visitors make of a scalar.
    fn through_serde<T: serde::de::DeserializeOwned>(value: FlagValueRef<'_>) -> Option<T> {
        T::deserialize(Scalar(value)).ok()
    }

    /// Checks that the shortcut answers exactly when serde does (integers), with the same value.
    fn same<T>(value: FlagValueRef<'_>, all: bool)
    where
        T: serde::de::DeserializeOwned + std::fmt::Debug + PartialEq + 'static,
    {
        let fast = converted::<T>(&value);
        let slow = through_serde::<T>(value);
        match (&fast, &slow) {
            (Some(f), Some(s)) => assert_eq!(f, s, "{value:?} as {}", std::any::type_name::<T>()),
            (Some(_), None) => panic!(
                "{value:?} as {}: read without serde, which refuses it",
                std::any::type_name::<T>()
            ),
            (None, Some(_)) if all => panic!(
                "{value:?} as {}: serde reads it, the shortcut does not",
                std::any::type_name::<T>()
            ),
            _ => {}
        }
    }

    /// The shortcut for the narrower integers, `f32` and the `Option`s reads what serde reads,
    /// at every boundary.
    #[test]
    fn scalars_read_without_serde_as_serde_reads_them() {
        let mut ints = vec![0, 1, -1, i64::MIN, i64::MAX, 1 << 53, (1 << 53) + 1];
        for bound in [
            i64::from(u8::MAX),
            i64::from(u16::MAX),
            i64::from(u32::MAX),
            i64::from(i8::MIN),
            i64::from(i8::MAX),
            i64::from(i16::MIN),
            i64::from(i16::MAX),
            i64::from(i32::MIN),
            i64::from(i32::MAX),
        ] {
            ints.extend([bound - 1, bound, bound + 1]);
        }
        for i in ints {
            let v = FlagValueRef::Int(i);
            same::<u8>(v, true);
            same::<u16>(v, true);
            same::<u32>(v, true);
            same::<u64>(v, true);
            same::<usize>(v, true);
            same::<i8>(v, true);
            same::<i16>(v, true);
            same::<i32>(v, true);
            same::<isize>(v, true);
            same::<f32>(v, true);
            same::<f64>(v, true);
            same::<Option<i64>>(v, true);
        }
        for f in [
            0.0,
            -0.0,
            0.1,
            1.5,
            -2.5e-310,
            f64::from(f32::MAX) * 2.0,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            let v = FlagValueRef::Float(f);
            same::<f32>(v, true);
            same::<Option<f64>>(v, true);
            // Integers never read a float: neither way.
            same::<u32>(v, true);
        }
        let nan = FlagValueRef::Float(f64::NAN);
        assert!(converted::<f32>(&nan).is_some_and(f32::is_nan));
        assert!(through_serde::<f32>(nan).is_some_and(f32::is_nan));
        for b in [true, false] {
            same::<Option<bool>>(FlagValueRef::Bool(b), true);
            same::<u8>(FlagValueRef::Bool(b), true);
        }
    }
}
