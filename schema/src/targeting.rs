//! A flag's targeting rule and the dialect it is written in.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The language of a targeting rule: which grammar checks it when it is imported and which
/// compiler the runtime's in-process engine evaluates it with.
///
/// In the lock file, a flag's `dialect` field, in kebab-case (`"flagd"`). flagd's, the
/// default, is not written: a flag without the field has a flagd rule, so that lock files
/// written before dialects existed read as they were meant.
///
/// ```
/// use flags_schema::{Dialect, Targeting};
///
/// let targeting = Targeting::flagd(serde_json::json!({ "var": "plan" }));
/// assert_eq!(targeting.dialect, Dialect::Flagd);
/// assert_eq!(Dialect::default(), Dialect::Flagd);
/// assert_eq!(Dialect::Flagd.to_string(), "flagd");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Dialect {
    /// JSON Logic with flagd's operators (`fractional`, `sem_ver`, `starts_with`,
    /// `ends_with`) and `$ref` to the manifest's evaluators, as flagd evaluates it.
    #[default]
    Flagd,
    /// Cloudflare Flagship's rules, as its data plane evaluates them: the rule is
    /// `{"account_id": "<account>", "rules": [<rule>, ...]}`, the flag's `rules` as the
    /// definitions wrote them with the account whose id seeds the rollout hash.
    Flagship,
    /// Flipt's rules and rollouts, as Flipt's engine evaluates them: the rule is
    /// `{"namespace": "<namespace>", "flag": <flag>}`, the flag as Flipt's namespace snapshot
    /// holds it (camelCase: `type`, `enabled`, `defaultVariant`, `rules[]` and `rollouts[]` with
    /// their segments and constraints inlined, distributions with their variant attachments).
    Flipt,
    /// GO Feature Flag's rules, as its engine evaluates them: the rule is
    /// `{"flag": <flag>}`, the flag as GO Feature Flag's configuration holds it, read into JSON
    /// (`variations`, `targeting[]` with `query` and `variation` / `percentage` /
    /// `progressiveRollout` / `disable`, `defaultRule`, `disable`, `bucketingKey`,
    /// `scheduledRollout`, `experimentation`, `version`, `metadata`, `trackEvents`).
    GoFeatureFlag,
}

impl Dialect {
    /// The name used in the lock file and in messages: `flagd`, `flagship`, `flipt`,
    /// `go-feature-flag`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Dialect::Flagd => "flagd",
            Dialect::Flagship => "flagship",
            Dialect::Flipt => "flipt",
            Dialect::GoFeatureFlag => "go-feature-flag",
        }
    }

    /// `true` for [`Dialect::Flagd`], the default, which the lock file does not write.
    pub fn is_flagd(&self) -> bool {
        matches!(self, Dialect::Flagd)
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A flag's targeting rule, kept as written, with the [`Dialect`] it is written in.
///
/// ```
/// use flags_schema::{Dialect, Targeting};
///
/// let rule = serde_json::json!({ "ends_with": [{ "var": "email" }, "@example.com"] });
/// let targeting = Targeting::new(Dialect::Flagd, rule.clone());
/// assert_eq!(targeting, Targeting::flagd(rule));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Targeting {
    /// The language of [`Targeting::rule`].
    pub dialect: Dialect,
    /// The rule, as the definitions wrote it.
    pub rule: Value,
}

impl Targeting {
    /// A rule written in `dialect`.
    pub fn new(dialect: Dialect, rule: Value) -> Targeting {
        Targeting { dialect, rule }
    }

    /// A flagd rule (JSON Logic, flagd's operators).
    pub fn flagd(rule: Value) -> Targeting {
        Targeting::new(Dialect::Flagd, rule)
    }
}
