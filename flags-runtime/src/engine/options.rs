//! The options of the in-process engine, whatever the dialect of the rules it evaluates.

use super::flagship::MissingRolloutKey;

/// Options of the in-process engine.
///
/// ```
/// use flags_runtime::{Budget, EngineOptions, FractionalVersion};
/// let options = EngineOptions::default();
/// assert_eq!(options.fractional, FractionalVersion::V2);
/// assert_eq!(options.budget, Budget::default());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct EngineOptions {
    /// How `fractional` maps a bucketing value to a bucket.
    pub fractional: FractionalVersion,
    /// What one evaluation of a rule that loops may spend.
    pub budget: Budget,
    /// What a Flagship rollout does with a context that lacks the attribute it buckets by.
    pub missing_rollout_key: MissingRolloutKey,
    /// Where "now" comes from for the rules that depend on time (GO Feature Flag's scheduled
    /// and progressive rollouts, experimentation windows), read once per evaluation when the
    /// context does not say (`gofeatureflag.currentDateTime`).
    pub clock: Clock,
}

/// Where the engine reads "now".
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use flags_runtime::{Clock, EngineOptions};
/// let at = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
/// let options = EngineOptions::default().with_clock(Clock::Fixed(at));
/// assert_eq!(options.clock, Clock::Fixed(at));
/// assert_eq!(EngineOptions::default().clock, Clock::System);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Clock {
    /// The system's wall clock.
    #[default]
    System,
    /// Always this instant (for tests and replays).
    Fixed(std::time::SystemTime),
}

impl EngineOptions {
    /// The options with `fractional` set.
    #[must_use]
    pub fn with_fractional(mut self, version: FractionalVersion) -> EngineOptions {
        self.fractional = version;
        self
    }

    /// The options with what a Flagship rollout does with a context that lacks the attribute
    /// it buckets by set (see [`MissingRolloutKey`]).
    #[must_use]
    pub fn with_missing_rollout_key(mut self, missing: MissingRolloutKey) -> EngineOptions {
        self.missing_rollout_key = missing;
        self
    }

    /// The options with the clock set (see [`Clock`]).
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> EngineOptions {
        self.clock = clock;
        self
    }

    /// The options with the evaluation budget of rules that loop set (see [`Budget`]).
    #[must_use]
    pub fn with_budget(mut self, budget: Budget) -> EngineOptions {
        self.budget = budget;
        self
    }
}

/// What one evaluation of a targeting rule may spend when the rule loops (`map`, `filter`,
/// `all`, `some`, `none`, `reduce`) or uses a large shared evaluator: steps (one per element an
/// iteration visits, and the size of a shared evaluator per use) and bytes built (the values
/// an iteration produces and carries from one element to the next).
///
/// A rule that exceeds it answers the caller's default with reason `ERROR` and code `GENERAL`
/// ("the targeting rule of flag `f` exceeded its evaluation budget ..."), logged once per flag
/// and configuration; the other flags are unaffected. Rules without loops are not metered:
/// their cost is bounded by their size and the context's. The budget is fixed when a
/// configuration loads, from [`EngineOptions::budget`].
///
/// ```
/// use flags_runtime::{Budget, EngineOptions};
/// let budget = Budget::default();
/// assert_eq!((budget.steps, budget.bytes), (100_000, 1 << 20));
/// let options = EngineOptions::default().with_budget(Budget::new(10_000, 64 * 1024));
/// assert_eq!(options.budget.steps, 10_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Budget {
    /// Steps per evaluation (default 100,000).
    pub steps: u32,
    /// Bytes built per evaluation (default 1 MiB).
    pub bytes: u32,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            steps: 100_000,
            bytes: 1 << 20,
        }
    }
}

impl Budget {
    /// A budget of `steps` steps and `bytes` bytes per evaluation.
    pub fn new(steps: u32, bytes: u32) -> Budget {
        Budget { steps, bytes }
    }
}

/// The bucketing algorithm of `fractional`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FractionalVersion {
    /// The original algorithm: the hash as a signed 32-bit integer, scaled to a percentage and
    /// compared with cumulative percentages of the weights.
    V1,
    /// Current flagd: `(hash as u64 * total_weight) >> 32` over the UTF-8 bytes of the
    /// bucketing key (the flag key followed by the targeting key by default).
    #[default]
    V2,
    /// flagd's proposed successor: the same bucket arithmetic over the deterministic CBOR
    /// encoding of the bucketing value (by default the array `[flagKey, targetingKey]`).
    V3,
}
