//! Flag values as a snapshot holds them: scalars ready to copy out, and objects that remember
//! what they have been decoded into.

use std::sync::Arc;

use crate::flag_value::{Decoders, FlagValueRef, ObjectValue};

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

    #[inline]
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
