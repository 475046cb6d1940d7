//! Remote evaluation: the wire protocols (OFREP, Cloudflare Flagship) as pure codecs, and the
//! cache of single-flag evaluations. Nothing here does I/O: the providers send what these
//! modules build and hand back what the server answered.

pub(crate) mod bulk;
pub(crate) mod cache;
pub(crate) mod context;
pub(crate) mod flagship;
pub(crate) mod ofrep;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::details::{
    ErrorCode, EvaluationDetails, EvaluationError, FlagMetadata, MetadataValue, Reason,
};
use crate::key::{FlagKey, FlagValue, FlagValueRef};

/// What a server answered for one flag, before it is read as the caller's type.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution {
    /// The value; `None` when the server defers to the caller's default (OFREP's
    /// `codeDefaultFlag`).
    pub value: Option<serde_json::Value>,
    /// The variant the server named.
    pub variant: Option<Arc<str>>,
    /// The server's reason, unknown names kept as [`Reason::Other`].
    pub reason: Reason,
    /// What went wrong, when the evaluation failed.
    pub error: Option<EvaluationError>,
    /// Flag metadata (flag-set metadata overlaid with the flag's).
    pub metadata: FlagMetadata,
}

impl Resolution {
    #[cfg_attr(not(test), allow(dead_code))] // used by tests; the providers use the rest
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
            |value: T, variant: Option<Arc<str>>, reason: Reason, error| EvaluationDetails {
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
pub fn decode<T: FlagValue>(value: &serde_json::Value) -> Result<T, String> {
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
    crate::key::read(scalar).map_err(|e| e.0.into_owned())
}

/// Flag metadata from a JSON object: booleans, strings and numbers kept, other values skipped
/// (servers are read leniently). `base` (flag-set metadata) is overlaid with the flag's.
pub(crate) fn metadata_from_json(
    value: Option<&serde_json::Value>,
    base: &BTreeMap<String, MetadataValue>,
) -> FlagMetadata {
    let mut map = base.clone();
    if let Some(serde_json::Value::Object(object)) = value {
        for (k, v) in object {
            if let Some(v) = MetadataValue::from_json(v) {
                map.insert(k.clone(), v);
            }
        }
    }
    FlagMetadata::new(map)
}

/// Flag-set metadata as a map (the base [`metadata_from_json`] overlays).
pub(crate) fn metadata_map(value: Option<&serde_json::Value>) -> BTreeMap<String, MetadataValue> {
    let mut map = BTreeMap::new();
    if let Some(serde_json::Value::Object(object)) = value {
        for (k, v) in object {
            if let Some(v) = MetadataValue::from_json(v) {
                map.insert(k.clone(), v);
            }
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn res(value: serde_json::Value) -> Resolution {
        Resolution {
            value: Some(value),
            variant: Some(Arc::from("on")),
            reason: Reason::TargetingMatch,
            error: None,
            metadata: FlagMetadata::empty(),
        }
    }

    #[test]
    fn a_value_is_read_as_the_requested_type() {
        let d = res(json!(true)).to_details(&FlagKey::new("f", false));
        assert!(d.value);
        assert_eq!(d.variant.as_deref(), Some("on"));
        assert_eq!(d.reason, Reason::TargetingMatch);
        assert_eq!(d.error, None);
        assert_eq!(d.flag_key, "f");
        let d = res(json!("blue")).to_details(&FlagKey::new("f", String::new()));
        assert_eq!(d.value, "blue");
        let d = res(json!(12)).to_details(&FlagKey::new("f", 0_i64));
        assert_eq!(d.value, 12);
        let d = res(json!(2.5)).to_details(&FlagKey::new("f", 0.0_f64));
        assert_eq!(d.value, 2.5);
        let d = res(json!({"a": [1, 2]})).to_details(&FlagKey::new("f", serde_json::Value::Null));
        assert_eq!(d.value, json!({"a": [1, 2]}));
    }

    #[test]
    fn integral_numbers_read_as_floats_and_integral_floats_as_integers() {
        let d = res(json!(3)).to_details(&FlagKey::new("f", 0.5_f64));
        assert_eq!((d.value, d.error), (3.0, None));
        let d = res(json!(4.0)).to_details(&FlagKey::new("f", 0_i64));
        assert_eq!((d.value, d.error), (4, None));
        let d = res(json!(4.5)).to_details(&FlagKey::new("f", 7_i64));
        assert_eq!(d.value, 7);
        assert_eq!(d.error_code(), Some(ErrorCode::TypeMismatch));
        assert_eq!(d.reason, Reason::Error);
        assert_eq!(d.variant, None);
    }

    #[test]
    fn a_type_mismatch_serves_the_default() {
        let d = res(json!("yes")).to_details(&FlagKey::new("flag", true));
        assert!(d.value);
        assert_eq!(d.error_code(), Some(ErrorCode::TypeMismatch));
        let message = d.error_message().unwrap();
        assert!(
            message.contains("`flag`") && message.contains("`bool`"),
            "{message}"
        );
        let d = res(json!(300)).to_details(&FlagKey::new("f", 1_u8));
        assert_eq!(
            (d.value, d.error_code()),
            (1, Some(ErrorCode::TypeMismatch))
        );

        #[derive(serde::Deserialize, Clone, Debug, PartialEq, Default)]
        struct Banner {
            #[allow(dead_code)]
            text: String,
        }
        let d = res(json!({"text": 3})).to_details(&FlagKey::new("f", Banner::default()));
        assert_eq!(d.error_code(), Some(ErrorCode::TypeMismatch));
        assert!(d.error_message().unwrap().contains("`text`"), "{d:?}");
    }

    #[test]
    fn no_value_serves_the_default_with_the_servers_reason() {
        let mut r = res(json!(null));
        r.value = None;
        r.reason = Reason::Default;
        let d = r.to_details(&FlagKey::new("f", 9_i64));
        assert_eq!((d.value, d.reason, d.error), (9, Reason::Default, None));
    }

    #[test]
    fn disabled_serves_the_default_without_error() {
        let mut r = res(json!(true));
        r.reason = Reason::Disabled;
        let d = r.to_details(&FlagKey::new("f", false));
        assert_eq!(
            (d.value, d.reason, d.error),
            (false, Reason::Disabled, None)
        );
        assert_eq!(r.raw_value(), None);
    }

    #[test]
    fn an_error_serves_the_default_with_its_code_and_metadata() {
        let meta = FlagMetadata::new(BTreeMap::from([(
            "team".to_owned(),
            MetadataValue::String("core".into()),
        )]));
        let r = Resolution::error(ErrorCode::FlagNotFound, "gone").with_metadata(meta.clone());
        let d = r.to_details(&FlagKey::new("f", 5_i64));
        assert_eq!(d.value, 5);
        assert_eq!(d.reason, Reason::Error);
        assert_eq!(d.error_code(), Some(ErrorCode::FlagNotFound));
        assert_eq!(d.error_message(), Some("gone"));
        assert_eq!(d.flag_metadata, meta);
    }

    #[test]
    fn cached_details_report_cached_on_success_only() {
        let d = res(json!(1)).to_cached_details(&FlagKey::new("f", 0_i64));
        assert_eq!((d.value, d.reason), (1, Reason::Cached));
        let d = res(json!("x")).to_cached_details(&FlagKey::new("f", 0_i64));
        assert_eq!(d.reason, Reason::Error);
    }

    #[test]
    fn metadata_keeps_scalars_and_overlays_the_set() {
        let base = metadata_map(Some(&json!({"version": "v1", "team": "a", "nested": {}})));
        let meta = metadata_from_json(Some(&json!({"team": "b", "n": 2, "l": [1]})), &base);
        assert_eq!(meta.len(), 3);
        assert_eq!(meta.get("team"), Some(&MetadataValue::String("b".into())));
        assert_eq!(
            meta.get("version"),
            Some(&MetadataValue::String("v1".into()))
        );
        assert_eq!(meta.get("n"), Some(&MetadataValue::Int(2)));
    }
}
