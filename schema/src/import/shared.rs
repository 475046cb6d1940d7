//! Readers of the fields several formats share: metadata, variants and their one type, the
//! OpenFeature CLI's typed flag (`type`, `defaultValue`, `description`), a flag's object.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::{Problem, describe, describe_short};
use crate::manifest::{Flag, FlagType, Metadata, MetadataValue};

/// Flag or flag-set metadata: an object of booleans, strings and numbers (flagd and OFREP).
pub(super) fn metadata(value: &Value) -> Result<Metadata, Problem> {
    let Value::Object(entries) = value else {
        return Err(Problem::InvalidField {
            field: "metadata".to_owned(),
            expected: "an object of booleans, strings or numbers",
            found: describe(value),
        });
    };
    entries
        .iter()
        .map(|(key, value)| match MetadataValue::from_json(value) {
            Some(value) => Ok((key.clone(), value)),
            None => Err(Problem::InvalidMetadata {
                key: key.clone(),
                found: describe(value),
            }),
        })
        .collect()
}

/// What flag metadata says about the flag itself (flagd and OFREP): a string `description` is
/// its [`Flag::description`], `deprecated: true` sets [`Flag::deprecated`].
pub(super) fn describe_from_metadata(flag: &mut Flag) {
    if let Some(MetadataValue::String(description)) = flag.metadata.get("description") {
        flag.description = Some(description.clone());
    }
    flag.deprecated = matches!(
        flag.metadata.get("deprecated"),
        Some(MetadataValue::Bool(true))
    );
}

/// The one type of all variants: the first variant fixes it, integers and floats widen to float,
/// anything else is [`Problem::MixedVariantTypes`].
pub(super) fn variants_type<'v>(
    variants: impl IntoIterator<Item = (&'v String, &'v Value)>,
) -> Result<FlagType, Problem> {
    let mut first: Option<(&str, FlagType)> = None;
    let mut unified = FlagType::Boolean;
    for (name, value) in variants {
        let Some(value_type) = FlagType::of(value) else {
            return Err(Problem::InvalidVariantValue {
                variant: name.clone(),
                found: describe(value),
            });
        };
        match first {
            None => {
                first = Some((name, value_type));
                unified = value_type;
            }
            Some((first_name, first_type)) => {
                unified = unified
                    .unify(value_type)
                    .ok_or_else(|| Problem::MixedVariantTypes {
                        first: first_name.to_owned(),
                        first_type,
                        variant: name.clone(),
                        found: describe(value),
                    })?;
            }
        }
    }
    Ok(unified)
}

/// The type of variants read leniently, for evaluation (flagd and Flagship serve any value):
/// their common type, else the first typed variant's; `tolerate` gets each variant of another
/// type, or of none (an array or null).
pub(super) fn lenient_type<'v>(
    variants: impl IntoIterator<Item = (&'v String, &'v Value)>,
    mut tolerate: impl FnMut(Problem),
) -> FlagType {
    let mut first: Option<(&str, FlagType)> = None;
    let mut unified = None;
    for (name, value) in variants {
        let problem = match (FlagType::of(value), first) {
            (None, _) => Problem::InvalidVariantValue {
                variant: name.clone(),
                found: describe_short(value),
            },
            (Some(value_type), None) => {
                first = Some((name, value_type));
                unified = Some(value_type);
                continue;
            }
            (Some(value_type), Some((first_name, first_type))) => {
                match unified.and_then(|u: FlagType| u.unify(value_type)) {
                    Some(u) => {
                        unified = Some(u);
                        continue;
                    }
                    None => Problem::MixedVariantTypes {
                        first: first_name.to_owned(),
                        first_type,
                        variant: name.clone(),
                        found: describe_short(value),
                    },
                }
            }
        };
        tolerate(problem);
    }
    unified.unwrap_or(FlagType::Object)
}

/// The fields of a flag; `expected` says what a flag is, for the error.
pub(super) fn flag_object<'a>(
    key: &str,
    value: &'a Value,
    expected: &'static str,
) -> Result<&'a Map<String, Value>, Problem> {
    match value {
        Value::Object(fields) => Ok(fields),
        other => Err(Problem::InvalidField {
            field: format!("flags.{key}"),
            expected,
            found: describe(other),
        }),
    }
}

/// The variations under `field` (required, at least one) and their one type: integers and
/// floats widen to float ([`FlagType::unify`]), any other mix is
/// [`Problem::MixedVariantTypes`] naming the first variation and the one that differs (GO
/// Feature Flag and Flagship).
pub(super) fn variations(
    fields: &Map<String, Value>,
    field: &'static str,
) -> Result<(FlagType, BTreeMap<String, Value>), Problem> {
    let variations = match fields.get(field) {
        None | Some(Value::Null) => return Err(Problem::MissingField { field }),
        Some(Value::Object(variations)) if variations.is_empty() => {
            return Err(Problem::InvalidField {
                field: field.to_owned(),
                expected: "an object with at least one variation",
                found: "an empty object".to_owned(),
            });
        }
        Some(Value::Object(variations)) => variations,
        Some(other) => {
            return Err(Problem::InvalidField {
                field: field.to_owned(),
                expected: "an object of values by variation name",
                found: describe(other),
            });
        }
    };
    let unified = variants_type(variations)?;
    let variants = variations
        .iter()
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    Ok((unified, variants))
}

/// The value of variation `name`, or [`Problem::DefaultVariantNotFound`] listing those there are.
pub(super) fn variant<'a>(
    variants: &'a BTreeMap<String, Value>,
    name: &str,
) -> Result<&'a Value, Problem> {
    variants
        .get(name)
        .ok_or_else(|| Problem::DefaultVariantNotFound {
            variant: name.to_owned(),
            available: variants.keys().cloned().collect(),
        })
}

/// A flag of the OpenFeature CLI's shape: its type in `type_field`, a `defaultValue` of that
/// type (integral floats of integer flags normalised), and an optional `description`. The
/// OpenFeature manifest API names the type field `type`.
pub(super) fn typed_flag(
    fields: &Map<String, Value>,
    type_field: &'static str,
) -> Result<Flag, Problem> {
    let flag_type = match fields.get(type_field) {
        None => return Err(Problem::MissingField { field: type_field }),
        Some(Value::String(name)) => parse_type(name)?,
        Some(other) => {
            return Err(Problem::InvalidField {
                field: type_field.to_owned(),
                expected: "a type name such as `boolean`",
                found: describe(other),
            });
        }
    };
    let Some(default) = fields.get("defaultValue") else {
        return Err(Problem::MissingField {
            field: "defaultValue",
        });
    };
    let default = normalise_default(flag_type, default);
    if !flag_type.accepts(&default) {
        return Err(Problem::DefaultTypeMismatch {
            expected: flag_type,
            found: describe(&default),
        });
    }
    let mut flag = Flag::new(flag_type, Some(default));
    flag.description = match fields.get("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(description)) => Some(description.clone()),
        Some(other) => {
            return Err(Problem::InvalidField {
                field: "description".to_owned(),
                expected: "a string or null",
                found: describe(other),
            });
        }
    };
    Ok(flag)
}

/// A type name as the OpenFeature CLI's loader reads it.
fn parse_type(name: &str) -> Result<FlagType, Problem> {
    match name {
        "boolean" | "bool" | "Boolean" => Ok(FlagType::Boolean),
        "string" | "String" => Ok(FlagType::String),
        "integer" | "Integer" => Ok(FlagType::Integer),
        "float" | "Float" | "Number" => Ok(FlagType::Float),
        "object" | "Object" | "JSON" => Ok(FlagType::Object),
        _ => Err(Problem::UnknownType {
            found: name.to_owned(),
        }),
    }
}

/// An integer flag's default written as a whole float (`50.0`, an integer for JSON Schema)
/// becomes the integer.
fn normalise_default(flag_type: FlagType, default: &Value) -> Value {
    // `i64::MAX as f64` rounds up to 2^63, so the upper bound is exclusive; within the bounds a
    // whole float converts exactly.
    if flag_type == FlagType::Integer
        && !default.is_i64()
        && let Some(float) = default.as_f64()
        && float.fract() == 0.0
        && float >= i64::MIN as f64
        && float < i64::MAX as f64
    {
        return Value::from(float as i64);
    }
    default.clone()
}
