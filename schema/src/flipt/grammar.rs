//! Flipt's rule grammar, defined once: the shape of a flag as Flipt's namespace snapshot holds
//! it (rules, rollouts, segments, constraints), the names of its enums, and how Flipt's engine
//! parses a constraint's value and a context value (32-bit integers, JSON lists, booleans,
//! RFC 3339 datetimes).
//!
//! Two readers share it: the [lint](super::lint) that checks flags when definitions are read,
//! and the runtime's engine that compiles and evaluates them (`flags-runtime`,
//! `engine/flipt/`). What one accepts, the other evaluates.
//!
//! [`Flag::parse`] reads a flag leniently where Flipt's protobuf JSON has zero values (an
//! absent `enabled` is `false`, an absent `matchType` is `ALL`, an absent `value` is `""`)
//! and strictly where a field has the wrong JSON type, which it names.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// A Flipt flag as the namespace snapshot holds it, read by [`Flag::parse`].
///
/// ```
/// use flags_schema::flipt::grammar::{Flag, FlagKind};
/// let flag = Flag::parse(&serde_json::json!({
///     "key": "theme", "type": "VARIANT_FLAG_TYPE", "enabled": true,
///     "defaultVariant": { "key": "light" },
///     "rules": [{ "segmentOperator": "OR_SEGMENT_OPERATOR",
///                 "segments": [{ "key": "staff", "matchType": "ALL_SEGMENT_MATCH_TYPE", "constraints": [] }],
///                 "distributions": [{ "variantKey": "dark", "rollout": 100 }] }]
/// })).unwrap();
/// assert_eq!(flag.kind, FlagKind::Variant);
/// assert_eq!(flag.default_variant.unwrap().key, "light");
/// assert_eq!(flag.rules[0].segments[0].key, "staff");
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Flag {
    /// `type`: `BOOLEAN_FLAG_TYPE`, or anything else (absent too) a variant flag, as Flipt's
    /// engine reads it.
    pub kind: FlagKind,
    /// `enabled` (absent: `false`). A boolean flag serves it when no rollout matches.
    pub enabled: bool,
    /// `defaultVariant`.
    pub default_variant: Option<Variant>,
    /// `rules`, in their order (Flipt's engine ranks them by position). Variant flags only.
    pub rules: Vec<Rule>,
    /// `rollouts`, in their order. Boolean flags only.
    pub rollouts: Vec<Rollout>,
}

/// A flag's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FlagKind {
    /// `BOOLEAN_FLAG_TYPE`: rollouts decide `true` or `false`.
    Boolean,
    /// `VARIANT_FLAG_TYPE` (and any other name): rules pick a variant key.
    Variant,
}

/// A variant: the default variant, or a distribution's.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Variant {
    /// Its key.
    pub key: String,
    /// Its attachment, a JSON document as text (`None`: absent).
    pub attachment: Option<String>,
}

/// A rule of a variant flag.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Rule {
    /// How the rule's segments combine.
    pub operator: SegmentOperator,
    /// Its segments, as written (Flipt's engine keeps the last of two with one key).
    pub segments: Vec<Segment>,
    /// Its distributions, as written.
    pub distributions: Vec<Distribution>,
}

/// A distribution: a share of a rule's entities that get a variant.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Distribution {
    /// The variant.
    pub variant: Variant,
    /// `rollout`, a percentage as a 32-bit float (only positive ones count).
    pub rollout: f32,
}

/// A rollout of a boolean flag.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Rollout {
    /// `threshold`: `crc32(entity + flag key) % 100 < percentage` serves `value`.
    Threshold {
        /// `percentage`, as a 32-bit float.
        percentage: f32,
        /// `value`.
        value: bool,
    },
    /// `segment`: the segments, combined by `operator`, serve `value`.
    Segment {
        /// `segmentOperator` (absent: OR).
        operator: SegmentOperator,
        /// `value`.
        value: bool,
        /// `segments`.
        segments: Vec<Segment>,
    },
    /// Neither: Flipt's engine skips it.
    Empty,
}

/// How the segments of a rule or rollout combine: `OR_SEGMENT_OPERATOR` (and any other name,
/// as Flipt's engine reads it) or `AND_SEGMENT_OPERATOR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SegmentOperator {
    /// At least one segment matches (a rule without segments never matches).
    Or,
    /// Every segment matches (a rule without segments always does).
    And,
}

/// A segment: constraints on the context and the entity.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Segment {
    /// `key`.
    pub key: String,
    /// `matchType`.
    pub match_type: MatchType,
    /// `constraints`, in their order.
    pub constraints: Vec<Constraint>,
}

/// How a segment's constraints combine: `ALL_SEGMENT_MATCH_TYPE` (also when absent, the
/// protobuf zero value) or `ANY_SEGMENT_MATCH_TYPE` (also any other name, as Flipt's engine
/// reads it). Either matches when there are no constraints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MatchType {
    /// Every constraint matches.
    All,
    /// At least one constraint matches.
    Any,
}

/// A constraint: a property of the context (or the entity id) compared with a value.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Constraint {
    /// `type`.
    pub kind: ConstraintType,
    /// `property` (absent: `""`).
    pub property: String,
    /// `operator`, as written (an unknown one is always false).
    pub operator: String,
    /// `value` (absent: `""`).
    pub value: String,
}

/// A constraint's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConstraintType {
    /// `STRING_CONSTRAINT_COMPARISON_TYPE`.
    String,
    /// `NUMBER_CONSTRAINT_COMPARISON_TYPE`: 32-bit integers.
    Number,
    /// `BOOLEAN_CONSTRAINT_COMPARISON_TYPE`.
    Boolean,
    /// `DATETIME_CONSTRAINT_COMPARISON_TYPE`: RFC 3339, compared in whole seconds.
    DateTime,
    /// `ENTITY_ID_CONSTRAINT_COMPARISON_TYPE`: the string operators on the entity id.
    EntityId,
    /// Any other name: the segment holding it does not match once it is reached.
    Unknown,
}

impl ConstraintType {
    /// The type named `name` (an unknown name is [`ConstraintType::Unknown`]).
    ///
    /// ```
    /// use flags_schema::flipt::grammar::ConstraintType;
    /// assert_eq!(ConstraintType::parse("NUMBER_CONSTRAINT_COMPARISON_TYPE"), ConstraintType::Number);
    /// assert_eq!(ConstraintType::parse("NUMBER_COMPARISON_TYPE"), ConstraintType::Unknown);
    /// ```
    pub fn parse(name: &str) -> ConstraintType {
        match name {
            "STRING_CONSTRAINT_COMPARISON_TYPE" => ConstraintType::String,
            "NUMBER_CONSTRAINT_COMPARISON_TYPE" => ConstraintType::Number,
            "BOOLEAN_CONSTRAINT_COMPARISON_TYPE" => ConstraintType::Boolean,
            "DATETIME_CONSTRAINT_COMPARISON_TYPE" => ConstraintType::DateTime,
            "ENTITY_ID_CONSTRAINT_COMPARISON_TYPE" => ConstraintType::EntityId,
            _ => ConstraintType::Unknown,
        }
    }

    /// The operators of this type (none for [`ConstraintType::Unknown`]).
    pub fn operators(self) -> &'static [&'static str] {
        match self {
            ConstraintType::String | ConstraintType::EntityId => STRING_OPERATORS,
            ConstraintType::Number => NUMBER_OPERATORS,
            ConstraintType::Boolean => BOOLEAN_OPERATORS,
            ConstraintType::DateTime => DATETIME_OPERATORS,
            ConstraintType::Unknown => &[],
        }
    }
}

/// The operators of string and entity-id constraints.
pub const STRING_OPERATORS: &[&str] = &[
    "eq",
    "neq",
    "empty",
    "notempty",
    "prefix",
    "suffix",
    "contains",
    "notcontains",
    "isoneof",
    "isnotoneof",
];
/// The operators of number constraints.
pub const NUMBER_OPERATORS: &[&str] = &[
    "eq",
    "neq",
    "lt",
    "lte",
    "gt",
    "gte",
    "present",
    "notpresent",
    "isoneof",
    "isnotoneof",
];
/// The operators of boolean constraints.
pub const BOOLEAN_OPERATORS: &[&str] = &["true", "false", "present", "notpresent"];
/// The operators of datetime constraints.
pub const DATETIME_OPERATORS: &[&str] = &[
    "eq",
    "neq",
    "lt",
    "lte",
    "gt",
    "gte",
    "present",
    "notpresent",
];

/// A 32-bit integer as Flipt's engine parses one: an optional `+` or `-`, then ASCII digits
/// (leading zeros allowed); no spaces, no decimals, no exponent, nothing out of range.
///
/// ```
/// use flags_schema::flipt::grammar::parse_i32;
/// assert_eq!(parse_i32("+5"), Some(5));
/// assert_eq!(parse_i32("007"), Some(7));
/// assert_eq!(parse_i32(" 5"), None);
/// assert_eq!(parse_i32("5.0"), None);
/// assert_eq!(parse_i32("2147483648"), None);
/// ```
#[inline]
pub fn parse_i32(text: &str) -> Option<i32> {
    text.parse().ok()
}

/// A boolean as Flipt's engine parses one: exactly `true` or `false`.
#[inline]
pub fn parse_bool(text: &str) -> Option<bool> {
    text.parse().ok()
}

/// The list of a number `isoneof` / `isnotoneof`: a JSON array of 32-bit integers, or `None`
/// (then both operators are false).
///
/// ```
/// use flags_schema::flipt::grammar::number_list;
/// assert_eq!(number_list("[1, 2]"), Some(vec![1, 2]));
/// assert_eq!(number_list("[1.0]"), None);
/// assert_eq!(number_list("1"), None);
/// ```
pub fn number_list(text: &str) -> Option<Vec<i32>> {
    serde_json::from_str(text).ok()
}

/// The list of a string `isoneof` / `isnotoneof`: a JSON array of strings, or `None` (then
/// `isoneof` is false and `isnotoneof` true). As in Flipt's engine, which borrows the strings
/// from the text, a string holding any escape (`\"`, `\u0062`, ...) makes the whole list
/// unreadable.
///
/// ```
/// use flags_schema::flipt::grammar::string_list;
/// assert_eq!(string_list(r#"["a", "b"]"#), Some(vec!["a".to_owned(), "b".to_owned()]));
/// assert_eq!(string_list(r#"["a\u0062"]"#), None);
/// assert_eq!(string_list(r#"["a", 1]"#), None);
/// ```
pub fn string_list(text: &str) -> Option<Vec<String>> {
    let borrowed: Vec<&str> = serde_json::from_str(text).ok()?;
    Some(borrowed.into_iter().map(str::to_owned).collect())
}

/// An RFC 3339 date and time as Flipt's engine reads it, in whole seconds since the Unix epoch
/// (the fraction dropped), or `None`.
///
/// Accepted: `YYYY-MM-DD`, then `T`, `t` or a space, `hh:mm:ss`, an optional fraction (`.` and
/// at least one digit), then `Z`, `z` or `+hh:mm` / `-hh:mm` (under 24 hours). A second of
/// `60` (a leap second, at any minute) reads as `59`. Refused: a date alone, no zone, `+0100`,
/// a day the month does not have, spaces around.
///
/// ```
/// use flags_schema::flipt::grammar::parse_datetime;
/// assert_eq!(parse_datetime("1970-01-01T00:01:00Z"), Some(60));
/// assert_eq!(parse_datetime("1970-01-01 01:01:00.9+01:00"), Some(60));
/// assert_eq!(parse_datetime("1969-12-31t23:59:59.5z"), Some(-1));
/// assert_eq!(parse_datetime("1970-01-01"), None);
/// assert_eq!(parse_datetime("1970-01-01T00:00:00+0100"), None);
/// ```
pub fn parse_datetime(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let digits = |from: usize, n: usize| -> Option<i64> {
        let part = b.get(from..from + n)?;
        part.iter().try_fold(0i64, |acc, d| {
            d.is_ascii_digit().then(|| acc * 10 + i64::from(d - b'0'))
        })
    };
    let year = digits(0, 4)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let month = digits(5, 2)?;
    let day = digits(8, 2)?;
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let hour = digits(11, 2)?;
    if b.get(13) != Some(&b':') || b.get(16) != Some(&b':') {
        return None;
    }
    let minute = digits(14, 2)?;
    let second = digits(17, 2)?;
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut at = 19;
    if b.get(at) == Some(&b'.') {
        let fraction = b[at + 1..]
            .iter()
            .take_while(|d| d.is_ascii_digit())
            .count();
        if fraction == 0 {
            return None;
        }
        at += 1 + fraction;
    }
    let offset = match b.get(at)? {
        b'Z' | b'z' => {
            at += 1;
            0
        }
        sign @ (b'+' | b'-') => {
            let hours = digits(at + 1, 2)?;
            if b.get(at + 3) != Some(&b':') {
                return None;
            }
            let minutes = digits(at + 4, 2)?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            at += 6;
            let offset = hours * 3600 + minutes * 60;
            if *sign == b'-' { -offset } else { offset }
        }
        _ => return None,
    };
    if at != b.len() {
        return None;
    }
    let second = second.min(59);
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

/// The days of `month` (1-12) in `year` (proleptic Gregorian).
fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The `(year, month, day)` of a count of days since 1970-01-01: the inverse of
/// [`days_from_civil`].
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl Flag {
    /// Reads a flag object of Flipt's namespace snapshot. `Err` names the field of the wrong
    /// JSON type (`rules[0].segments[1].constraints[0].value: expected a string, found 7`).
    ///
    /// # Errors
    ///
    /// A field of the wrong JSON type, a default variant or distribution without a string
    /// `key` / `variantKey`, a distribution without a number `rollout`, a threshold without
    /// its `percentage` or `value`, a segment rollout without its `value`.
    pub fn parse(flag: &Value) -> Result<Flag, String> {
        let fields = object(flag, "the flag")?;
        let kind = match opt_str(fields, "type", "type")? {
            Some("BOOLEAN_FLAG_TYPE") => FlagKind::Boolean,
            _ => FlagKind::Variant,
        };
        let enabled = opt_bool(fields, "enabled", "enabled")?.unwrap_or(false);
        let default_variant = match fields.get("defaultVariant") {
            None | Some(Value::Null) => None,
            Some(variant) => Some(parse_variant(
                variant,
                "defaultVariant",
                "key",
                "attachment",
            )?),
        };
        let mut rules = Vec::new();
        for (r, rule) in array(fields, "rules", "rules")?.iter().enumerate() {
            let at = format!("rules[{r}]");
            let fields = object(rule, &at)?;
            let mut distributions = Vec::new();
            for (d, distribution) in array(fields, "distributions", &at)?.iter().enumerate() {
                let at = format!("{at}.distributions[{d}]");
                let variant = parse_variant(distribution, &at, "variantKey", "variantAttachment")?;
                let fields = object(distribution, &at)?;
                let rollout = float(fields.get("rollout"), &format!("{at}.rollout"))?;
                distributions.push(Distribution { variant, rollout });
            }
            rules.push(Rule {
                operator: segment_operator(fields, &at)?,
                segments: segments(fields, &at)?,
                distributions,
            });
        }
        let mut rollouts = Vec::new();
        for (r, rollout) in array(fields, "rollouts", "rollouts")?.iter().enumerate() {
            let at = format!("rollouts[{r}]");
            let fields = object(rollout, &at)?;
            let threshold = fields.get("threshold").filter(|v| !v.is_null());
            let segment = fields.get("segment").filter(|v| !v.is_null());
            // As Flipt's engine: a threshold wins over a segment; `type` is not read.
            rollouts.push(match (threshold, segment) {
                (Some(threshold), _) => {
                    let at = format!("{at}.threshold");
                    let fields = object(threshold, &at)?;
                    Rollout::Threshold {
                        percentage: float(fields.get("percentage"), &format!("{at}.percentage"))?,
                        value: required_bool(fields, "value", &at)?,
                    }
                }
                (None, Some(segment)) => {
                    let at = format!("{at}.segment");
                    let fields = object(segment, &at)?;
                    Rollout::Segment {
                        operator: segment_operator(fields, &at)?,
                        value: required_bool(fields, "value", &at)?,
                        segments: segments(fields, &at)?,
                    }
                }
                (None, None) => Rollout::Empty,
            });
        }
        Ok(Flag {
            kind,
            enabled,
            default_variant,
            rules,
            rollouts,
        })
    }
}

/// The segments of a rule or segment rollout as Flipt's engine keeps them, keyed by segment
/// key (of two with one key, the last wins), in key order.
///
/// ```
/// use flags_schema::flipt::grammar::{Segment, unique_segments, Flag};
/// let flag = Flag::parse(&serde_json::json!({ "rules": [{ "distributions": [], "segments": [
///     { "key": "b", "constraints": [] },
///     { "key": "a", "constraints": [] },
///     { "key": "b", "matchType": "ANY_SEGMENT_MATCH_TYPE", "constraints": [] }
/// ] }] })).unwrap();
/// let unique: Vec<&Segment> = unique_segments(&flag.rules[0].segments);
/// assert_eq!(unique.iter().map(|s| s.key.as_str()).collect::<Vec<_>>(), ["a", "b"]);
/// assert_eq!(unique[1].match_type, flags_schema::flipt::grammar::MatchType::Any);
/// ```
pub fn unique_segments(segments: &[Segment]) -> Vec<&Segment> {
    let mut by_key: BTreeMap<&str, &Segment> = BTreeMap::new();
    for segment in segments {
        by_key.insert(&segment.key, segment);
    }
    by_key.into_values().collect()
}

fn segments(fields: &Map<String, Value>, at: &str) -> Result<Vec<Segment>, String> {
    let mut out = Vec::new();
    for (s, segment) in array(fields, "segments", at)?.iter().enumerate() {
        let at = format!("{at}.segments[{s}]");
        let fields = object(segment, &at)?;
        let key = opt_str(fields, "key", &at)?
            .ok_or_else(|| format!("{at}.key: expected a string, found none"))?
            .to_owned();
        let match_type = match opt_str(fields, "matchType", &at)? {
            None | Some("ALL_SEGMENT_MATCH_TYPE") => MatchType::All,
            Some(_) => MatchType::Any,
        };
        let mut constraints = Vec::new();
        for (c, constraint) in array(fields, "constraints", &at)?.iter().enumerate() {
            let at = format!("{at}.constraints[{c}]");
            let fields = object(constraint, &at)?;
            constraints.push(Constraint {
                kind: ConstraintType::parse(opt_str(fields, "type", &at)?.unwrap_or("")),
                property: opt_str(fields, "property", &at)?.unwrap_or("").to_owned(),
                operator: opt_str(fields, "operator", &at)?.unwrap_or("").to_owned(),
                value: opt_str(fields, "value", &at)?.unwrap_or("").to_owned(),
            });
        }
        out.push(Segment {
            key,
            match_type,
            constraints,
        });
    }
    Ok(out)
}

fn segment_operator(fields: &Map<String, Value>, at: &str) -> Result<SegmentOperator, String> {
    Ok(match opt_str(fields, "segmentOperator", at)? {
        Some("AND_SEGMENT_OPERATOR") => SegmentOperator::And,
        _ => SegmentOperator::Or,
    })
}

fn parse_variant(value: &Value, at: &str, key: &str, attachment: &str) -> Result<Variant, String> {
    let fields = object(value, at)?;
    let key = opt_str(fields, key, at)?
        .ok_or_else(|| format!("{at}.{key}: expected a string, found none"))?
        .to_owned();
    let attachment = opt_str(fields, attachment, at)?.map(str::to_owned);
    Ok(Variant { key, attachment })
}

fn object<'a>(value: &'a Value, at: &str) -> Result<&'a Map<String, Value>, String> {
    value
        .as_object()
        .ok_or_else(|| format!("{at}: expected an object, found {}", kind(value)))
}

fn array<'a>(fields: &'a Map<String, Value>, name: &str, at: &str) -> Result<&'a [Value], String> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(format!(
            "{}: expected an array, found {}",
            path(at, name),
            kind(other)
        )),
    }
}

fn opt_str<'a>(
    fields: &'a Map<String, Value>,
    name: &str,
    at: &str,
) -> Result<Option<&'a str>, String> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!(
            "{}: expected a string, found {}",
            path(at, name),
            kind(other)
        )),
    }
}

fn opt_bool(fields: &Map<String, Value>, name: &str, at: &str) -> Result<Option<bool>, String> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(format!(
            "{}: expected a boolean, found {}",
            path(at, name),
            kind(other)
        )),
    }
}

fn required_bool(fields: &Map<String, Value>, name: &str, at: &str) -> Result<bool, String> {
    opt_bool(fields, name, at)?
        .ok_or_else(|| format!("{}: expected a boolean, found none", path(at, name)))
}

/// A number as a 32-bit float, converted as serde converts JSON numbers to `f32`.
fn float(value: Option<&Value>, at: &str) -> Result<f32, String> {
    match value {
        Some(Value::Number(n)) => Ok(if let Some(u) = n.as_u64() {
            u as f32
        } else if let Some(i) = n.as_i64() {
            i as f32
        } else {
            n.as_f64().unwrap_or(0.0) as f32
        }),
        Some(other) => Err(format!("{at}: expected a number, found {}", kind(other))),
        None => Err(format!("{at}: expected a number, found none")),
    }
}

fn path(at: &str, name: &str) -> String {
    if at.is_empty() || at == name {
        name.to_owned()
    } else {
        format!("{at}.{name}")
    }
}

/// The JSON type of a value, for messages (never the value itself).
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn datetimes_as_flipts_engine_reads_them() {
        let base = parse_datetime("2024-03-10T12:30:45Z").unwrap();
        for same in [
            "2024-03-10t12:30:45z",
            "2024-03-10 12:30:45Z",
            "2024-03-10T12:30:45.999Z",
            "2024-03-10T12:30:45.123456789123Z",
            "2024-03-10T13:30:45+01:00",
            "2024-03-10T12:30:45-00:00",
            "2024-03-10T11:00:45-01:30",
        ] {
            assert_eq!(parse_datetime(same), Some(base), "{same}");
        }
        for refused in [
            "2024-03-10T12:30:45.Z",
            "2024-03-10T12:30:45+0000",
            "2024-03-10T12:30:45",
            "2024-03-10",
            "2024-03-10T12:30Z",
            "24-03-10T12:30:45Z",
            "2024-3-10T12:30:45Z",
            "2024-02-30T12:30:45Z",
            "2024-03-10T24:00:00Z",
            "2024-03-10T12:30:45+24:00",
            " 2024-03-10T12:30:45Z",
            "2024-03-10T12:30:45Z ",
            "+2024-03-10T12:30:45Z",
            "2024-03-10T12:30:45,5Z",
            "2024-03-10_12:30:45Z",
            "2024-03-10T12:30:45+01",
            "2024-03-10T12:30:45+1:00",
            "",
        ] {
            assert_eq!(parse_datetime(refused), None, "{refused}");
        }
        assert_eq!(
            parse_datetime("2016-12-31T23:59:60Z"),
            parse_datetime("2016-12-31T23:59:59Z")
        );
        assert_eq!(
            parse_datetime("2024-03-10T12:30:60Z"),
            parse_datetime("2024-03-10T12:30:59Z")
        );
        assert!(parse_datetime("0000-01-01T00:00:00Z").unwrap() < 0);
        assert!(parse_datetime("9999-12-31T23:59:59Z").is_some());
        assert_eq!(
            parse_datetime("2024-02-29T00:00:00Z").map(|s| s % 86_400),
            Some(0)
        );
        assert_eq!(parse_datetime("2023-02-29T00:00:00Z"), None);
    }

    #[test]
    fn civil_dates_round_trip() {
        for days in [-719_528, -1, 0, 1, 10_957, 19_792, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
    }

    #[test]
    fn zero_values_and_wrong_types() {
        let flag = Flag::parse(&json!({})).unwrap();
        assert_eq!(flag.kind, FlagKind::Variant);
        assert!(!flag.enabled);
        let flag = Flag::parse(&json!({ "type": "NEW_FLAG_TYPE", "rollouts": [{}] })).unwrap();
        assert_eq!(flag.kind, FlagKind::Variant);
        assert_eq!(flag.rollouts, [Rollout::Empty]);
        let flag = Flag::parse(&json!({ "rules": [{ "segmentOperator": "XOR", "segments": [
            { "key": "s", "matchType": "SOME", "constraints": [{ "type": "STRING_CONSTRAINT_COMPARISON_TYPE" }] }
        ] }] }))
        .unwrap();
        assert_eq!(flag.rules[0].operator, SegmentOperator::Or);
        assert_eq!(flag.rules[0].segments[0].match_type, MatchType::Any);
        assert_eq!(flag.rules[0].segments[0].constraints[0].value, "");
        for (flag, message) in [
            (
                json!({ "enabled": "yes" }),
                "enabled: expected a boolean, found a string",
            ),
            (
                json!({ "rules": [{ "distributions": [{ "variantKey": "a" }] }] }),
                "rules[0].distributions[0].rollout: expected a number, found none",
            ),
            (
                json!({ "rules": [{ "segments": [{ "key": "s", "constraints": [{ "value": 7 }] }] }] }),
                "rules[0].segments[0].constraints[0].value: expected a string, found a number",
            ),
            (
                json!({ "rollouts": [{ "threshold": { "percentage": 5 } }] }),
                "rollouts[0].threshold.value: expected a boolean, found none",
            ),
            (
                json!({ "defaultVariant": {} }),
                "defaultVariant.key: expected a string, found none",
            ),
            (json!([]), "the flag: expected an object, found an array"),
        ] {
            assert_eq!(Flag::parse(&flag).unwrap_err(), message);
        }
    }

    #[test]
    fn percentages_convert_as_serde_converts_to_f32() {
        let flag = Flag::parse(&json!({ "rollouts": [
            { "threshold": { "percentage": 33.333333333, "value": true } },
            { "threshold": { "percentage": 1e40, "value": true } }
        ] }))
        .unwrap();
        assert_eq!(
            flag.rollouts[0],
            Rollout::Threshold {
                percentage: 33.333_333_333_f64 as f32,
                value: true
            }
        );
        assert_eq!(
            flag.rollouts[1],
            Rollout::Threshold {
                percentage: f32::INFINITY,
                value: true
            }
        );
    }
}
