//! Which flags changed between two configurations, by content.

use std::collections::{BTreeMap, BTreeSet};

use flags_schema::{Flag, Manifest};
use serde_json::Value;

/// Whether two configurations define the same flags (where they came from aside).
pub(crate) fn same_content(a: &Manifest, b: &Manifest) -> bool {
    a.flags == b.flags && a.evaluators == b.evaluators && a.metadata == b.metadata
}

/// The keys of the flags added, removed or modified from `old` to `new`, in key order. A flag
/// is modified when its definition differs (state, variants, default, targeting, metadata,
/// ...), when an evaluator its targeting uses (through `$ref`, transitively) differs, or when
/// the flag-set metadata merged into its own differs.
pub(crate) fn changed_keys(old: &Manifest, new: &Manifest) -> Vec<String> {
    let set_metadata_changed = old.metadata != new.metadata;
    let changed_evaluators: BTreeSet<&str> = old
        .evaluators
        .keys()
        .chain(new.evaluators.keys())
        .filter(|name| old.evaluators.get(*name) != new.evaluators.get(*name))
        .map(String::as_str)
        .collect();
    let keys: BTreeSet<&String> = old.flags.keys().chain(new.flags.keys()).collect();
    keys.into_iter()
        .filter(|key| match (old.flags.get(*key), new.flags.get(*key)) {
            (Some(a), Some(b)) => {
                a != b
                    || set_metadata_changed
                    || (!changed_evaluators.is_empty()
                        && uses_any(b, &new.evaluators, &changed_evaluators))
                    || (!changed_evaluators.is_empty()
                        && uses_any(a, &old.evaluators, &changed_evaluators))
            }
            _ => true,
        })
        .cloned()
        .collect()
}

/// [`changed_keys`], plus the flags whose reason for not being served (`broken`, see
/// `flags_schema::Loaded::broken`) changed, in key order.
pub(crate) fn changed_keys_broken(
    old: &Manifest,
    new: &Manifest,
    old_broken: &BTreeMap<String, String>,
    new_broken: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut keys = changed_keys(old, new);
    if old_broken != new_broken {
        keys.extend(
            old_broken
                .keys()
                .chain(new_broken.keys())
                .filter(|key| old_broken.get(*key) != new_broken.get(*key))
                .cloned(),
        );
        keys.sort();
        keys.dedup();
    }
    keys
}

/// Whether `flag`'s targeting refers to one of `names`, directly or through other evaluators.
/// Only flagd's dialect has evaluators (`$ref`); a rule of another dialect refers to none,
/// whatever its values hold.
fn uses_any(flag: &Flag, evaluators: &BTreeMap<String, Value>, names: &BTreeSet<&str>) -> bool {
    let Some(targeting) = flag.targeting.as_ref().filter(|t| t.dialect.is_flagd()) else {
        return false;
    };
    let mut seen = BTreeSet::new();
    let mut pending = Vec::new();
    refs(&targeting.rule, &mut pending);
    while let Some(name) = pending.pop() {
        if names.contains(name.as_str()) {
            return true;
        }
        if seen.insert(name.clone())
            && let Some(rule) = evaluators.get(&name)
        {
            refs(rule, &mut pending);
        }
    }
    false
}

/// Collects the evaluator names of every `{"$ref": name}` in `rule` (names trimmed, as the
/// engine reads them).
fn refs(rule: &Value, out: &mut Vec<String>) {
    match rule {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(name)) => out.push(name.trim().to_owned()),
                    _ => refs(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| refs(item, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(text: &str) -> Manifest {
        flags_schema::import_str(text, "test").unwrap()
    }

    const WITH_EVALUATORS: &str = r#"{"$evaluators": {"inner": {"==": [1, 1]}, "other": {"==": [2, 2]}},
      "flags": {
        "direct": {"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "a",
                   "targeting": {"if": [{"$ref": "inner"}, "b", null]}},
        "unrelated": {"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "a",
                   "targeting": {"if": [{"$ref": "other"}, "b", null]}},
        "plain": {"state": "ENABLED", "variants": {"a": 1}, "defaultVariant": "a"}}}"#;

    #[test]
    fn an_evaluator_change_modifies_the_flags_using_it() {
        let old = manifest(WITH_EVALUATORS);
        let new = manifest(&WITH_EVALUATORS.replace("[1, 1]", "[1, 2]"));
        assert!(!same_content(&old, &new));
        assert_eq!(changed_keys(&old, &new), ["direct"]);
        assert!(changed_keys(&old, &old).is_empty());
        assert!(same_content(&old, &old.clone()));

        // The same rule in another dialect refers to no evaluator.
        let as_flagship = |mut manifest: Manifest| {
            let flag = manifest.flags.get_mut("direct").unwrap();
            let rule = flag.targeting.take().unwrap().rule;
            flag.targeting = Some(flags_schema::Targeting::new(
                flags_schema::Dialect::Flagship,
                rule,
            ));
            manifest
        };
        assert!(changed_keys(&as_flagship(old), &as_flagship(new)).is_empty());
    }

    #[test]
    fn set_metadata_modifies_every_flag() {
        let old = manifest(
            r#"{"metadata": {"team": "a"}, "flags": {
                "x": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"},
                "y": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"}}}"#,
        );
        let new = manifest(
            r#"{"metadata": {"team": "b"}, "flags": {
                "x": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"},
                "y": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"}}}"#,
        );
        assert_eq!(changed_keys(&old, &new), ["x", "y"]);
    }
}
