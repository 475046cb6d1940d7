//! The stale report of `flags check`: flags of the lock no code uses, and keys the code uses
//! that the lock lacks.

use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;

use flags_schema::Manifest;

use super::{Site, Usage};

/// Flags in the lock that no code uses, and keys the code uses that the lock lacks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StaleReport {
    /// Flags of the lock used nowhere, in key order.
    pub unused: Vec<String>,
    /// Keys used in the code and absent from the lock, in key order.
    pub unknown: Vec<Unknown>,
    /// Files that were not scanned (they could not be read or parsed): a flag used only there
    /// is reported unused.
    pub unparsed: Vec<(PathBuf, String)>,
}

/// A key the code uses that the lock lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Unknown {
    /// The key.
    pub key: String,
    /// Where the code uses it.
    pub sites: Vec<Site>,
    /// The closest key of the lock, if one is close.
    pub suggestion: Option<String>,
}

impl StaleReport {
    /// No unused flag and no unknown key.
    pub fn is_clean(&self) -> bool {
        self.unused.is_empty() && self.unknown.is_empty()
    }
}

/// Compares what [`scan`](fn@super::scan) found with the manifest.
pub fn report(manifest: &Manifest, usage: &Usage) -> StaleReport {
    let used: BTreeSet<&str> = usage.used.keys().map(String::as_str).collect();
    StaleReport {
        unused: manifest
            .flags
            .keys()
            .filter(|key| !used.contains(key.as_str()))
            .cloned()
            .collect(),
        unknown: usage
            .used
            .iter()
            .filter(|(key, _)| !manifest.flags.contains_key(*key))
            .map(|(key, sites)| Unknown {
                key: key.clone(),
                sites: sites.clone(),
                suggestion: manifest.suggest(key).map(str::to_owned),
            })
            .collect(),
        unparsed: usage.unparsed.clone(),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

impl fmt::Display for StaleReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_clean() {
            writeln!(
                f,
                "every flag in the lock is used, and every key the code uses is in the lock"
            )?;
        }
        if !self.unused.is_empty() {
            writeln!(
                f,
                "{} in the lock used nowhere in the code:",
                plural(self.unused.len(), "flag", "flags")
            )?;
            for key in &self.unused {
                writeln!(f, "  - {key}")?;
            }
        }
        if !self.unknown.is_empty() {
            writeln!(
                f,
                "{} used in the code but absent from the lock:",
                plural(self.unknown.len(), "key", "keys")
            )?;
            for unknown in &self.unknown {
                match &unknown.suggestion {
                    Some(s) => writeln!(f, "  - {} (did you mean `{s}`?)", unknown.key)?,
                    None => writeln!(f, "  - {}", unknown.key)?,
                }
                for site in &unknown.sites {
                    writeln!(f, "      {site}")?;
                }
            }
        }
        if !self.unparsed.is_empty() {
            writeln!(
                f,
                "{} not scanned (flags used only there are listed as unused):",
                plural(self.unparsed.len(), "file", "files")
            )?;
            for (path, why) in &self.unparsed {
                writeln!(f, "  - {}: {why}", path.display())?;
            }
        }
        Ok(())
    }
}
