//! What differs between two lock files, for `flags check` and for the summary of a sync.

use std::collections::BTreeSet;
use std::fmt;

use flags_schema::{Flag, FlagType, Manifest};
use serde_json::Value;

/// The differences between a lock and what its sources define now.
///
/// ```
/// use flags_schema::{Flag, FlagType, Manifest};
///
/// let mut old = Manifest::new();
/// old.flags.insert("beta".into(), Flag::new(FlagType::Boolean, Some(false.into())));
/// old.flags.insert("limit".into(), Flag::new(FlagType::Integer, Some(10.into())));
/// let mut new = Manifest::new();
/// new.flags.insert("limit".into(), Flag::new(FlagType::Integer, Some(20.into())));
/// new.flags.insert("theme".into(), Flag::new(FlagType::String, Some("dark".into())));
///
/// let diff = flags_build::Diff::between(&old, &new);
/// assert_eq!(
///     diff.to_string(),
///     concat!(
///         "  - removed flag `beta` (boolean)\n",
///         "  ~ flag `limit`: default 10 → 20\n",
///         "  + added flag `theme` (string)\n",
///     )
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Diff {
    /// One entry per change, flags in key order, then the flag set, then the sources.
    pub changes: Vec<Change>,
}

/// One difference.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Change {
    /// A flag the lock lacks.
    Added {
        /// The flag.
        key: String,
        /// Its type.
        flag_type: FlagType,
    },
    /// A flag the sources no longer define.
    Removed {
        /// The flag.
        key: String,
        /// Its type in the lock.
        flag_type: FlagType,
    },
    /// A flag whose type changed.
    TypeChanged {
        /// The flag.
        key: String,
        /// In the lock.
        from: FlagType,
        /// In the sources.
        to: FlagType,
    },
    /// A flag whose default value changed.
    DefaultChanged {
        /// The flag.
        key: String,
        /// In the lock (`None`: the code default).
        from: Option<Value>,
        /// In the sources.
        to: Option<Value>,
    },
    /// A flag whose variants changed.
    VariantsChanged {
        /// The flag.
        key: String,
        /// Variants the lock lacks.
        added: Vec<String>,
        /// Variants the sources no longer define.
        removed: Vec<String>,
        /// Variants whose value changed.
        changed: Vec<String>,
    },
    /// A flag whose other fields changed (description, state, deprecation, attachments,
    /// targeting, ...).
    Other {
        /// The flag.
        key: String,
        /// The fields, by their lock names.
        fields: Vec<&'static str>,
    },
    /// The flag-set metadata or the shared evaluators changed.
    FlagSet {
        /// `metadata`, `evaluators`.
        fields: Vec<&'static str>,
    },
    /// The sources (kind, format or location) changed.
    Sources {
        /// In the lock.
        from: Vec<String>,
        /// Now.
        to: Vec<String>,
    },
}

impl Diff {
    /// The differences from `old` (the lock) to `new` (the sources). Fetch times are not
    /// differences.
    pub fn between(old: &Manifest, new: &Manifest) -> Diff {
        let mut changes = Vec::new();
        let keys: BTreeSet<&String> = old.flags.keys().chain(new.flags.keys()).collect();
        for key in keys {
            match (old.flags.get(key), new.flags.get(key)) {
                (None, Some(flag)) => changes.push(Change::Added {
                    key: key.clone(),
                    flag_type: flag.flag_type,
                }),
                (Some(flag), None) => changes.push(Change::Removed {
                    key: key.clone(),
                    flag_type: flag.flag_type,
                }),
                (Some(a), Some(b)) if a != b => flag_changes(key, a, b, &mut changes),
                _ => {}
            }
        }
        let mut fields = Vec::new();
        if old.metadata != new.metadata {
            fields.push("metadata");
        }
        if old.evaluators != new.evaluators {
            fields.push("evaluators");
        }
        if !fields.is_empty() {
            changes.push(Change::FlagSet { fields });
        }
        let sources = |m: &Manifest| -> Vec<String> {
            m.sources
                .iter()
                .map(|s| match &s.location {
                    Some(location) => format!("{} {} `{location}`", s.kind, s.format),
                    None => format!("{} {}", s.kind, s.format),
                })
                .collect()
        };
        let (from, to) = (sources(old), sources(new));
        if from != to && !old.sources.is_empty() {
            changes.push(Change::Sources { from, to });
        }
        Diff { changes }
    }

    /// Whether nothing differs.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

fn flag_changes(key: &str, a: &Flag, b: &Flag, changes: &mut Vec<Change>) {
    let key = key.to_owned();
    if a.flag_type != b.flag_type {
        changes.push(Change::TypeChanged {
            key: key.clone(),
            from: a.flag_type,
            to: b.flag_type,
        });
    }
    if a.default != b.default {
        changes.push(Change::DefaultChanged {
            key: key.clone(),
            from: a.default.clone(),
            to: b.default.clone(),
        });
    }
    if a.variants != b.variants {
        let names = |f: &Flag| f.variants.keys().cloned().collect::<BTreeSet<_>>();
        let (old, new) = (names(a), names(b));
        changes.push(Change::VariantsChanged {
            key: key.clone(),
            added: new.difference(&old).cloned().collect(),
            removed: old.difference(&new).cloned().collect(),
            changed: old
                .intersection(&new)
                .filter(|name| a.variants[*name] != b.variants[*name])
                .cloned()
                .collect(),
        });
    }
    let mut fields = Vec::new();
    if a.default_variant != b.default_variant && a.default == b.default {
        fields.push("defaultVariant");
    }
    if a.attachments != b.attachments {
        fields.push("attachments");
    }
    if a.description != b.description {
        fields.push("description");
    }
    if a.deprecated != b.deprecated {
        fields.push("deprecated");
    }
    if a.state != b.state {
        fields.push("state");
    }
    if a.metadata != b.metadata {
        fields.push("metadata");
    }
    if a.targeting != b.targeting {
        fields.push("targeting");
    }
    if !fields.is_empty() {
        changes.push(Change::Other { key, fields });
    }
}

fn show(value: &Option<Value>) -> String {
    match value {
        None => "none (the code default)".to_owned(),
        Some(value) => {
            let text = value.to_string();
            if text.chars().count() > 60 {
                let short: String = text.chars().take(57).collect();
                format!("{short}...")
            } else {
                text
            }
        }
    }
}

fn list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Added { key, flag_type } => write!(f, "+ added flag `{key}` ({flag_type})"),
            Change::Removed { key, flag_type } => {
                write!(f, "- removed flag `{key}` ({flag_type})")
            }
            Change::TypeChanged { key, from, to } => {
                write!(f, "~ flag `{key}`: type {from} → {to}")
            }
            Change::DefaultChanged { key, from, to } => {
                write!(f, "~ flag `{key}`: default {} → {}", show(from), show(to))
            }
            Change::VariantsChanged {
                key,
                added,
                removed,
                changed,
            } => {
                let mut parts = Vec::new();
                if !added.is_empty() {
                    parts.push(format!("added {}", list(added)));
                }
                if !removed.is_empty() {
                    parts.push(format!("removed {}", list(removed)));
                }
                if !changed.is_empty() {
                    parts.push(format!("changed {}", list(changed)));
                }
                write!(f, "~ flag `{key}`: variants {}", parts.join("; "))
            }
            Change::Other { key, fields } => {
                write!(f, "~ flag `{key}`: {} changed", fields.join(", "))
            }
            Change::FlagSet { fields } => {
                write!(f, "~ flag set: {} changed", fields.join(", "))
            }
            Change::Sources { from, to } => {
                write!(f, "~ sources: [{}] → [{}]", from.join(", "), to.join(", "))
            }
        }
    }
}

impl fmt::Display for Diff {
    /// One change per line, each indented by two spaces and ending in a newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for change in &self.changes {
            writeln!(f, "  {change}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_whose_variants_gain_attachments_changed() {
        let mut old = Manifest::new();
        let theme = Flag::new(FlagType::String, Some("light".into()));
        old.flags.insert("theme".into(), theme.clone());
        let mut new = old.clone();
        new.flags.get_mut("theme").unwrap().attachments = true;
        assert_eq!(
            Diff::between(&old, &new).changes,
            [Change::Other {
                key: "theme".into(),
                fields: vec!["attachments"],
            }]
        );
    }
}
