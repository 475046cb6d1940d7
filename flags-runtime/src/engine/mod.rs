//! In-process evaluation: flag definitions compiled into an immutable, indexed snapshot.
//!
//! A configuration is compiled once when it arrives; evaluation reads the snapshot without
//! locks and, for scalar flags, without allocating.

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::sync::Arc;

use arc_swap::ArcSwap;

use flags_schema::{FlagState, Manifest};
use rustc_hash::FxHashMap;

use crate::context::Context;
use crate::details::{ErrorCode, EvaluationError, FlagMetadata};
use crate::key::{FlagValue, FlagValueRef, ReadError};

/// A compiled configuration.
#[derive(Debug)]
pub(crate) struct Snapshot {
    flags: FxHashMap<Arc<str>, CompiledFlag>,
}

#[derive(Debug)]
struct CompiledFlag {
    disabled: bool,
    variants: Vec<Variant>,
    /// What is served when no rule decides.
    fallback: Fallback,
    targeting: Option<Targeting>,
    metadata: FlagMetadata,
}

#[derive(Debug)]
struct Variant {
    name: Arc<str>,
    value: CompiledValue,
}

#[derive(Debug)]
enum Fallback {
    /// The variant at this index.
    Variant(usize),
    /// A value without variant name (a manifest default with no variants).
    Value(CompiledValue),
    /// The caller's default (flagd `defaultVariant: null`).
    CodeDefault,
}

/// A targeting rule. The rule engine is not part of this version: a flag with a rule answers
/// with an error saying so, and never panics.
#[derive(Debug)]
enum Targeting {
    Unsupported,
}

#[derive(Debug)]
enum CompiledValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Arc<str>),
    Object(ObjectValue),
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
type Decoder = (Arc<str>, TypeId, fn(&ObjectValue));

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

    fn snapshot(&self) -> Vec<Decoder> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

impl ObjectValue {
    fn new(json: serde_json::Value, flag: Arc<str>, decoders: Arc<Decoders>) -> ObjectValue {
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
            let path = e.path().to_string();
            let message = if path == "." {
                format!(
                    "the value does not fit `{}`: {}",
                    std::any::type_name::<T>(),
                    e.inner()
                )
            } else {
                format!(
                    "the value does not fit `{}` at `{path}`: {}",
                    std::any::type_name::<T>(),
                    e.inner()
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
    fn compile(
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
            J::Object(_) => CompiledValue::Object(ObjectValue::new(
                value.clone(),
                flag.clone(),
                decoders.clone(),
            )),
            J::Array(_) | J::Null => return None,
        })
    }

    fn as_ref(&self) -> FlagValueRef<'_> {
        match self {
            CompiledValue::Bool(b) => FlagValueRef::Bool(*b),
            CompiledValue::Int(i) => FlagValueRef::Int(*i),
            CompiledValue::Float(f) => FlagValueRef::Float(*f),
            CompiledValue::Str(s) => FlagValueRef::Str(s.as_ref()),
            CompiledValue::Object(o) => FlagValueRef::Object(o),
        }
    }
}

/// Why a resolution produced its value; mapped to [`crate::Reason`] when details are built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReasonCode {
    Static,
    Default,
    Disabled,
}

/// The outcome of resolving one flag, borrowing from the snapshot.
#[derive(Debug)]
pub(crate) enum Resolution<'s> {
    /// A value from the configuration.
    Value {
        value: FlagValueRef<'s>,
        variant: Option<&'s Arc<str>>,
        reason: ReasonCode,
    },
    /// The caller's default, successfully (disabled flag, or a flag that defers to code).
    CodeDefault { reason: ReasonCode },
    /// The caller's default, because something went wrong.
    Error(EvaluationError),
}

/// A resolved flag plus its metadata.
pub(crate) struct Resolved<'s> {
    pub(crate) resolution: Resolution<'s>,
    pub(crate) metadata: Option<&'s FlagMetadata>,
}

/// A configuration that cannot be compiled.
#[derive(Debug, thiserror::Error)]
#[error("flag `{flag}`: {message}")]
pub struct CompileError {
    flag: String,
    message: String,
}

impl Snapshot {
    /// Compiles a validated manifest.
    pub(crate) fn compile(
        manifest: &Manifest,
        decoders: &Arc<Decoders>,
    ) -> Result<Snapshot, CompileError> {
        let mut flags = FxHashMap::default();
        flags.reserve(manifest.flags.len());
        for (key, flag) in &manifest.flags {
            let fail = |message: String| CompileError {
                flag: key.clone(),
                message,
            };
            let shared_key: Arc<str> = Arc::from(key.as_str());
            let mut variants = Vec::with_capacity(flag.variants.len());
            for (name, value) in &flag.variants {
                let value = CompiledValue::compile(value, &shared_key, decoders)
                    .ok_or_else(|| fail(format!("variant `{name}` is not a flag value")))?;
                variants.push(Variant {
                    name: Arc::from(name.as_str()),
                    value,
                });
            }
            let fallback = match (&flag.default_variant, &flag.default) {
                (Some(name), _) => {
                    let index =
                        variants
                            .iter()
                            .position(|v| &*v.name == name)
                            .ok_or_else(|| {
                                fail(format!("default variant `{name}` is not a variant"))
                            })?;
                    Fallback::Variant(index)
                }
                (None, Some(value)) => Fallback::Value(
                    CompiledValue::compile(value, &shared_key, decoders)
                        .ok_or_else(|| fail("the default is not a flag value".to_owned()))?,
                ),
                (None, None) => Fallback::CodeDefault,
            };
            let targeting = match &flag.targeting {
                Some(rule) if !rule.as_object().is_some_and(|o| o.is_empty()) => {
                    Some(Targeting::Unsupported)
                }
                _ => None,
            };
            let mut metadata = manifest.metadata.clone();
            metadata.extend(flag.metadata.iter().map(|(k, v)| (k.clone(), v.clone())));
            flags.insert(
                shared_key,
                CompiledFlag {
                    disabled: flag.state == FlagState::Disabled,
                    variants,
                    fallback,
                    targeting,
                    metadata: FlagMetadata::new(metadata),
                },
            );
        }
        let snapshot = Snapshot { flags };
        snapshot.prewarm(decoders);
        Ok(snapshot)
    }

    /// Decodes every object value of a flag as each type it was read as before, so that a value
    /// that does not fit is reported now, when the configuration loads.
    fn prewarm(&self, decoders: &Decoders) {
        for (key, _, decode) in decoders.snapshot() {
            let Some(flag) = self.flags.get(&key) else {
                continue;
            };
            let fallback = match &flag.fallback {
                Fallback::Value(value) => Some(value),
                _ => None,
            };
            for value in flag.variants.iter().map(|v| &v.value).chain(fallback) {
                if let CompiledValue::Object(object) = value {
                    decode(object);
                }
            }
        }
    }

    /// The number of flags.
    pub(crate) fn len(&self) -> usize {
        self.flags.len()
    }

    /// Resolves `key` for `ctx`. Whether the value fits the requested type is for the reader.
    pub(crate) fn resolve(&self, key: &str, _ctx: &Context) -> Resolved<'_> {
        let Some(flag) = self.flags.get(key) else {
            return Resolved {
                resolution: Resolution::Error(EvaluationError::new(
                    ErrorCode::FlagNotFound,
                    format!("no flag `{key}` in the configuration"),
                )),
                metadata: None,
            };
        };
        let metadata = Some(&flag.metadata);
        if flag.disabled {
            return Resolved {
                resolution: Resolution::CodeDefault {
                    reason: ReasonCode::Disabled,
                },
                metadata,
            };
        }
        if let Some(Targeting::Unsupported) = flag.targeting {
            return Resolved {
                resolution: Resolution::Error(EvaluationError::new(
                    ErrorCode::General,
                    format!(
                        "flag `{key}` has a targeting rule, and this version of flags does not \
                         evaluate targeting rules yet; serving the code default"
                    ),
                )),
                metadata,
            };
        }
        let resolution = match &flag.fallback {
            Fallback::Variant(index) => {
                let variant = &flag.variants[*index];
                Resolution::Value {
                    value: variant.value.as_ref(),
                    variant: Some(&variant.name),
                    reason: ReasonCode::Static,
                }
            }
            Fallback::Value(value) => Resolution::Value {
                value: value.as_ref(),
                variant: None,
                reason: ReasonCode::Static,
            },
            Fallback::CodeDefault => Resolution::CodeDefault {
                reason: ReasonCode::Default,
            },
        };
        Resolved {
            resolution,
            metadata,
        }
    }
}

/// The message of a value that does not fit the type it is read as.
pub(crate) fn type_mismatch(key: &str, type_name: &str, error: &ReadError) -> EvaluationError {
    EvaluationError::new(
        ErrorCode::TypeMismatch,
        Cow::Owned(format!(
            "flag `{key}` cannot be read as `{type_name}`: {}",
            error.0
        )),
    )
}
