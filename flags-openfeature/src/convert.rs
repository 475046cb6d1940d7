//! What the two SDKs call the same things: contexts, values, reasons, error codes, metadata,
//! statuses. Pure functions, both ways.

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use flags_runtime::{
    Context, ErrorCode, EvaluationError, FlagMetadata, MetadataValue, ProviderStatus, Reason, Value,
};
use open_feature::provider::ProviderStatus as OfStatus;
use open_feature::{
    EvaluationContext, EvaluationContextFieldValue as Field, EvaluationError as OfError,
    EvaluationErrorCode as OfCode, EvaluationReason, FlagMetadata as OfMetadata, FlagMetadataValue,
    StructValue, Value as OfValue,
};

/// The longest message carried from one SDK to the other, in bytes.
const MESSAGE_LIMIT: usize = 300;

// ---------------------------------------------------------------------------------------------
// Contexts

/// An OpenFeature context as ours. Nested structures and lists travel in OpenFeature's
/// `Struct(Arc<dyn Any>)` field; the types read there are listed in [`nested`].
///
/// # Errors
///
/// `INVALID_CONTEXT` naming the attribute whose nested value is of a type we cannot read.
pub(crate) fn context_from_openfeature(ctx: &EvaluationContext) -> Result<Context, OfError> {
    let mut out = match &ctx.targeting_key {
        Some(key) => Context::new(key.clone()),
        None => Context::anonymous(),
    };
    for (name, field) in &ctx.custom_fields {
        let value = match field {
            Field::Bool(b) => Value::Bool(*b),
            Field::Int(i) => Value::Int(*i),
            Field::Float(f) => Value::Float(*f),
            Field::String(s) => Value::String(s.clone()),
            Field::DateTime(at) => Value::DateTime(system_time(at.unix_timestamp_nanos())),
            Field::Struct(any) => nested(&**any).ok_or_else(|| {
                of_error(
                    OfCode::InvalidContext,
                    format!(
                        "context attribute `{name}` holds a structure of a type flags cannot read: \
                         use `open_feature::Value`, `StructValue`, `serde_json::Value` or `flags::Value`"
                    ),
                )
            })?,
        };
        out.set(name.clone(), value);
    }
    Ok(out)
}

/// A nested attribute: `open_feature::Value`, `StructValue`, `Vec<open_feature::Value>`,
/// `HashMap<String, open_feature::Value>`, `serde_json::Value`, `flags::Value`,
/// `Vec<flags::Value>` or `BTreeMap<String, flags::Value>`.
fn nested(any: &(dyn Any + Send + Sync)) -> Option<Value> {
    if let Some(v) = any.downcast_ref::<OfValue>() {
        return Some(value_from_openfeature(v));
    }
    if let Some(s) = any.downcast_ref::<StructValue>() {
        return Some(struct_from_openfeature(s));
    }
    if let Some(list) = any.downcast_ref::<Vec<OfValue>>() {
        return Some(Value::List(
            list.iter().map(value_from_openfeature).collect(),
        ));
    }
    if let Some(map) = any.downcast_ref::<HashMap<String, OfValue>>() {
        return Some(Value::Map(
            map.iter()
                .map(|(k, v)| (k.clone(), value_from_openfeature(v)))
                .collect(),
        ));
    }
    if let Some(json) = any.downcast_ref::<serde_json::Value>() {
        return Some(Value::from(json.clone()));
    }
    if let Some(v) = any.downcast_ref::<Value>() {
        return Some(v.clone());
    }
    if let Some(list) = any.downcast_ref::<Vec<Value>>() {
        return Some(Value::List(list.clone()));
    }
    any.downcast_ref::<BTreeMap<String, Value>>()
        .map(|map| Value::Map(map.clone()))
}

fn system_time(nanos: i128) -> SystemTime {
    let magnitude = Duration::from_nanos(u64::try_from(nanos.unsigned_abs()).unwrap_or(u64::MAX));
    if nanos >= 0 {
        SystemTime::UNIX_EPOCH
            .checked_add(magnitude)
            .unwrap_or(SystemTime::UNIX_EPOCH)
    } else {
        SystemTime::UNIX_EPOCH
            .checked_sub(magnitude)
            .unwrap_or(SystemTime::UNIX_EPOCH)
    }
}

fn value_from_openfeature(value: &OfValue) -> Value {
    match value {
        OfValue::Bool(b) => Value::Bool(*b),
        OfValue::Int(i) => Value::Int(*i),
        OfValue::Float(f) => Value::Float(*f),
        OfValue::String(s) => Value::String(s.clone()),
        OfValue::Array(list) => Value::List(list.iter().map(value_from_openfeature).collect()),
        OfValue::Struct(s) => struct_from_openfeature(s),
    }
}

fn struct_from_openfeature(s: &StructValue) -> Value {
    Value::Map(
        s.fields
            .iter()
            .map(|(k, v)| (k.clone(), value_from_openfeature(v)))
            .collect(),
    )
}

/// Our context as OpenFeature's. A list or structure travels as an `open_feature::Value` in a
/// `Struct` field (the `open-feature` crate has no field kinds for them); a date-time as a
/// `DateTime`; `Null` as an `open_feature::Value`-less unit is dropped (OpenFeature has no
/// null attribute).
pub(crate) fn context_to_openfeature(ctx: &Context) -> EvaluationContext {
    let mut out = EvaluationContext {
        targeting_key: ctx.targeting_key().map(str::to_owned),
        ..EvaluationContext::default()
    };
    for (name, value) in ctx.attributes() {
        let field = match value {
            Value::Bool(b) => Field::Bool(*b),
            Value::Int(i) => Field::Int(*i),
            Value::Float(f) => Field::Float(*f),
            Value::String(s) => Field::String(s.clone()),
            Value::DateTime(at) => match date_time(*at) {
                Some(at) => Field::DateTime(at),
                None => continue,
            },
            Value::List(_) | Value::Map(_) => match json_to_openfeature(&value.to_json()) {
                Some(v) => Field::Struct(Arc::new(v)),
                None => continue,
            },
            _ => continue,
        };
        out.custom_fields.insert(name.to_owned(), field);
    }
    out
}

fn date_time(at: SystemTime) -> Option<time::OffsetDateTime> {
    let nanos = match at.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i128::try_from(after.as_nanos()).ok()?,
        Err(before) => -i128::try_from(before.duration().as_nanos()).ok()?,
    };
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}

// ---------------------------------------------------------------------------------------------
// Values

/// A JSON value as OpenFeature's; `None` for `null` (OpenFeature has none), which inside a
/// list or structure is dropped.
pub(crate) fn json_to_openfeature(json: &serde_json::Value) -> Option<OfValue> {
    use serde_json::Value as J;
    Some(match json {
        J::Null => return None,
        J::Bool(b) => OfValue::Bool(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => OfValue::Int(i),
            None => OfValue::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::String(s) => OfValue::String(s.clone()),
        J::Array(items) => OfValue::Array(items.iter().filter_map(json_to_openfeature).collect()),
        J::Object(map) => OfValue::Struct(json_object_to_struct(map)),
    })
}

/// A JSON object as OpenFeature's structure (`null` members dropped).
pub(crate) fn json_object_to_struct(
    map: &serde_json::Map<String, serde_json::Value>,
) -> StructValue {
    StructValue {
        fields: map
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), json_to_openfeature(v)?)))
            .collect(),
    }
}

/// OpenFeature's value as JSON (a non-finite float becomes `null`).
pub(crate) fn openfeature_to_json(value: &OfValue) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        OfValue::Bool(b) => J::Bool(*b),
        OfValue::Int(i) => J::from(*i),
        OfValue::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        OfValue::String(s) => J::String(s.clone()),
        OfValue::Array(items) => J::Array(items.iter().map(openfeature_to_json).collect()),
        OfValue::Struct(s) => struct_to_json(s),
    }
}

/// OpenFeature's structure as a JSON object.
pub(crate) fn struct_to_json(s: &StructValue) -> serde_json::Value {
    serde_json::Value::Object(
        s.fields
            .iter()
            .map(|(k, v)| (k.clone(), openfeature_to_json(v)))
            .collect(),
    )
}

// ---------------------------------------------------------------------------------------------
// Reasons, error codes, metadata, statuses

/// Our reason as OpenFeature's (`STALE`, which the crate lacks, as `Other("STALE")`).
pub(crate) fn reason_to_openfeature(reason: &Reason) -> EvaluationReason {
    match reason {
        Reason::Static => EvaluationReason::Static,
        Reason::Default => EvaluationReason::Default,
        Reason::TargetingMatch => EvaluationReason::TargetingMatch,
        Reason::Split => EvaluationReason::Split,
        Reason::Cached => EvaluationReason::Cached,
        Reason::Disabled => EvaluationReason::Disabled,
        Reason::Unknown => EvaluationReason::Unknown,
        Reason::Error => EvaluationReason::Error,
        other => EvaluationReason::Other(other.as_str().to_owned()),
    }
}

/// OpenFeature's reason as ours; none given reads as `UNKNOWN`.
pub(crate) fn reason_from_openfeature(reason: Option<&EvaluationReason>) -> Reason {
    reason.map_or(Reason::Unknown, |r| Reason::parse(&r.to_string()))
}

/// Our error code as OpenFeature's. The crate has no `PROVIDER_FATAL` and carries `GENERAL`
/// with a text: both become `General` holding the code's OpenFeature name.
pub(crate) fn code_to_openfeature(code: ErrorCode) -> OfCode {
    match code {
        ErrorCode::ProviderNotReady => OfCode::ProviderNotReady,
        ErrorCode::FlagNotFound => OfCode::FlagNotFound,
        ErrorCode::ParseError => OfCode::ParseError,
        ErrorCode::TypeMismatch => OfCode::TypeMismatch,
        ErrorCode::TargetingKeyMissing => OfCode::TargetingKeyMissing,
        ErrorCode::InvalidContext => OfCode::InvalidContext,
        ErrorCode::ProviderFatal | ErrorCode::General => OfCode::General(code.as_str().to_owned()),
    }
}

/// OpenFeature's error code as ours (`General("PROVIDER_FATAL")` back to `PROVIDER_FATAL`).
pub(crate) fn code_from_openfeature(code: &OfCode) -> ErrorCode {
    match code {
        OfCode::ProviderNotReady => ErrorCode::ProviderNotReady,
        OfCode::FlagNotFound => ErrorCode::FlagNotFound,
        OfCode::ParseError => ErrorCode::ParseError,
        OfCode::TypeMismatch => ErrorCode::TypeMismatch,
        OfCode::TargetingKeyMissing => ErrorCode::TargetingKeyMissing,
        OfCode::InvalidContext => ErrorCode::InvalidContext,
        OfCode::General(name) if name == ErrorCode::ProviderFatal.as_str() => {
            ErrorCode::ProviderFatal
        }
        OfCode::General(_) => ErrorCode::General,
    }
}

/// Our error as OpenFeature's.
pub(crate) fn error_to_openfeature(error: &EvaluationError) -> OfError {
    of_error(code_to_openfeature(error.code), bounded(&error.message))
}

/// OpenFeature's error as ours: its code, its message (bounded) or the code's name.
pub(crate) fn error_from_openfeature(error: &OfError) -> EvaluationError {
    let code = code_from_openfeature(&error.code);
    let message = match (&error.message, &error.code) {
        (Some(message), _) => bounded(message),
        (None, OfCode::General(text)) if text != code.as_str() => bounded(text),
        (None, _) => format!("the provider answered {code} without a message"),
    };
    EvaluationError::new(code, message)
}

pub(crate) fn of_error(code: OfCode, message: String) -> OfError {
    OfError {
        code,
        message: Some(message),
    }
}

/// Our flag metadata as OpenFeature's.
pub(crate) fn metadata_to_openfeature(metadata: &FlagMetadata) -> OfMetadata {
    OfMetadata {
        values: metadata
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    MetadataValue::Bool(b) => FlagMetadataValue::Bool(*b),
                    MetadataValue::Int(i) => FlagMetadataValue::Int(*i),
                    MetadataValue::Float(f) => FlagMetadataValue::Float(*f),
                    MetadataValue::String(s) => FlagMetadataValue::String(s.clone()),
                };
                (k.to_owned(), v)
            })
            .collect(),
    }
}

/// OpenFeature's flag metadata as ours.
pub(crate) fn metadata_from_openfeature(metadata: Option<&OfMetadata>) -> FlagMetadata {
    let Some(metadata) = metadata else {
        return FlagMetadata::empty();
    };
    FlagMetadata::new(
        metadata
            .values
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    FlagMetadataValue::Bool(b) => MetadataValue::Bool(*b),
                    FlagMetadataValue::Int(i) => MetadataValue::Int(*i),
                    FlagMetadataValue::Float(f) => MetadataValue::Float(*f),
                    FlagMetadataValue::String(s) => MetadataValue::String(s.clone()),
                };
                (k.clone(), v)
            })
            .collect(),
    )
}

/// Our status as OpenFeature's: the crate knows `NotReady`, `Ready`, `Error` and `STALE`;
/// `FATAL` is an error, `RECONCILING` serves the previous evaluation (stale).
pub(crate) fn status_to_openfeature(status: ProviderStatus) -> OfStatus {
    match status {
        ProviderStatus::Ready => OfStatus::Ready,
        ProviderStatus::Stale | ProviderStatus::Reconciling => OfStatus::STALE,
        ProviderStatus::Error | ProviderStatus::Fatal => OfStatus::Error,
        _ => OfStatus::NotReady,
    }
}

/// OpenFeature's status as ours.
pub(crate) fn status_from_openfeature(status: &OfStatus) -> ProviderStatus {
    match status {
        OfStatus::NotReady => ProviderStatus::NotReady,
        OfStatus::Ready => ProviderStatus::Ready,
        OfStatus::Error => ProviderStatus::Error,
        OfStatus::STALE => ProviderStatus::Stale,
    }
}

/// At most [`MESSAGE_LIMIT`] bytes of `text`, cut at a character boundary, marked when cut.
pub(crate) fn bounded(text: &str) -> String {
    if text.len() <= MESSAGE_LIMIT {
        return text.to_owned();
    }
    let mut end = MESSAGE_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_code_goes_both_ways() {
        for code in [
            ErrorCode::ProviderNotReady,
            ErrorCode::FlagNotFound,
            ErrorCode::ParseError,
            ErrorCode::TypeMismatch,
            ErrorCode::TargetingKeyMissing,
            ErrorCode::InvalidContext,
            ErrorCode::ProviderFatal,
            ErrorCode::General,
        ] {
            let theirs = code_to_openfeature(code);
            assert_eq!(theirs.to_string(), code.as_str());
            assert_eq!(code_from_openfeature(&theirs), code);
        }
        // A provider's own text in `General` is a GENERAL error with that text.
        let error = error_from_openfeature(&OfError {
            code: OfCode::General("connection reset".into()),
            message: None,
        });
        assert_eq!(
            (error.code, &*error.message),
            (ErrorCode::General, "connection reset")
        );
    }

    #[test]
    fn every_reason_goes_both_ways() {
        for reason in [
            Reason::Static,
            Reason::Default,
            Reason::TargetingMatch,
            Reason::Split,
            Reason::Cached,
            Reason::Disabled,
            Reason::Unknown,
            Reason::Stale,
            Reason::Error,
            Reason::Other("PINNED".into()),
        ] {
            let theirs = reason_to_openfeature(&reason);
            assert_eq!(theirs.to_string(), reason.as_str());
            assert_eq!(reason_from_openfeature(Some(&theirs)), reason);
        }
        assert_eq!(reason_from_openfeature(None), Reason::Unknown);
    }

    #[test]
    fn statuses_map() {
        for (ours, theirs) in [
            (ProviderStatus::NotReady, OfStatus::NotReady),
            (ProviderStatus::Ready, OfStatus::Ready),
            (ProviderStatus::Error, OfStatus::Error),
            (ProviderStatus::Stale, OfStatus::STALE),
        ] {
            assert_eq!(status_to_openfeature(ours), theirs);
            assert_eq!(status_from_openfeature(&theirs), ours);
        }
        assert_eq!(
            status_to_openfeature(ProviderStatus::Fatal),
            OfStatus::Error
        );
        assert_eq!(
            status_to_openfeature(ProviderStatus::Reconciling),
            OfStatus::STALE
        );
    }

    #[test]
    fn contexts_go_both_ways_nested_values_and_dates_included() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        let ours = Context::new("user-1")
            .with("plan", "premium")
            .with("seats", 12)
            .with("ratio", 0.5)
            .with("beta", true)
            .with("since", at)
            .with(
                "account",
                Value::from(serde_json::json!({"tier": "gold", "ids": [1, 2.5, "x"]})),
            );
        let theirs = context_to_openfeature(&ours);
        assert_eq!(theirs.targeting_key.as_deref(), Some("user-1"));
        assert_eq!(context_from_openfeature(&theirs).unwrap(), ours);
    }

    #[test]
    fn long_messages_are_cut() {
        let long = "é".repeat(400);
        let cut = bounded(&long);
        assert!(cut.len() <= MESSAGE_LIMIT + 3 && cut.ends_with("..."));
    }
}
