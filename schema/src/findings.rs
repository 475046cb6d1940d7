//! What a lint's walk of one flag found: the first few warnings, and how many there were, so
//! that a flag with many problems yields a bounded number of lines, whatever its dialect.

use crate::error::{Warning, WarningKind};

/// At most this many warnings per flag; one more line says how many were left out.
pub(crate) const PER_FLAG: usize = 5;

/// What a walk found: the kind and the sentence.
pub(crate) type Finding = (WarningKind, String);

/// The first [`PER_FLAG`] findings of a walk, and how many there were.
#[derive(Default)]
pub(crate) struct Findings {
    /// The findings kept.
    pub(crate) first: Vec<Finding>,
    /// How many there were.
    pub(crate) total: usize,
}

impl Findings {
    /// Counts a finding, and keeps it (written by `message`) while fewer than `PER_FLAG` are.
    pub(crate) fn add(&mut self, kind: WarningKind, message: impl FnOnce() -> String) {
        if self.first.len() < PER_FLAG {
            self.first.push((kind, message()));
        }
        self.total += 1;
    }

    /// The warnings of `flag`, and one more saying how many were left out.
    pub(crate) fn push_to(self, out: &mut Vec<Warning>, flag: Option<&str>) {
        let kept = self.first.len();
        for (kind, message) in self.first {
            out.push(Warning::new(flag, kind, message));
        }
        if self.total > kept {
            out.push(Warning::new(
                flag,
                WarningKind::Suspicious,
                format!("and {} more problems", self.total - kept),
            ));
        }
    }
}
