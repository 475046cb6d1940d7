//! Flag values as a snapshot holds them: scalars ready to copy out, and objects that remember
//! what they have been decoded into.

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::key::{FlagValue, FlagValueRef, ReadError};

/// A flag value, ready to be read.
#[derive(Debug, Clone)]
pub(super) enum CompiledValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Arc<str>),
    /// Shared, so that the served value and its variant share one decode cache.
    Object(Arc<ObjectValue>),
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
pub(super) type Decoder = (Arc<str>, TypeId, fn(&ObjectValue));

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

    pub(super) fn snapshot(&self) -> Vec<Decoder> {
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

impl CompiledValue {
    pub(super) fn compile(
        value: &serde_json::Value,
        flag: &Arc<str>,
        decoders: &Arc<Decoders>,
    ) -> Option<CompiledValue> {
        use serde_json::Value as J;
        Some(match value {
            J::Bool(b) => CompiledValue::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => CompiledValue::Int(i),
                None => {
                    let f = n.as_f64()?;
                    // An integral float that fits i64 reads as an integer too.
                    if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 {
                        CompiledValue::Int(f as i64)
                    } else {
                        CompiledValue::Float(f)
                    }
                }
            },
            J::String(s) => CompiledValue::Str(Arc::from(s.as_str())),
            J::Object(_) => CompiledValue::Object(Arc::new(ObjectValue::new(
                value.clone(),
                flag.clone(),
                decoders.clone(),
            ))),
            J::Array(_) | J::Null => return None,
        })
    }

    /// A variant's value: as [`CompiledValue::compile`], and an array or null (which a flagd
    /// file may hold, and flagd serves as a structured value) as an [`ObjectValue`], which a
    /// read decodes into its type (a typed read of another type answers `TYPE_MISMATCH`).
    pub(super) fn variant(
        value: &serde_json::Value,
        flag: &Arc<str>,
        decoders: &Arc<Decoders>,
    ) -> CompiledValue {
        CompiledValue::compile(value, flag, decoders).unwrap_or_else(|| {
            CompiledValue::Object(Arc::new(ObjectValue::new(
                value.clone(),
                flag.clone(),
                decoders.clone(),
            )))
        })
    }

    pub(super) fn as_ref(&self) -> FlagValueRef<'_> {
        match self {
            CompiledValue::Bool(b) => FlagValueRef::Bool(*b),
            CompiledValue::Int(i) => FlagValueRef::Int(*i),
            CompiledValue::Float(f) => FlagValueRef::Float(*f),
            CompiledValue::Str(s) => FlagValueRef::Str(s.as_ref()),
            CompiledValue::Object(o) => FlagValueRef::Object(o),
        }
    }
}
