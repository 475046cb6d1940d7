//! The bodies of FlagKit's evaluation requests: the context as FlagKit's SDKs send it, without
//! private attributes, checked for personal data in strict PII mode, as canonical JSON (the
//! bytes signed are the bytes sent).

use serde_json::{Map, Value as J, json};

use super::pii;
use super::sign::canonical;
use crate::context::Context;
use crate::details::{ErrorCode, EvaluationError};
use crate::wire::context::{Dates, check, value_to_json};

/// Attributes FlagKit's context names at its top level (camelCase), with the spellings read.
const TOP_LEVEL: &[(&str, &str)] = &[
    ("email", "email"),
    ("name", "name"),
    ("anonymous", "anonymous"),
    ("country", "country"),
    ("ip", "ip"),
    ("userAgent", "userAgent"),
    ("user_agent", "userAgent"),
    ("userKey", "userKey"),
    ("user_key", "userKey"),
];

/// How the context is sent.
#[derive(Debug, Clone, Default)]
pub(crate) struct ContextRules {
    /// Top-level names or dotted paths never sent.
    pub private: Vec<String>,
    /// Refuse attributes that look like personal data (unless private).
    pub strict_pii: bool,
}

/// The context as FlagKit reads it: the targeting key as `userId`, the attributes FlagKit
/// names at the top level there (`email`, `name`, `anonymous`, `country`, `ip`, `userAgent`,
/// `userKey`), every other attribute under `custom`; date-times as ISO 8601; private
/// attributes left out.
///
/// # Errors
///
/// `INVALID_CONTEXT`: a number that is not finite, or (strict PII mode) an attribute that
/// looks like personal data, named, with the fix.
pub(crate) fn context(ctx: &Context, rules: &ContextRules) -> Result<J, EvaluationError> {
    check(ctx)?;
    if rules.strict_pii
        && let Some((path, kind)) = pii::find(ctx.attributes(), &rules.private)
    {
        return Err(EvaluationError::new(
            ErrorCode::InvalidContext,
            format!(
                "context attribute `{path}` looks like {}; strict PII mode does not send it: \
                 leave it out, or mark it private with `.private_attribute(\"{path}\")`",
                kind.as_str()
            ),
        ));
    }
    let mut out = Map::new();
    let mut custom = Map::new();
    if let Some(key) = ctx.targeting_key() {
        out.insert("userId".to_owned(), J::String(key.to_owned()));
    }
    for (name, value) in ctx.attributes() {
        if rules.private.iter().any(|p| p == name) {
            continue;
        }
        let mut value = value_to_json(value, Dates::Iso8601);
        remove_private(&mut value, name, &rules.private);
        match TOP_LEVEL.iter().find(|(spelt, _)| *spelt == name) {
            Some((_, field)) => {
                out.insert((*field).to_owned(), value);
            }
            None => {
                custom.insert(name.to_owned(), value);
            }
        }
    }
    if !custom.is_empty() {
        out.insert("custom".to_owned(), J::Object(custom));
    }
    Ok(J::Object(out))
}

/// Removes the dotted private paths under `prefix` from `value`.
fn remove_private(value: &mut J, prefix: &str, private: &[String]) {
    let J::Object(map) = value else { return };
    let keys: Vec<String> = map.keys().cloned().collect();
    for key in keys {
        let path = format!("{prefix}.{key}");
        if private.contains(&path) {
            map.remove(&key);
        } else if let Some(inner) = map.get_mut(&key) {
            remove_private(inner, &path, private);
        }
    }
}

/// The body of `POST /sdk/evaluate`: `{"context": …, "flagKey": key}`, canonical.
///
/// # Errors
///
/// See [`context`].
pub(crate) fn evaluate_body(
    key: &str,
    ctx: &Context,
    rules: &ContextRules,
) -> Result<String, EvaluationError> {
    Ok(canonical(
        &json!({"flagKey": key, "context": context(ctx, rules)?}),
    ))
}

/// The body of `POST /sdk/evaluate/all`: `{"context": …}`, canonical.
///
/// # Errors
///
/// See [`context`].
pub(crate) fn evaluate_all_body(
    ctx: &Context,
    rules: &ContextRules,
) -> Result<String, EvaluationError> {
    Ok(canonical(&json!({"context": context(ctx, rules)?})))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::value::Value;

    #[test]
    fn contexts_are_sent_as_flagkit_reads_them_without_private_attributes() {
        let mut profile = BTreeMap::new();
        profile.insert("email".to_owned(), Value::from("bob@example.com"));
        profile.insert("tier".to_owned(), Value::from("gold"));
        let ctx = Context::new("user-1")
            .with("email", "bob@example.com")
            .with("country", "FR")
            .with("plan", "premium")
            .with("profile", Value::Map(profile))
            .with("secret", "s");
        let rules = ContextRules {
            private: vec!["secret".into(), "profile.email".into()],
            strict_pii: false,
        };
        assert_eq!(
            context(&ctx, &rules).unwrap(),
            json!({"userId": "user-1", "email": "bob@example.com", "country": "FR",
                "custom": {"plan": "premium", "profile": {"tier": "gold"}}})
        );
        assert_eq!(
            evaluate_body("k", &Context::new("u"), &rules).unwrap(),
            r#"{"context":{"userId":"u"},"flagKey":"k"}"#
        );
    }

    #[test]
    fn strict_pii_refuses_personal_data_unless_private() {
        let ctx = Context::new("user-1").with("contact", "+33 1 23 45 67 89");
        let strict = ContextRules {
            private: Vec::new(),
            strict_pii: true,
        };
        let error = context(&ctx, &strict).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidContext);
        assert!(
            error
                .message
                .contains("`contact` looks like a phone number"),
            "{}",
            error.message
        );
        assert!(
            !error.message.contains("23 45"),
            "the value is not repeated"
        );
        let private = ContextRules {
            private: vec!["contact".into()],
            strict_pii: true,
        };
        assert_eq!(
            context(&ctx, &private).unwrap(),
            json!({"userId": "user-1"})
        );
        assert!(
            context(&ctx, &ContextRules::default()).is_ok(),
            "lenient by default"
        );
    }
}
