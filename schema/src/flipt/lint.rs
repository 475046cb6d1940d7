//! Flipt's rule grammar, as a lint: what in a flag loads and evaluates, but not as it seems to
//! say.
//!
//! Flipt's engine evaluates every flag its snapshot holds: a constraint value it cannot parse
//! makes the constraint false, an unknown constraint type makes its segment false, a rule
//! with `OR` and no segments never matches. None of that is an error here: each is a
//! [`Warning`], which the runtime logs when a configuration loads and `flags check` prints. A
//! flag whose rule object cannot be read at all (a field of the wrong JSON type), or that has
//! more segments in one rule than the engine evaluates, is a [`WarningKind::ParseError`]: it
//! answers `PARSE_ERROR` while the others serve.

use serde_json::Value;

use super::grammar::{
    ConstraintType, Flag, FlagKind, MatchType, Rollout, Segment, SegmentOperator, number_list,
    parse_datetime, parse_i32, string_list, unique_segments,
};
use crate::error::{Warning, WarningKind, shorten};
use crate::findings::Findings;
use crate::manifest::Manifest;
use crate::targeting::Dialect;

/// The most segments one rule or rollout may have: the runtime's engine keeps which ones
/// matched in a 64-bit mask.
pub const MAX_SEGMENTS: usize = 64;

/// The warnings of every flag of `manifest` written in Flipt's dialect, flag by flag in key
/// order.
///
/// ```
/// use flags_schema::{Dialect, Flag, FlagType, Manifest, Targeting};
/// let mut manifest = Manifest::new();
/// let mut flag = Flag::new(FlagType::Boolean, Some(serde_json::json!(false)));
/// flag.targeting = Some(Targeting::new(Dialect::Flipt, serde_json::json!({
///     "namespace": "default",
///     "flag": { "key": "beta", "type": "BOOLEAN_FLAG_TYPE", "enabled": false, "rollouts": [
///         { "segment": { "segmentOperator": "OR_SEGMENT_OPERATOR", "value": true, "segments": [
///             { "key": "adults", "matchType": "ALL_SEGMENT_MATCH_TYPE", "constraints": [
///                 { "type": "NUMBER_CONSTRAINT_COMPARISON_TYPE", "property": "age",
///                   "operator": "gte", "value": "18.5" } ] } ] } } ] }
/// })));
/// manifest.flags.insert("beta".to_owned(), flag);
/// let warnings = flags_schema::flipt::lint(&manifest);
/// assert_eq!(warnings[0].to_string(), "flag `beta`: rollouts[0]: segment `adults`: `gte` \
///     compares with `18.5`, which is not a 32-bit integer: the constraint is always false");
/// ```
pub fn lint(manifest: &Manifest) -> Vec<Warning> {
    let mut warnings = Vec::new();
    for (key, flag) in &manifest.flags {
        let Some(targeting) = &flag.targeting else {
            continue;
        };
        if targeting.dialect != Dialect::Flipt {
            continue;
        }
        let mut found = Vec::new();
        match rule_flag(&targeting.rule) {
            Ok(parsed) => lint_flag(&parsed, &mut found),
            Err(message) => found.push((WarningKind::ParseError, message)),
        }
        let mut findings = Findings::default();
        for (kind, message) in found {
            findings.add(kind, || message);
        }
        findings.push_to(&mut warnings, Some(key));
    }
    warnings
}

/// The flag of a Flipt rule (`{"namespace": ..., "flag": {...}}`), read by
/// [`Flag::parse`], with the segment limit the runtime's engine keeps to: `Err` is why the
/// flag answers `PARSE_ERROR`.
///
/// # Errors
///
/// The rule is not an object with a `flag` object, a field of the flag has the wrong JSON
/// type, or a rule or rollout has more than [`MAX_SEGMENTS`] segments.
pub fn rule_flag(rule: &Value) -> Result<Flag, String> {
    let flag = rule
        .get("flag")
        .filter(|f| f.is_object())
        .ok_or("the rule has no `flag` object")?;
    let parsed = Flag::parse(flag)?;
    let too_many = |segments: &[Segment], at: String| {
        let n = unique_segments(segments).len();
        if n > MAX_SEGMENTS {
            Err(format!(
                "{at} has {n} segments; this engine evaluates at most {MAX_SEGMENTS}"
            ))
        } else {
            Ok(())
        }
    };
    for (r, rule) in parsed.rules.iter().enumerate() {
        too_many(&rule.segments, format!("rules[{r}]"))?;
    }
    for (r, rollout) in parsed.rollouts.iter().enumerate() {
        if let Rollout::Segment { segments, .. } = rollout {
            too_many(segments, format!("rollouts[{r}]"))?;
        }
    }
    Ok(parsed)
}

fn lint_flag(flag: &Flag, out: &mut Vec<(WarningKind, String)>) {
    let suspicious = |out: &mut Vec<(WarningKind, String)>, message: String| {
        out.push((WarningKind::Suspicious, message));
    };
    match flag.kind {
        FlagKind::Boolean if !flag.rules.is_empty() => suspicious(
            out,
            "a boolean flag's `rules` are not evaluated (its `rollouts` are)".to_owned(),
        ),
        FlagKind::Variant if !flag.rollouts.is_empty() => suspicious(
            out,
            "a variant flag's `rollouts` are not evaluated (its `rules` are)".to_owned(),
        ),
        _ => {}
    }
    if flag.kind == FlagKind::Variant {
        for (r, rule) in flag.rules.iter().enumerate() {
            let at = format!("rules[{r}]");
            lint_segments(&at, rule.operator, &rule.segments, out);
            let total: f32 = rule
                .distributions
                .iter()
                .map(|d| d.rollout)
                .filter(|r| *r > 0.0)
                .sum();
            if total > 0.0 && (total - 100.0).abs() > 0.001 {
                suspicious(
                    out,
                    format!(
                        "{at}: its distributions add up to {total}%: each is scaled so that \
                         they add up to 100%"
                    ),
                );
            }
        }
    } else {
        for (r, rollout) in flag.rollouts.iter().enumerate() {
            let at = format!("rollouts[{r}]");
            match rollout {
                Rollout::Segment {
                    operator, segments, ..
                } => lint_segments(&at, *operator, segments, out),
                Rollout::Empty => suspicious(
                    out,
                    format!("{at} has neither `threshold` nor `segment`: it is skipped"),
                ),
                Rollout::Threshold { .. } => {}
            }
        }
    }
}

fn lint_segments(
    at: &str,
    operator: SegmentOperator,
    segments: &[Segment],
    out: &mut Vec<(WarningKind, String)>,
) {
    if segments.is_empty() && operator == SegmentOperator::Or {
        out.push((
            WarningKind::Suspicious,
            format!("{at} has no segments and the `OR` operator: it never matches"),
        ));
    }
    if unique_segments(segments).len() < segments.len() {
        out.push((
            WarningKind::Suspicious,
            format!("{at} names a segment twice: the last of the two is evaluated"),
        ));
    }
    for segment in segments {
        let at = format!("{at}: segment `{}`", shorten(&segment.key));
        for constraint in &segment.constraints {
            let op = constraint.operator.as_str();
            let value = constraint.value.as_str();
            let problem = match constraint.kind {
                ConstraintType::Unknown => Some(match segment.match_type {
                    MatchType::All => {
                        "a constraint of unknown type: the segment never matches".to_owned()
                    }
                    MatchType::Any => "a constraint of unknown type: the segment does not match \
                                       unless a constraint before it does"
                        .to_owned(),
                }),
                kind if !kind.operators().contains(&op) => Some(format!(
                    "unknown operator `{}`: the constraint is always false",
                    shorten(op)
                )),
                ConstraintType::Number => match op {
                    "isoneof" | "isnotoneof" if number_list(value).is_none() => Some(format!(
                        "`{op}` lists `{}`, which is not a JSON array of 32-bit integers: the \
                         constraint is always false",
                        shorten(value)
                    )),
                    "eq" | "neq" | "lt" | "lte" | "gt" | "gte" if parse_i32(value).is_none() => {
                        Some(format!(
                            "`{op}` compares with `{}`, which is not a 32-bit integer: the \
                             constraint is always false",
                            shorten(value)
                        ))
                    }
                    _ => None,
                },
                ConstraintType::String | ConstraintType::EntityId => match op {
                    "isoneof" | "isnotoneof" if string_list(value).is_none() => Some(format!(
                        "`{op}` lists `{}`, which Flipt cannot read (a JSON array of strings \
                         without escapes): `isoneof` is always false, `isnotoneof` true for \
                         any non-empty value",
                        shorten(value)
                    )),
                    _ => None,
                },
                ConstraintType::DateTime => match op {
                    "present" | "notpresent" => None,
                    _ if parse_datetime(value).is_none() => Some(format!(
                        "`{op}` compares with `{}`, which is not an RFC 3339 date and time: \
                         the constraint is always false",
                        shorten(value)
                    )),
                    _ => None,
                },
                ConstraintType::Boolean => None,
            };
            if let Some(problem) = problem {
                out.push((WarningKind::Suspicious, format!("{at}: {problem}")));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{Flag as ManifestFlag, FlagType, Targeting};

    fn warnings(flag: Value) -> Vec<String> {
        let mut manifest = Manifest::new();
        let mut entry = ManifestFlag::new(FlagType::String, None);
        entry.targeting = Some(Targeting::new(
            Dialect::Flipt,
            json!({ "namespace": "default", "flag": flag }),
        ));
        manifest.flags.insert("f".to_owned(), entry);
        lint(&manifest).iter().map(|w| w.message.clone()).collect()
    }

    fn segment(constraints: Value) -> Value {
        json!({ "key": "s", "matchType": "ALL_SEGMENT_MATCH_TYPE", "constraints": constraints })
    }

    #[test]
    fn a_clean_flag_has_no_warnings() {
        let flag = json!({ "key": "f", "enabled": true, "rules": [{
            "segmentOperator": "AND_SEGMENT_OPERATOR",
            "segments": [segment(json!([
                { "type": "NUMBER_CONSTRAINT_COMPARISON_TYPE", "property": "age", "operator": "gte", "value": "18" },
                { "type": "STRING_CONSTRAINT_COMPARISON_TYPE", "property": "plan", "operator": "isoneof", "value": "[\"pro\"]" },
                { "type": "DATETIME_CONSTRAINT_COMPARISON_TYPE", "property": "at", "operator": "lt", "value": "2030-01-01T00:00:00Z" }
            ]))],
            "distributions": [{ "variantKey": "a", "rollout": 60 }, { "variantKey": "b", "rollout": 40 }]
        }] });
        assert_eq!(warnings(flag), Vec::<String>::new());
    }

    #[test]
    fn what_evaluates_otherwise_than_it_seems() {
        let flag = json!({ "key": "f", "enabled": true, "rules": [
            { "segmentOperator": "OR_SEGMENT_OPERATOR", "segments": [], "distributions": [] },
            { "segmentOperator": "OR_SEGMENT_OPERATOR", "segments": [segment(json!([
                { "type": "STRING_CONSTRAINT_COMPARISON_TYPE", "property": "p", "operator": "isoneof", "value": "[\"a\\\"b\"]" },
                { "type": "SEMVER_CONSTRAINT_COMPARISON_TYPE", "property": "p", "operator": "eq", "value": "1" },
                { "type": "BOOLEAN_CONSTRAINT_COMPARISON_TYPE", "property": "p", "operator": "eq", "value": "" },
                { "type": "DATETIME_CONSTRAINT_COMPARISON_TYPE", "property": "p", "operator": "eq", "value": "2030-01-01" }
            ]))], "distributions": [{ "variantKey": "a", "rollout": 30 }] }
        ] });
        let found = warnings(flag);
        assert_eq!(found.len(), 6, "{found:#?}");
        assert!(found[0].contains("no segments and the `OR` operator"));
        assert!(found[1].contains("`isoneof` lists"));
        assert!(found[2].contains("unknown type: the segment never matches"));
        assert!(found[3].contains("unknown operator `eq`"));
        assert!(found[4].contains("not an RFC 3339"));
        assert_eq!(found[5], "and 1 more problems");
    }

    #[test]
    fn an_unreadable_flag_is_a_parse_error() {
        let mut manifest = Manifest::new();
        let mut entry = ManifestFlag::new(FlagType::Boolean, None);
        entry.targeting = Some(Targeting::new(
            Dialect::Flipt,
            json!({ "flag": { "enabled": "yes" } }),
        ));
        manifest.flags.insert("f".to_owned(), entry);
        let found = lint(&manifest);
        assert_eq!(found[0].kind, WarningKind::ParseError);
        assert_eq!(
            found[0].message,
            "enabled: expected a boolean, found a string"
        );
        let many: Vec<Value> = (0..65).map(|i| json!({ "key": format!("s{i}") })).collect();
        let error = rule_flag(&json!({ "flag": { "rules": [{ "segments": many }] } })).unwrap_err();
        assert_eq!(
            error,
            "rules[0] has 65 segments; this engine evaluates at most 64"
        );
    }
}
