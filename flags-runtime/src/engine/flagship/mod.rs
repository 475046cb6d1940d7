//! Cloudflare Flagship's rules, compiled once when a configuration loads and evaluated per read
//! as Flagship's data plane evaluates them (its `evaluateFlag`, which the Python SDK's
//! `_evaluate.py` ports): rules in order, the first that matches serves its variation;
//! conditions compare through JavaScript's `String(x)` and `Number(x)`; a rollout hashes the
//! text of an attribute with MurmurHash3 seeded by the account and the flag.
//!
//! | file | job |
//! | --- | --- |
//! | `mod.rs` | the compiled rules ([`Rules`]) and their evaluation, rule by rule |
//! | `compile.rs` | from the grammar (`flags_schema::flagship::grammar`) to [`Rules`] |
//! | `eval.rs` | attribute lookup and the operators |
//! | `coerce.rs` | `String(x)`, `Number(x)` and `Date.parse` of context values, on the stack |
//! | `rollout.rs` | the rollout bucket, and the random one of a context without the attribute |
//!
//! What the data plane cannot use in a rule never matches (an unknown operator, a condition
//! that is not an object, a value of the wrong shape). A rule serving a variation that does
//! not exist, or whose rollout percentage is not a number, makes the flag answer
//! `PARSE_ERROR` when an evaluation reaches it, as the data plane's `FlagConfigError` does;
//! the other flags serve.
//!
//! Context: the targeting key is the attribute `targetingKey` (it wins over an attribute of
//! that name, as in the HTTP mode's requests). A date-time attribute is the ISO 8601 text the
//! HTTP mode sends. Our strings are UTF-8 and cannot hold the lone surrogates that
//! JavaScript's `TextEncoder` turns into U+FFFD before hashing: a JSON `\ud800` does not parse,
//! and text that reached us through UTF-8 already carries U+FFFD where one was, which hashes
//! as the data plane hashes the lone surrogate.

use crate::context::Context;

mod coerce;
mod compile;
mod eval;
mod rollout;

pub(crate) use compile::compile;

/// What a Flagship rollout under 100 % does with a context in which the attribute it buckets
/// by (`targetingKey` unless the rollout names another) is missing or `null`.
///
/// Flagship's data plane draws a random bucket for every such evaluation, so that the same
/// context may be in the rollout once and out of it the next time; that is the default, for
/// answers identical to Flagship's. [`MissingRolloutKey::NotInRollout`] keeps such contexts
/// out of every partial rollout instead (the rule does not match; the next rule is tried).
///
/// ```
/// use flags_runtime::{EngineOptions, MissingRolloutKey};
/// assert_eq!(EngineOptions::default().missing_rollout_key, MissingRolloutKey::RandomBucket);
/// let sticky = EngineOptions::default().with_missing_rollout_key(MissingRolloutKey::NotInRollout);
/// assert_eq!(sticky.missing_rollout_key, MissingRolloutKey::NotInRollout);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum MissingRolloutKey {
    /// A random bucket per evaluation, as Flagship's data plane does.
    #[default]
    RandomBucket,
    /// Not in the rollout: the rule does not match.
    NotInRollout,
}

/// A flag's compiled rules.
#[derive(Debug)]
pub(crate) struct Rules {
    rules: Box<[Rule]>,
    /// Whether the definitions have rules at all (some may be skipped): without, the flag is
    /// static; with only skipped ones, it serves its default (reason DEFAULT).
    written: bool,
}

/// One rule: conditions (all must match), an optional rollout, what it serves.
#[derive(Debug)]
struct Rule {
    conditions: Box<[eval::Cond]>,
    rollout: Option<Rollout>,
    serve: Serve,
}

/// What a matching rule serves.
#[derive(Debug)]
enum Serve {
    /// The variation of this name (one of the flag's), and its index among the flag's
    /// variants (sorted by name), so that a read need not look it up by name.
    Variation(Box<str>, u32),
    /// Nothing: the rule names no variation of the flag (why, for `PARSE_ERROR`).
    Invalid(Box<str>),
}

#[derive(Debug)]
struct Rollout {
    /// The attribute bucketed by.
    attribute: eval::Path,
    split: Split,
}

#[derive(Debug)]
enum Split {
    /// 100 % or more: nothing is hashed.
    Whole,
    /// Contexts whose bucket is below `percentage` are in.
    Part { percentage: f64, seed: u32 },
    /// The percentage is not a number (why, for `PARSE_ERROR` when a read reaches the rule).
    Invalid(Box<str>),
}

/// What the rules decide for a context, when a rule decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision<'r> {
    /// Serve this variation (at `index` among the flag's variants, sorted by name); `split`
    /// when the rule's rollout is under 100 % (reason SPLIT).
    Serve {
        variation: &'r str,
        index: u32,
        split: bool,
    },
    /// The rule reached is malformed: the flag answers `PARSE_ERROR`, for this reason.
    Malformed(&'r str),
}

impl Rules {
    /// Whether the definitions have no rules: the flag is static.
    pub(crate) fn is_empty(&self) -> bool {
        !self.written
    }

    /// Runs the rules in order for `ctx`: the decision of the first that matches, `None` when
    /// none does (the flag serves its default variation, reason DEFAULT).
    #[inline]
    pub(crate) fn decide(&self, ctx: &Context, missing: MissingRolloutKey) -> Option<Decision<'_>> {
        for rule in &self.rules {
            if let Some(Split::Invalid(why)) = rule.rollout.as_ref().map(|r| &r.split) {
                return Some(Decision::Malformed(why));
            }
            if !rule.conditions.iter().all(|c| c.matches(ctx)) {
                continue;
            }
            let mut split = false;
            if let Some(rollout) = &rule.rollout {
                let attribute = eval::lookup(ctx, &rollout.attribute);
                match rollout::bucket_of(attribute, &rollout.split, missing) {
                    rollout::Bucket::Out => continue,
                    rollout::Bucket::In { split: s } => split = s,
                }
            }
            return Some(match &rule.serve {
                Serve::Variation(name, index) => Decision::Serve {
                    variation: name,
                    index: *index,
                    split,
                },
                Serve::Invalid(why) => Decision::Malformed(why),
            });
        }
        None
    }
}

#[cfg(test)]
mod tests;
