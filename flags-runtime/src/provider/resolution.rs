//! What a provider answers for one flag, owned: a service's answer before it is read as the
//! caller's type, and the number rules every reader of JSON values shares.

use std::borrow::Cow;

use crate::details::{
    ErrorCode, EvaluationDetails, EvaluationError, FlagMetadata, Reason, VariantName,
};
use crate::key::{FlagKey, FlagValue, FlagValueRef};

/// What a provider answered for one flag, before it is read as the caller's type: what a
/// [`Provider`](super::Provider) returns from [`Configuration::resolve`](super::Configuration::resolve)
/// and from a fetch.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution {
    /// The value; `None` when the server defers to the caller's default (OFREP's
    /// `codeDefaultFlag`).
    pub value: Option<serde_json::Value>,
    /// The variant the server named.
    pub variant: Option<VariantName>,
    /// The server's reason, unknown names kept as [`Reason::Other`].
    pub reason: Reason,
    /// What went wrong, when the evaluation failed.
    pub error: Option<EvaluationError>,
    /// Flag metadata (flag-set metadata overlaid with the flag's).
    pub metadata: FlagMetadata,
}

impl Resolution {
    /// A value, with a reason.
    pub fn value(value: serde_json::Value, reason: Reason) -> Resolution {
        Resolution {
            value: Some(value),
            variant: None,
            reason,
            error: None,
            metadata: FlagMetadata::empty(),
        }
    }

    /// A failure: the caller's default, reason `ERROR`.
    pub fn error(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Resolution {
        Resolution {
            value: None,
            variant: None,
            reason: Reason::Error,
            error: Some(EvaluationError::new(code, message)),
            metadata: FlagMetadata::empty(),
        }
    }

    /// With this metadata.
    #[must_use]
    pub fn with_metadata(mut self, metadata: FlagMetadata) -> Resolution {
        self.metadata = metadata;
        self
    }

    /// The details for `key`, read as `T`, with the server's reason.
    ///
    /// - an error: the caller's default, reason `ERROR`, the error;
    /// - `DISABLED`: the caller's default, reason `DISABLED`, no error;
    /// - no value: the caller's default, the server's reason, no error;
    /// - a value that cannot be read as `T`: the caller's default, `TYPE_MISMATCH`;
    /// - otherwise the value, the server's variant and reason.
    pub fn to_details<T: FlagValue>(&self, key: &FlagKey<T>) -> EvaluationDetails<T> {
        self.details_with_reason(key, None)
    }

    /// As [`Resolution::to_details`], for a value served from the cache: a success reports
    /// reason `CACHED`.
    pub fn to_cached_details<T: FlagValue>(&self, key: &FlagKey<T>) -> EvaluationDetails<T> {
        self.details_with_reason(key, Some(Reason::Cached))
    }

    fn details_with_reason<T: FlagValue>(
        &self,
        key: &FlagKey<T>,
        success: Option<Reason>,
    ) -> EvaluationDetails<T> {
        self.details_decoded(key, success, decode::<T>)
    }

    /// The details, with the value (when there is one to read) decoded by `decode`; a
    /// success reports `success` when given, else the server's reason.
    pub(crate) fn details_decoded<T: FlagValue>(
        &self,
        key: &FlagKey<T>,
        success: Option<Reason>,
        decode: impl FnOnce(&serde_json::Value) -> Result<T, String>,
    ) -> EvaluationDetails<T> {
        let details =
            |value: T, variant: Option<VariantName>, reason: Reason, error| EvaluationDetails {
                flag_key: key.key_cow().clone(),
                value,
                variant,
                reason,
                error,
                flag_metadata: self.metadata.clone(),
            };
        if let Some(error) = &self.error {
            return details(
                key.default_value(),
                None,
                Reason::Error,
                Some(error.clone()),
            );
        }
        let reason = || success.clone().unwrap_or_else(|| self.reason.clone());
        let value = match (&self.reason, &self.value) {
            (Reason::Disabled, _) => {
                return details(key.default_value(), self.variant.clone(), reason(), None);
            }
            (_, None) => {
                return details(key.default_value(), self.variant.clone(), reason(), None);
            }
            (_, Some(value)) => value,
        };
        match decode(value) {
            Ok(v) => details(v, self.variant.clone(), reason(), None),
            Err(message) => details(
                key.default_value(),
                None,
                Reason::Error,
                Some(EvaluationError::new(
                    ErrorCode::TypeMismatch,
                    format!(
                        "flag `{}` cannot be read as `{}`: {message}",
                        key.key(),
                        std::any::type_name::<T>()
                    ),
                )),
            ),
        }
    }

    /// The value as the runtime's [`Value`](crate::Value), for hooks; `None` when the caller's
    /// default is served.
    pub fn raw_value(&self) -> Option<crate::Value> {
        if self.error.is_some() || self.reason == Reason::Disabled {
            return None;
        }
        self.value.clone().map(crate::Value::from)
    }
}

/// Reads a JSON flag value as `T` with the in-process engine's number rules: an integral number
/// that fits `i64` (written `3` or `3.0`) reads as an integer and as a float, any other number
/// as a float only. Scalars are read without allocating (beyond what `T` itself holds).
pub(crate) fn decode<T: FlagValue>(value: &serde_json::Value) -> Result<T, String> {
    use serde_json::Value as J;
    let scalar = match value {
        J::Bool(b) => FlagValueRef::Bool(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => FlagValueRef::Int(i),
            None => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 => {
                    FlagValueRef::Int(f as i64)
                }
                Some(f) => FlagValueRef::Float(f),
                None => {
                    return T::deserialize(value).map_err(crate::message::bounded);
                }
            },
        },
        J::String(s) => FlagValueRef::Str(s),
        J::Object(_) | J::Array(_) | J::Null => {
            return serde_path_to_error::deserialize(value).map_err(|e| {
                if e.path().iter().next().is_none() {
                    crate::message::bounded(e.inner())
                } else {
                    format!(
                        "at {}: {}",
                        crate::message::bounded(format_args!("`{}`", e.path())),
                        crate::message::bounded(e.inner())
                    )
                }
            });
        }
    };
    crate::flag_value::read(scalar).map_err(|e| e.0.into_owned())
}
