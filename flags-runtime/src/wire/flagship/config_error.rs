//! What can be wrong with Flagship settings: a leaf file, so that the crate's error can name
//! it without importing the protocol.

use std::time::Duration;

/// Invalid Flagship options: what to fix. URLs are never repeated (they may carry
/// credentials).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FlagshipConfigError {
    /// Neither `app_id` nor `endpoint`.
    #[error("set `app_id` and `account_id`, or a full `endpoint`")]
    MissingTarget,
    /// Both `app_id` and `endpoint`.
    #[error("`app_id` and `endpoint` exclude each other; set one of them")]
    AppIdAndEndpoint,
    /// `app_id` without `account_id`.
    #[error("`account_id` is required with `app_id`")]
    MissingAccountId,
    /// An empty id.
    #[error("`{field}` is empty")]
    EmptyId {
        /// `app_id` or `account_id`.
        field: &'static str,
    },
    /// The endpoint or base URL is not usable.
    #[error("`{field}` {problem}")]
    InvalidUrl {
        /// `endpoint` or `base_url`.
        field: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A zero timeout.
    #[error("`timeout` must be positive")]
    ZeroTimeout,
    /// Local evaluation with an `endpoint` whose path does not end in `/evaluate`: the
    /// definitions URL cannot be derived from it.
    #[error(
        "`endpoint` must be a Flagship evaluate URL (its path ending in `/evaluate`) so that \
         the definitions URL (`.../definitions`) can be derived from it"
    )]
    NotAnEvaluateEndpoint,
    /// A refresh interval that is zero or longer than the longest allowed.
    #[error(
        "`refresh_interval` must be positive and at most {} h (it is {} ms)",
        max.as_secs() / 3600,
        interval.as_millis()
    )]
    InvalidRefreshInterval {
        /// The interval given.
        interval: Duration,
        /// The longest allowed.
        max: Duration,
    },
    /// A deadline that is zero or longer than 24 hours.
    #[error(
        "`deadline` must be positive and at most 24 h (it is {} ms)",
        deadline.as_millis()
    )]
    InvalidDeadline {
        /// The deadline given.
        deadline: Duration,
    },
}
