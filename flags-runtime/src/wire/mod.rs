//! Remote evaluation: the wire protocols (OFREP, Cloudflare Flagship, Flipt's snapshots) as
//! pure codecs, and the cache of single-flag evaluations. Nothing here does I/O: the providers
//! send what these modules build and hand back what the server answered.

pub(crate) mod bulk;
pub(crate) mod cache;
pub(crate) mod context;
pub(crate) mod flagkit;
pub(crate) mod flagship;
pub(crate) mod flipt;
pub(crate) mod ofrep;

use std::collections::BTreeMap;

use crate::details::{FlagMetadata, MetadataValue};

pub(crate) use crate::provider::Resolution;
pub(crate) use crate::provider::resolution::decode;

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
    use crate::details::{ErrorCode, Reason};
    use crate::key::FlagKey;

    fn res(value: serde_json::Value) -> Resolution {
        Resolution {
            value: Some(value),
            variant: Some("on".into()),
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
