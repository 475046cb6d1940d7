//! Definition text into a JSON value: JSON, and GO Feature Flag's flag files in TOML (feature
//! `toml`) and YAML (feature `yaml`).
//!
//! Every format is JSON, so JSON is read first and its errors stay what they were. Text that
//! is not JSON is read as TOML, then as YAML, and kept only when it is a GO Feature Flag flag
//! file ([`super::gofeatureflag::is_flag_file`]): YAML reads almost any text as a string, so
//! nothing else is guessed. For a document said to be in [`Format::GoFeatureFlag`], the error
//! is the YAML (or TOML) reader's when the text does not start as JSON does.

use serde_json::Value;

use super::Format;
use crate::error::Error;

/// The value of `text`, a document of `format` when known.
pub(super) fn document(text: &str, origin: &str, format: Option<&Format>) -> Result<Value, Error> {
    let json_error = match serde_json::from_str::<Value>(text) {
        Ok(value) => return Ok(value),
        Err(error) => error,
    };
    let goff = matches!(format, Some(Format::GoFeatureFlag));
    if format.is_some() && !goff {
        return Err(Error::json(origin, &json_error));
    }
    let looks_like_json = text.trim_start().starts_with('{');
    #[cfg_attr(not(any(feature = "toml", feature = "yaml")), allow(unused_mut))]
    let mut error: Option<Error> = None;
    #[cfg(feature = "toml")]
    match toml_value(text) {
        Ok(value) if goff || super::gofeatureflag::is_flag_file(&value) => return Ok(value),
        Ok(_) => {}
        Err(toml_error) => error = Some(toml_error),
    }
    #[cfg(feature = "yaml")]
    match super::yaml::parse(text) {
        Ok(value) if goff || super::gofeatureflag::is_flag_file(&value) => return Ok(value),
        Ok(_) => {}
        Err(yaml) => {
            // TOML's error when the text looks like TOML (a table header or `key = value` first).
            if !looks_like_toml(text) || error.is_none() {
                error = Some(Error::Syntax {
                    origin: origin.to_owned(),
                    language: "YAML",
                    message: yaml.message,
                    line: yaml.line,
                    column: yaml.column,
                });
            }
        }
    }
    match error {
        Some(Error::Syntax {
            message,
            language,
            line,
            column,
            ..
        }) if goff && !looks_like_json => Err(Error::Syntax {
            origin: origin.to_owned(),
            language,
            message,
            line,
            column,
        }),
        _ if goff && !looks_like_json && cfg!(not(all(feature = "yaml", feature = "toml"))) => {
            Err(Error::Syntax {
                origin: origin.to_owned(),
                language: "JSON",
                message: format!(
                    "{}; GO Feature Flag files in YAML or TOML need the `yaml` and `toml` \
                     features",
                    Error::json(origin, &json_error).without_origin()
                ),
                line: json_error.line(),
                column: json_error.column(),
            })
        }
        _ => Err(Error::json(origin, &json_error)),
    }
}

/// Whether the first line that is not blank nor a comment is a TOML table header or
/// `key = value`.
#[cfg(feature = "yaml")]
fn looks_like_toml(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with('#'))
        .is_some_and(|line| {
            line.starts_with('[') && line.ends_with(']')
                || line
                    .split_once('=')
                    .is_some_and(|(key, _)| !key.contains(':') && !key.trim().is_empty())
        })
}

/// TOML text as a JSON value (dates become their RFC 3339 text, as GO Feature Flag reads
/// them).
#[cfg(feature = "toml")]
fn toml_value(text: &str) -> Result<Value, Error> {
    let table: toml::Table = toml::from_str(text).map_err(|error| {
        let (line, column) = error
            .span()
            .map(|span| position(text, span.start))
            .unwrap_or((0, 0));
        Error::Syntax {
            origin: String::new(),
            language: "TOML",
            message: error.message().to_owned(),
            line,
            column,
        }
    })?;
    Ok(from_toml(toml::Value::Table(table)))
}

/// 1-based line and column of byte `at` in `text`.
#[cfg(feature = "toml")]
fn position(text: &str, at: usize) -> (usize, usize) {
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// A TOML value as JSON; a float that JSON cannot hold (`inf`, `nan`) becomes `null`.
#[cfg(feature = "toml")]
fn from_toml(value: toml::Value) -> Value {
    // TOML nests only as deep as its text, which `toml` parses with a recursion limit.
    match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.into_iter().map(from_toml).collect()),
        toml::Value::Table(table) => Value::Object(
            table
                .into_iter()
                .map(|(key, value)| (key, from_toml(value)))
                .collect(),
        ),
    }
}

#[cfg(all(test, feature = "yaml", feature = "toml"))]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn json_first_then_toml_then_yaml_for_flag_files_only() {
        let flag =
            json!({ "f": { "variations": { "a": 1 }, "defaultRule": { "variation": "a" } } });
        let yaml = "f:\n  variations:\n    a: 1\n  defaultRule:\n    variation: a\n";
        let toml = "[f]\nvariations = { a = 1 }\ndefaultRule = { variation = \"a\" }\n";
        for text in [yaml, toml, &flag.to_string()] {
            assert_eq!(document(text, "x", None).unwrap(), flag, "{text}");
            let goff = Some(&Format::GoFeatureFlag);
            assert_eq!(document(text, "x", goff).unwrap(), flag, "{text}");
        }
        // Other text keeps its JSON error, detected or of another format.
        for format in [None, Some(&Format::Flagd)] {
            let error = document("a: 1\n", "x", format).unwrap_err();
            assert!(matches!(error, Error::Json { .. }), "{error}");
            let error = document(toml, "x", Some(&Format::Flagd)).unwrap_err();
            assert!(matches!(error, Error::Json { .. }), "{error}");
        }
        // Said to be GO Feature Flag's: the YAML or TOML error, placed.
        let goff = Some(&Format::GoFeatureFlag);
        let error = document("f:\n  variations: [1\n", "x", goff).unwrap_err();
        assert!(
            error.to_string().starts_with("`x` is not valid YAML: "),
            "{error}"
        );
        let error = document("[f]\nvariations = \n", "x", goff).unwrap_err();
        assert!(
            error.to_string().starts_with("`x` is not valid TOML: ")
                && error.to_string().contains("line 2"),
            "{error}"
        );
        let error = document("{\"f\": ", "x", goff).unwrap_err();
        assert!(matches!(error, Error::Json { .. }), "{error}");
    }
}
