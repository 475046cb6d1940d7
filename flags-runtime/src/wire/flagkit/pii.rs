//! Strict PII mode: context attributes that look like personal data (an e-mail address, a
//! phone number, a payment card number, a national id number), by their value or by their
//! name, are refused unless marked private (private attributes are never sent at all).

use crate::value::Value;

/// What an attribute looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pii {
    Email,
    Phone,
    Card,
    NationalId,
}

impl Pii {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Pii::Email => "an e-mail address",
            Pii::Phone => "a phone number",
            Pii::Card => "a payment card number",
            Pii::NationalId => "a national id number",
        }
    }
}

/// Names that say what an attribute holds (compared without case, `_` or `-`).
const NAMES: &[(&str, Pii)] = &[
    ("email", Pii::Email),
    ("emailaddress", Pii::Email),
    ("mail", Pii::Email),
    ("phone", Pii::Phone),
    ("phonenumber", Pii::Phone),
    ("mobile", Pii::Phone),
    ("telephone", Pii::Phone),
    ("creditcard", Pii::Card),
    ("cardnumber", Pii::Card),
    ("ssn", Pii::NationalId),
    ("socialsecuritynumber", Pii::NationalId),
    ("nationalid", Pii::NationalId),
    ("passport", Pii::NationalId),
    ("passportnumber", Pii::NationalId),
    ("taxid", Pii::NationalId),
];

/// The first attribute (a dotted path into maps, `[i]` into lists) that looks like personal
/// data, and what it looks like; attributes in `private` (top-level names, or dotted paths)
/// are skipped, with what they hold.
pub(crate) fn find<'a>(
    attributes: impl Iterator<Item = (&'a str, &'a Value)>,
    private: &[String],
) -> Option<(String, Pii)> {
    for (name, value) in attributes {
        if private.iter().any(|p| p == name) {
            continue;
        }
        let mut path = name.to_owned();
        if let Some(found) = walk(&mut path, name, value, private) {
            return Some(found);
        }
    }
    None
}

fn walk(path: &mut String, name: &str, value: &Value, private: &[String]) -> Option<(String, Pii)> {
    if let Some(kind) = by_name(name)
        && !matches!(value, Value::Bool(_))
    {
        return Some((path.clone(), kind));
    }
    match value {
        Value::String(s) => by_value(s).map(|kind| (path.clone(), kind)),
        Value::List(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                if let Some(found) = walk(path, name, item, private) {
                    return Some(found);
                }
                path.truncate(len);
            }
            None
        }
        Value::Map(map) => {
            for (key, item) in map {
                let len = path.len();
                path.push('.');
                path.push_str(key);
                if !private.iter().any(|p| p == path.as_str())
                    && let Some(found) = walk(path, key, item, private)
                {
                    return Some(found);
                }
                path.truncate(len);
            }
            None
        }
        _ => None,
    }
}

fn by_name(name: &str) -> Option<Pii> {
    let folded: String = name
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    NAMES
        .iter()
        .find(|(n, _)| *n == folded)
        .map(|(_, kind)| *kind)
}

/// What a text value looks like, if it looks like personal data.
pub(crate) fn by_value(text: &str) -> Option<Pii> {
    let text = text.trim();
    if looks_like_email(text) {
        return Some(Pii::Email);
    }
    let digits: Vec<u8> = text
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect();
    let only = |allowed: &str| {
        text.chars()
            .all(|c| c.is_ascii_digit() || allowed.contains(c))
    };
    // US social security numbers: 123-45-6789.
    if text.len() == 11
        && only("-")
        && text.as_bytes().get(3) == Some(&b'-')
        && text.as_bytes().get(6) == Some(&b'-')
    {
        return Some(Pii::NationalId);
    }
    if (13..=19).contains(&digits.len()) && only(" -") && luhn(&digits) {
        return Some(Pii::Card);
    }
    // A phone number is written as one: 7 to 15 digits after a `+` or with an area code in
    // parentheses, or 10 to 15 digits in groups (not a date: `2026-12-05` has 8).
    if (7..=15).contains(&digits.len())
        && only("+ -().")
        && (text.starts_with('+')
            || text.contains('(')
            || (digits.len() >= 10 && text.contains([' ', '-', '.'])))
        && !text[1..].contains('+')
    {
        return Some(Pii::Phone);
    }
    None
}

fn looks_like_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !local.contains(char::is_whitespace)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
}

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(*d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}
