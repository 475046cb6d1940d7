//! Cloudflare Flagship's rule grammar, defined once: the shape of a flag's rules, of a
//! condition and of a rollout, the operators, and how attribute names are read.
//!
//! Two readers share it: the [lint](super::lint) that checks rules when definitions are read,
//! and the runtime's engine that compiles and evaluates them (`flags-runtime`,
//! `engine/flagship/`). Both read a rule as Flagship's data plane does: nothing in a rule is
//! an error when definitions load; what cannot be used evaluates to "no match", except a
//! reference to a variation that does not exist and a rollout percentage that is not a
//! number, which make the flag answer `PARSE_ERROR` when an evaluation reaches them.
//!
//! ```text
//! rule      = { "conditions": [condition, ...], "serve_variation": name,
//!               "rollout"?: { "percentage": number, "attribute"?: name } }
//! condition = { "attribute": name, "operator": operator, "value": any }
//!           | { "logical_operator": "AND" | "OR", "clauses": [condition, ...] }
//! ```

use serde_json::{Map, Value};

/// An attribute name is looked up as written first, then as a dotted path through nested
/// objects of at most this many segments (a longer path only finds an attribute named so).
pub const MAX_PATH_SEGMENTS: usize = 5;

/// The attribute a rollout buckets by when it names none (or not as a non-empty string).
pub const DEFAULT_ROLLOUT_ATTRIBUTE: &str = "targetingKey";

/// Declares [`Operator`] and its names from one list.
macro_rules! operators {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal => $kind:ident, )*) => {
        /// An operator of a Flagship condition.
        ///
        /// ```
        /// use flags_schema::flagship::grammar::{Operator, OperatorKind};
        /// assert_eq!(Operator::parse("ends_with"), Some(Operator::EndsWith));
        /// assert_eq!(Operator::parse("endsWith"), None);
        /// assert_eq!(Operator::NotIn.name(), "not_in");
        /// assert_eq!(Operator::GreaterThan.kind(), OperatorKind::Ordering);
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Operator {
            $( $(#[$doc])* $variant, )*
        }

        /// The names of the operators, in the order of [`Operator::ALL`].
        pub const OPERATORS: &[&str] = &[ $( $name, )* ];

        impl Operator {
            /// Every operator.
            pub const ALL: &[Operator] = &[ $( Operator::$variant, )* ];

            /// The operator's name in a definition.
            pub const fn name(self) -> &'static str {
                match self {
                    $( Operator::$variant => $name, )*
                }
            }

            /// The operator named `name` (exactly: names are case-sensitive).
            pub fn parse(name: &str) -> Option<Operator> {
                match name {
                    $( $name => Some(Operator::$variant), )*
                    _ => None,
                }
            }

            /// How the operator compares.
            pub const fn kind(self) -> OperatorKind {
                match self {
                    $( Operator::$variant => OperatorKind::$kind, )*
                }
            }
        }
    };
}

operators! {
    /// The attribute's text is the value's.
    Equals = "equals" => Text,
    /// The attribute's text is not the value's (also true for a `null` attribute).
    NotEquals = "not_equals" => Text,
    /// The attribute's text contains the value's.
    Contains = "contains" => Text,
    /// The attribute's text starts with the value's.
    StartsWith = "starts_with" => Text,
    /// The attribute's text ends with the value's.
    EndsWith = "ends_with" => Text,
    /// The attribute is greater (as numbers, or as instants when the value is an ISO 8601
    /// date-time).
    GreaterThan = "greater_than" => Ordering,
    /// The attribute is less.
    LessThan = "less_than" => Ordering,
    /// The attribute is greater or equal.
    GreaterThanOrEquals = "greater_than_or_equals" => Ordering,
    /// The attribute is less or equal.
    LessThanOrEquals = "less_than_or_equals" => Ordering,
    /// The attribute's text is one of the value's elements (an array).
    In = "in" => Membership,
    /// The attribute's text is none of the value's elements (also true for a `null`
    /// attribute).
    NotIn = "not_in" => Membership,
    /// The attribute (an array) has an element whose text is the value's.
    Has = "has" => Has,
    /// The attribute (an array) has no element whose text is the value's.
    NotHas = "not_has" => Has,
}

/// How an [`Operator`] compares the attribute with the condition's value. Every comparison
/// of text is of JavaScript's `String(x)` of both sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OperatorKind {
    /// Text of a scalar attribute with text of a scalar or `null` value.
    Text,
    /// Numbers (JavaScript's `Number(x)`), or epoch milliseconds when the value is an ISO 8601
    /// date-time and the attribute a date string.
    Ordering,
    /// The attribute's text among the texts of the value's elements (`null` ones skipped).
    Membership,
    /// The value's text among the texts of the attribute's scalar elements.
    Has,
}

/// How a group combines its clauses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Logical {
    /// Every clause matches (an empty group matches).
    And,
    /// Some clause matches (an empty group does not).
    Or,
}

impl Logical {
    /// `AND` or `OR` (exactly).
    pub fn parse(name: &str) -> Option<Logical> {
        match name {
            "AND" => Some(Logical::And),
            "OR" => Some(Logical::Or),
            _ => None,
        }
    }
}

/// A flag's rules as the engine receives them: the rule of a [`Targeting`](crate::Targeting)
/// in [`Dialect::Flagship`](crate::Dialect::Flagship).
///
/// ```
/// use serde_json::json;
/// use flags_schema::flagship::grammar::FlagRules;
/// let targeting = json!({ "account_id": "acct", "rules": [{ "conditions": [], "serve_variation": "on" }] });
/// let rules = FlagRules::read(&targeting).unwrap();
/// assert_eq!((rules.account_id, rules.key, rules.rules.len()), ("acct", None, 1));
/// assert!(FlagRules::read(&json!({ "rules": [] })).is_err());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct FlagRules<'a> {
    /// The account whose id seeds the rollout hash (`account_id`).
    pub account_id: &'a str,
    /// The flag's own `key` field when the definitions gave one (it seeds the rollout hash in
    /// place of the key the flag is listed under).
    pub key: Option<&'a str>,
    /// The rules, in order; empty when `rules` is absent or not an array (the flag is static).
    pub rules: &'a [Value],
}

impl<'a> FlagRules<'a> {
    /// Reads `{"account_id": "...", "key"?: "...", "rules": [...]}`.
    ///
    /// # Errors
    ///
    /// A sentence when the value is not an object or has no string `account_id` (the flag
    /// cannot be evaluated: it answers `PARSE_ERROR`).
    pub fn read(targeting: &'a Value) -> Result<FlagRules<'a>, &'static str> {
        let Value::Object(fields) = targeting else {
            return Err("the rules of a Flagship flag are an object with `account_id` and `rules`");
        };
        let Some(Value::String(account_id)) = fields.get("account_id") else {
            return Err("the rules of a Flagship flag need the `account_id` that seeds rollouts");
        };
        let key = match fields.get("key") {
            Some(Value::String(key)) => Some(key.as_str()),
            _ => None,
        };
        let rules = match fields.get("rules") {
            Some(Value::Array(rules)) => rules.as_slice(),
            _ => &[],
        };
        Ok(FlagRules {
            account_id,
            key,
            rules,
        })
    }
}

/// One rule, read leniently as the data plane reads it.
#[derive(Debug, Clone, Copy)]
pub struct Rule<'a> {
    /// The conditions, all of which must match; empty (the rule matches) when absent or not an
    /// array.
    pub conditions: &'a [Value],
    /// `conditions` is present but not an array.
    pub conditions_malformed: bool,
    /// The `serve_variation` field, if present.
    pub serve_variation: Option<&'a Value>,
    /// The rollout, when `rollout` is an object.
    pub rollout: Option<Rollout<'a>>,
    /// `rollout` is present but not an object (it is ignored).
    pub rollout_malformed: bool,
}

impl<'a> Rule<'a> {
    /// The rule `value`; `None` when it is not an object (the data plane skips it).
    pub fn read(value: &'a Value) -> Option<Rule<'a>> {
        let fields = value.as_object()?;
        let (conditions, conditions_malformed) = match fields.get("conditions") {
            Some(Value::Array(items)) => (items.as_slice(), false),
            None => (&[][..], false),
            Some(_) => (&[][..], true),
        };
        let (rollout, rollout_malformed) = match fields.get("rollout") {
            Some(Value::Object(rollout)) => (Some(Rollout::read(rollout)), false),
            None => (None, false),
            Some(_) => (None, true),
        };
        Some(Rule {
            conditions,
            conditions_malformed,
            serve_variation: fields.get("serve_variation"),
            rollout,
            rollout_malformed,
        })
    }
}

/// The name of the variation a `serve_variation` (or `default_variation`) field names: a
/// string as written, an absent field as `""`, an integer as its digits; `None` for anything
/// else (`null`, booleans, fractions, arrays, objects), which names no variation.
///
/// ```
/// use std::borrow::Cow;
/// use serde_json::json;
/// use flags_schema::flagship::grammar::variation_name;
/// assert_eq!(variation_name(Some(&json!("on"))), Some(Cow::Borrowed("on")));
/// assert_eq!(variation_name(None), Some(Cow::Borrowed("")));
/// assert_eq!(variation_name(Some(&json!(2))), Some(Cow::Owned("2".to_owned())));
/// assert_eq!(variation_name(Some(&json!(true))), None);
/// ```
pub fn variation_name(value: Option<&Value>) -> Option<std::borrow::Cow<'_, str>> {
    use std::borrow::Cow;
    match value {
        None => Some(Cow::Borrowed("")),
        Some(Value::String(name)) => Some(Cow::Borrowed(name)),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(Cow::Owned(n.to_string())),
        Some(_) => None,
    }
}

/// A rule's rollout.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rollout<'a> {
    /// The share of matching contexts served, in percent.
    pub percentage: Percentage,
    /// The attribute bucketed by ([`DEFAULT_ROLLOUT_ATTRIBUTE`] unless a non-empty string).
    pub attribute: &'a str,
    /// `attribute` is present but not a non-empty string.
    pub attribute_malformed: bool,
}

/// A rollout's `percentage`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Percentage {
    /// A number (absent: 100; `true` / `false`: 1 / 0). Below 100 the rule splits; from 100
    /// nothing is hashed.
    Number(f64),
    /// Anything else (`null`, a string, an array, an object): the data plane cannot read it,
    /// and the flag answers `PARSE_ERROR` when an evaluation reaches the rule.
    Invalid,
}

impl<'a> Rollout<'a> {
    fn read(fields: &'a Map<String, Value>) -> Rollout<'a> {
        let percentage = match fields.get("percentage") {
            None => Percentage::Number(100.0),
            Some(Value::Number(n)) => n.as_f64().map_or(Percentage::Invalid, Percentage::Number),
            Some(Value::Bool(b)) => Percentage::Number(f64::from(u8::from(*b))),
            Some(_) => Percentage::Invalid,
        };
        let (attribute, attribute_malformed) = match fields.get("attribute") {
            Some(Value::String(name)) if !name.is_empty() => (name.as_str(), false),
            None | Some(Value::Null) => (DEFAULT_ROLLOUT_ATTRIBUTE, false),
            Some(_) => (DEFAULT_ROLLOUT_ATTRIBUTE, true),
        };
        Rollout {
            percentage,
            attribute,
            attribute_malformed,
        }
    }

    /// Whether the rollout splits (its percentage is a number below 100).
    pub fn splits(&self) -> bool {
        matches!(self.percentage, Percentage::Number(p) if p < 100.0)
    }
}

/// A condition, read leniently: what cannot be used never matches.
#[derive(Debug, Clone, Copy)]
pub enum Condition<'a> {
    /// `{"logical_operator": ..., "clauses": [...]}` (an object with a `logical_operator`
    /// field is a group, whatever else it has).
    Group {
        /// `None` when it is not `AND` or `OR` (the group never matches).
        logical: Option<Logical>,
        /// `None` when `clauses` is absent or not an array (the group never matches).
        clauses: Option<&'a [Value]>,
    },
    /// `{"attribute": ..., "operator": ..., "value": ...}`.
    Test {
        /// `None` when absent or not a string (the condition never matches).
        attribute: Option<&'a str>,
        /// `None` when absent or not a string (the condition never matches).
        operator: Option<&'a str>,
        /// `None` when absent, which compares as `null`.
        value: Option<&'a Value>,
    },
    /// Not an object: never matches.
    NotObject,
}

impl<'a> Condition<'a> {
    /// Reads a condition.
    ///
    /// ```
    /// use serde_json::json;
    /// use flags_schema::flagship::grammar::{Condition, Logical};
    /// let group = json!({ "logical_operator": "OR", "clauses": [] });
    /// assert!(matches!(Condition::read(&group), Condition::Group { logical: Some(Logical::Or), clauses: Some(c) } if c.is_empty()));
    /// assert!(matches!(Condition::read(&json!(3)), Condition::NotObject));
    /// ```
    pub fn read(value: &'a Value) -> Condition<'a> {
        let Value::Object(fields) = value else {
            return Condition::NotObject;
        };
        if let Some(logical) = fields.get("logical_operator") {
            return Condition::Group {
                logical: logical.as_str().and_then(Logical::parse),
                clauses: fields
                    .get("clauses")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice),
            };
        }
        Condition::Test {
            attribute: fields.get("attribute").and_then(Value::as_str),
            operator: fields.get("operator").and_then(Value::as_str),
            value: fields.get("value"),
        }
    }
}

/// The segments of an attribute name read as a dotted path: `None` when it has no dot (only
/// the name itself is looked up) or more than [`MAX_PATH_SEGMENTS`] segments (the path is not
/// followed).
///
/// ```
/// use flags_schema::flagship::grammar::path_segments;
/// assert_eq!(path_segments("user.plan").unwrap().collect::<Vec<_>>(), ["user", "plan"]);
/// assert!(path_segments("plan").is_none());
/// assert!(path_segments("a.b.c.d.e.f").is_none());
/// ```
pub fn path_segments(attribute: &str) -> Option<std::str::Split<'_, char>> {
    if !attribute.contains('.') || attribute.split('.').count() > MAX_PATH_SEGMENTS {
        return None;
    }
    Some(attribute.split('.'))
}

/// Whether `text` is an ISO 8601 date-time as the data plane recognises a date target of an
/// ordering operator: `YYYY-MM-DDTHH:MM:SS`, optional fraction, `Z` or `±HH:MM` (ASCII
/// digits; ranges are checked when the text is parsed).
///
/// ```
/// use flags_schema::flagship::grammar::is_date_time_target;
/// assert!(is_date_time_target("2024-06-01T12:00:00.5+02:00"));
/// assert!(!is_date_time_target("2024-06-01"));
/// assert!(!is_date_time_target("2024-06-01T12:00:00"));
/// ```
pub fn is_date_time_target(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range)
            .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
    };
    if b.len() < 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
        || b[10] != b'T'
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    let mut i = 19;
    if b[i] == b'.' {
        let start = i + 1;
        i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            i + 6 == b.len() && digits(i + 1..i + 3) && b[i + 3] == b':' && digits(i + 4..i + 6)
        }
        _ => false,
    }
}

/// Whether a rule value is a JavaScript primitive other than `undefined` (a string, number,
/// boolean or `null`): what the text operators and `has` compare with.
pub fn is_primitive(value: &Value) -> bool {
    !matches!(value, Value::Array(_) | Value::Object(_))
}

/// Whether a rule value is a scalar (a string, number or boolean): what the ordering
/// operators compare with.
pub fn is_scalar(value: &Value) -> bool {
    matches!(value, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names_round_trip() {
        assert_eq!(OPERATORS.len(), 13);
        for op in Operator::ALL {
            assert_eq!(Operator::parse(op.name()), Some(*op));
        }
        assert_eq!(Operator::parse("EQUALS"), None);
    }

    #[test]
    fn date_time_targets() {
        for ok in [
            "2024-01-01T00:00:00Z",
            "2024-01-01T00:00:00.123456789Z",
            "9999-99-99T99:99:99-99:99",
        ] {
            assert!(is_date_time_target(ok), "{ok}");
        }
        for no in [
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00.Z",
            "2024-01-01 00:00:00Z",
            "2024-01-01T00:00:00+0100",
            "2024-01-01T00:00:00Z ",
            "24-01-01T00:00:00Z",
            "2024-01-01t00:00:00Z",
        ] {
            assert!(!is_date_time_target(no), "{no}");
        }
    }

    #[test]
    fn rollouts_read_leniently() {
        let rule = serde_json::json!({ "rollout": { "percentage": "50", "attribute": 3 } });
        let rollout = Rule::read(&rule).unwrap().rollout.unwrap();
        assert_eq!(rollout.percentage, Percentage::Invalid);
        assert_eq!(rollout.attribute, DEFAULT_ROLLOUT_ATTRIBUTE);
        assert!(rollout.attribute_malformed);
        let rule = serde_json::json!({ "rollout": {} });
        let rollout = Rule::read(&rule).unwrap().rollout.unwrap();
        assert_eq!(rollout.percentage, Percentage::Number(100.0));
        assert!(!rollout.splits());
    }
}
