//! Recognising the format of a flag definition document from its shape.

use serde_json::Value;

pub use crate::manifest::Format;
#[cfg(doc)]
use crate::manifest::Manifest;

impl Format {
    /// The name used in the lock file and in messages: `lock`, `flagd`, `openfeature-cli`,
    /// `ofrep`, `flipt`, `go-feature-flag`, `flagship`, `openfeature-api`, `flagkit`.
    pub const fn as_str(&self) -> &'static str {
        match self {
            Format::Lock => "lock",
            Format::Flagd => "flagd",
            Format::OpenfeatureCli => "openfeature-cli",
            Format::Ofrep => "ofrep",
            Format::Flipt { .. } => "flipt",
            Format::GoFeatureFlag => "go-feature-flag",
            Format::Flagship { .. } => "flagship",
            Format::OpenfeatureApi => "openfeature-api",
            Format::FlagKit => "flagkit",
        }
    }

    /// Recognises the format of a document from its shape; `None` when it matches none.
    ///
    /// The rules, in order (the first that applies decides):
    ///
    /// 1. Anything but a JSON object is no known format.
    /// 2. A top-level `formatVersion` makes a [lock file](Format::Lock): no other format has it.
    ///    A GO Feature Flag flag file (its flags at the top level, one with `variations`, and no
    ///    `flags` unless that is a flag: [`is_flag_file`](crate::gofeatureflag::is_flag_file))
    ///    makes a [GO Feature Flag configuration](Format::GoFeatureFlag).
    /// 3. A top-level `namespace` object with `flags` as an array (the server's document), or
    ///    a `namespace` object holding `flags` as an object or `eval_rules` (the snapshot
    ///    Flipt's client engine exports), makes a [Flipt snapshot](Format::Flipt) of an
    ///    unknown namespace (`namespace` empty): only Flipt names a namespace.
    /// 4. `flags` as an object (key → flag), looking at the entries that are objects:
    ///    - one entry with `flagType` makes an [OpenFeature CLI manifest](Format::OpenfeatureCli):
    ///      `flagType` is the CLI's required field and means nothing to flagd;
    ///    - else one entry with `variants` or `state` (flagd's required fields) makes a
    ///      [flagd file](Format::Flagd);
    ///    - else one entry with `defaultValue` (and so no `variants`) makes a CLI manifest;
    ///    - else one entry with `default_variation` makes
    ///      [Flagship definitions](Format::Flagship) (which also have `variations`), of an
    ///      unknown account (`account_id` empty);
    ///    - else one entry with `variations` makes a
    ///      [GO Feature Flag configuration](Format::GoFeatureFlag).
    /// 5. `flags` as an array (key in each flag), looking at the entries that are objects:
    ///    - one carrying `variants` or `state` makes a flagd file;
    ///    - else one with a `key` and a `flagType`, or (whatever the entries) a top-level
    ///      `serverTime`, `pollingIntervalSeconds` or `environmentId`, makes
    ///      [FlagKit's init answer](Format::FlagKit);
    ///    - else one with a `key` and a `value` or an `errorCode` makes an
    ///      [OFREP bulk evaluation](Format::Ofrep);
    ///    - else one with a `key`, a `type` and a `defaultValue` makes an
    ///      [OpenFeature manifest API](Format::OpenfeatureApi) response.
    /// 6. When the entries say nothing (an empty `flags` map or array, or entries with none of
    ///    the fields above), a top-level `$schema` naming the schema decides: a file name of
    ///    `flag-manifest.json` (the CLI's schema) makes a CLI manifest, `flags.json` or
    ///    `flagd.json` (flagd's schemas) a flagd file. So a CLI manifest whose flags lack their
    ///    `flagType` is still reported as such, with the missing field named.
    /// 7. Otherwise an empty `flags` map or array is read as a flagd file (an empty flag set),
    ///    and anything else is no known format.
    pub fn detect(value: &Value) -> Option<Format> {
        let Value::Object(document) = value else {
            return None;
        };
        if document.contains_key("formatVersion") {
            return Some(Format::Lock);
        }
        if super::gofeatureflag::is_flag_file(value) {
            return Some(Format::GoFeatureFlag);
        }
        if let Some(Value::Object(namespace)) = document.get("namespace")
            && (document.get("flags").is_some_and(Value::is_array)
                || crate::import::flipt_engine::is_engine_namespace(namespace))
        {
            return Some(Format::Flipt {
                namespace: String::new(),
            });
        }
        let by_shape = match document.get("flags")? {
            Value::Object(flags) => {
                let entries = || flags.values().filter_map(Value::as_object);
                if entries().any(|flag| flag.contains_key("flagType")) {
                    Some(Format::OpenfeatureCli)
                } else if entries().any(has_flagd_field) {
                    Some(Format::Flagd)
                } else if entries().any(|flag| flag.contains_key("defaultValue")) {
                    Some(Format::OpenfeatureCli)
                } else if entries().any(|flag| flag.contains_key("default_variation")) {
                    Some(Format::Flagship {
                        account_id: String::new(),
                    })
                } else if entries().any(|flag| flag.contains_key("variations")) {
                    Some(Format::GoFeatureFlag)
                } else {
                    None
                }
            }
            Value::Array(flags) => {
                let entries = || flags.iter().filter_map(Value::as_object);
                let keyed = |flag: &serde_json::Map<String, Value>| flag.contains_key("key");
                if entries().any(has_flagd_field) {
                    Some(Format::Flagd)
                } else if is_flagkit(document) {
                    Some(Format::FlagKit)
                } else if entries().any(|flag| {
                    keyed(flag) && (flag.contains_key("value") || flag.contains_key("errorCode"))
                }) {
                    Some(Format::Ofrep)
                } else if entries().any(|flag| {
                    keyed(flag) && flag.contains_key("type") && flag.contains_key("defaultValue")
                }) {
                    Some(Format::OpenfeatureApi)
                } else {
                    None
                }
            }
            _ => return None,
        };
        by_shape
            .or_else(|| by_schema(document.get("$schema")))
            .or_else(|| {
                let empty = match &document["flags"] {
                    Value::Object(flags) => flags.is_empty(),
                    Value::Array(flags) => flags.is_empty(),
                    _ => false,
                };
                empty.then_some(Format::Flagd)
            })
    }
}

/// Whether a document is FlagKit's init answer (or a FlagKit updates answer): `flags` an array
/// whose entries carry `flagType`, or, with no such entry, the top-level fields only FlagKit
/// sends (`serverTime`, `pollingIntervalSeconds`, `environmentId`).
fn is_flagkit(document: &serde_json::Map<String, Value>) -> bool {
    let Some(Value::Array(flags)) = document.get("flags") else {
        return false;
    };
    flags
        .iter()
        .filter_map(Value::as_object)
        .any(|flag| flag.contains_key("key") && flag.contains_key("flagType"))
        || ["serverTime", "pollingIntervalSeconds", "environmentId"]
            .iter()
            .any(|field| document.contains_key(*field))
}

fn has_flagd_field(flag: &serde_json::Map<String, Value>) -> bool {
    flag.contains_key("variants") || flag.contains_key("state")
}

/// The format named by a `$schema` URL or path, from its last path segment.
fn by_schema(schema: Option<&Value>) -> Option<Format> {
    let schema = schema?.as_str()?;
    let without_fragment = schema.split(['#', '?']).next().unwrap_or(schema);
    let file = without_fragment
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(without_fragment);
    match file {
        "flag-manifest.json" => Some(Format::OpenfeatureCli),
        "flags.json" | "flagd.json" => Some(Format::Flagd),
        _ => None,
    }
}

const EXPECTED: &str = "expected a flagd file with `flags.<key>.variants`, an OpenFeature CLI \
     manifest with `flags.<key>.flagType`, a lock file with `formatVersion`, or a service's \
     response (OFREP `flags[].value`, OpenFeature manifest API `flags[].type`, Flipt \
     `namespace`, GO Feature Flag `flags.<key>.variations`, Flagship \
     `flags.<key>.default_variation`)";

/// What an unknown document should have looked like, and what it was.
pub(super) fn unknown_hint(value: &Value) -> String {
    let found = match value {
        Value::Object(document) => match document.get("flags") {
            None => "found an object without `flags`".to_owned(),
            Some(Value::Object(_)) => "found `flags` whose entries have none of `variants`, \
                 `state`, `flagType`, `defaultValue`, `variations`, `default_variation`"
                .to_owned(),
            Some(Value::Array(_)) => "found `flags` whose entries have none of `variants`, \
                 `state`, a `key` with `value`, `errorCode` or `type` and `defaultValue`"
                .to_owned(),
            Some(other) => format!("found `flags` as {}", crate::error::describe(other)),
        },
        other => format!("found {}", crate::error::describe(other)),
    };
    format!("{EXPECTED}; {found}")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn detects_lock_by_format_version() {
        assert_eq!(
            Format::detect(&json!({ "formatVersion": 1, "flags": {} })),
            Some(Format::Lock)
        );
        // Even with flagd-looking flags: only a lock file has `formatVersion`.
        let value = json!({ "formatVersion": 2, "flags": { "a": { "variants": {} } } });
        assert_eq!(Format::detect(&value), Some(Format::Lock));
    }

    #[test]
    fn detects_flagd_map_array_and_empty() {
        let map = json!({ "flags": { "a": { "state": "ENABLED", "variants": { "on": true } } } });
        assert_eq!(Format::detect(&map), Some(Format::Flagd));
        let only_state = json!({ "flags": { "a": { "state": "ENABLED" } } });
        assert_eq!(Format::detect(&only_state), Some(Format::Flagd));
        let array = json!({ "flags": [{ "key": "a", "variants": { "on": true } }] });
        assert_eq!(Format::detect(&array), Some(Format::Flagd));
        assert_eq!(Format::detect(&json!({ "flags": {} })), Some(Format::Flagd));
        assert_eq!(Format::detect(&json!({ "flags": [] })), Some(Format::Flagd));
    }

    #[test]
    fn detects_cli_by_flag_type_or_bare_default() {
        let typed = json!({ "flags": { "a": { "flagType": "boolean", "defaultValue": true } } });
        assert_eq!(Format::detect(&typed), Some(Format::OpenfeatureCli));
        let untyped = json!({ "flags": { "a": { "defaultValue": true } } });
        assert_eq!(Format::detect(&untyped), Some(Format::OpenfeatureCli));
        // `flagType` wins over flagd fields elsewhere in the file.
        let mixed = json!({ "flags": {
            "a": { "state": "ENABLED", "variants": { "on": true } },
            "b": { "flagType": "string", "defaultValue": "" }
        } });
        assert_eq!(Format::detect(&mixed), Some(Format::OpenfeatureCli));
        // A `defaultValue` beside `variants` is a flagd flag with an extra field.
        let flagd = json!({ "flags": { "a": { "variants": { "on": true }, "defaultValue": 1 } } });
        assert_eq!(Format::detect(&flagd), Some(Format::Flagd));
    }

    #[test]
    fn schema_url_decides_when_the_shape_does_not() {
        let cli_schema = "https://raw.githubusercontent.com/open-feature/cli/refs/heads/main/schema/v0/flag-manifest.json";
        let cli = json!({ "$schema": cli_schema, "flags": { "a": { "codeDefault": true } } });
        assert_eq!(Format::detect(&cli), Some(Format::OpenfeatureCli));
        let empty_cli = json!({ "$schema": "../flag-manifest.json", "flags": {} });
        assert_eq!(Format::detect(&empty_cli), Some(Format::OpenfeatureCli));
        let flagd =
            json!({ "$schema": "https://flagd.dev/schema/v0/flags.json", "flags": { "a": {} } });
        assert_eq!(Format::detect(&flagd), Some(Format::Flagd));
        // The shape takes precedence over `$schema`.
        let shaped =
            json!({ "$schema": "flag-manifest.json", "flags": { "a": { "variants": {} } } });
        assert_eq!(Format::detect(&shaped), Some(Format::Flagd));
    }

    #[test]
    fn detects_nothing_in_other_documents() {
        for value in [
            json!(null),
            json!([]),
            json!("flags"),
            json!({}),
            json!({ "flags": 3 }),
            json!({ "flags": { "a": { "value": true } } }),
            json!({ "flags": { "a": true } }),
            json!({ "flags": [{ "key": "a" }] }),
        ] {
            assert_eq!(Format::detect(&value), None, "{value}");
        }
    }

    #[test]
    fn detects_service_responses() {
        let unknown_namespace = Some(Format::Flipt {
            namespace: String::new(),
        });
        let flipt = json!({ "namespace": { "key": "default" }, "flags": [] });
        assert_eq!(Format::detect(&flipt), unknown_namespace);
        // Flipt's flags carry neither `value` nor `variants`: the namespace decides.
        let flipt = json!({ "namespace": { "key": "default" }, "flags": [
            { "key": "a", "type": "BOOLEAN_FLAG_TYPE", "enabled": true }
        ] });
        assert_eq!(Format::detect(&flipt), unknown_namespace);
        // The snapshot Flipt's client engine exports: the flags inside the namespace.
        let engine = json!({ "version": 1, "namespace": { "key": "default", "flags": {},
            "eval_rules": {}, "eval_rollouts": {}, "eval_distributions": {} } });
        assert_eq!(Format::detect(&engine), unknown_namespace);
        let engine = json!({ "namespace": { "key": "default", "eval_rules": {} } });
        assert_eq!(Format::detect(&engine), unknown_namespace);
        // A `namespace` that is not an object is not Flipt's.
        let not_flipt = json!({ "namespace": "default", "flags": [] });
        assert_eq!(Format::detect(&not_flipt), Some(Format::Flagd));

        let ofrep = json!({ "flags": [{ "key": "a", "value": 1, "reason": "STATIC" }] });
        assert_eq!(Format::detect(&ofrep), Some(Format::Ofrep));
        let only_errors = json!({ "flags": [{ "key": "a", "errorCode": "FLAG_NOT_FOUND" }] });
        assert_eq!(Format::detect(&only_errors), Some(Format::Ofrep));
        // `variants` beside `key` is flagd's array form, whatever else is there.
        let flagd = json!({ "flags": [{ "key": "a", "value": 1, "variants": { "on": 1 } }] });
        assert_eq!(Format::detect(&flagd), Some(Format::Flagd));

        let api = json!({ "flags": [{ "key": "a", "type": "boolean", "defaultValue": true }] });
        assert_eq!(Format::detect(&api), Some(Format::OpenfeatureApi));
        // Without a key, or without a default, neither.
        let keyless = json!({ "flags": [{ "type": "boolean", "defaultValue": true }] });
        assert_eq!(Format::detect(&keyless), None);
        let no_default = json!({ "flags": [{ "key": "a", "type": "boolean" }] });
        assert_eq!(Format::detect(&no_default), None);

        let flagship = json!({ "flags": { "a": {
            "enabled": true, "default_variation": "on", "variations": { "on": true }
        } } });
        assert_eq!(
            Format::detect(&flagship),
            Some(Format::Flagship {
                account_id: String::new()
            })
        );
        let goff = json!({ "flags": { "a": { "variations": { "on": true } } } });
        assert_eq!(Format::detect(&goff), Some(Format::GoFeatureFlag));
        // flagd and CLI fields come first.
        let flagd =
            json!({ "flags": { "a": { "variations": { "on": true }, "state": "ENABLED" } } });
        assert_eq!(Format::detect(&flagd), Some(Format::Flagd));
        let cli = json!({ "flags": { "a": { "default_variation": "x", "flagType": "string" } } });
        assert_eq!(Format::detect(&cli), Some(Format::OpenfeatureCli));
    }

    #[test]
    fn format_names() {
        for format in [
            Format::Lock,
            Format::Flagd,
            Format::OpenfeatureCli,
            Format::Ofrep,
            Format::Flipt {
                namespace: String::new(),
            },
            Format::GoFeatureFlag,
            Format::Flagship {
                account_id: String::new(),
            },
            Format::OpenfeatureApi,
        ] {
            let serialised = serde_json::to_value(&format).unwrap();
            assert_eq!(serialised, json!(format.as_str()));
            assert_eq!(format.to_string(), format.as_str());
            assert_eq!(
                serde_json::from_value::<Format>(serialised).unwrap(),
                format
            );
        }
        // The account is not recorded: the provenance keeps the format's name.
        let flagship = Format::Flagship {
            account_id: "acc".into(),
        };
        assert_eq!(serde_json::to_value(&flagship).unwrap(), json!("flagship"));
        let flipt = Format::Flipt {
            namespace: "checkout".into(),
        };
        assert_eq!(serde_json::to_value(&flipt).unwrap(), json!("flipt"));
        assert_eq!(Format::GoFeatureFlag.as_str(), "go-feature-flag");
        assert_eq!(Format::OpenfeatureApi.as_str(), "openfeature-api");
    }
}
