//! What can be wrong with FlagKit settings: a leaf file, so that the crate's error can name
//! it without importing the protocol. Keys are never repeated.

use std::time::Duration;

/// Invalid FlagKit options: what to fix. Keys and URLs are never repeated (they are secrets,
/// or may carry credentials).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FlagKitConfigError {
    /// The API key is empty.
    #[error(
        "the {which} API key is empty; pass the key FlagKit gave you (`sdk_...`, `srv_...` or \
         `cli_...`), for example from `std::env::var(\"FLAGKIT_API_KEY\")`"
    )]
    MissingKey {
        /// `primary` or `secondary`.
        which: &'static str,
    },
    /// The API key does not start with `sdk_`, `srv_` or `cli_`, or holds spaces or characters
    /// outside printable ASCII.
    #[error(
        "the {which} API key is not a FlagKit key: it starts with `sdk_`, `srv_` or `cli_` \
         and holds printable ASCII only; pass the key FlagKit gave you, whole (is it another \
         variable, or quoted?)"
    )]
    InvalidKey {
        /// `primary` or `secondary`.
        which: &'static str,
    },
    /// The base URL is not usable.
    #[error("`base_url` {problem}")]
    InvalidUrl {
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A zero timeout.
    #[error("`timeout` must be positive")]
    ZeroTimeout,
    /// A polling interval that is zero or longer than a day.
    #[error(
        "`polling_interval` must be positive and at most 24 h (it is {} ms)",
        interval.as_millis()
    )]
    InvalidPollingInterval {
        /// The interval given.
        interval: Duration,
    },
    /// A streaming delay or timeout that is zero or longer than a day.
    #[error("`stream_timing`: `{name}` must be positive and at most 24 h (it is {} ms)", value.as_millis())]
    InvalidStreamTiming {
        /// Which one.
        name: &'static str,
        /// The value given.
        value: Duration,
    },
    /// `.streaming()` with `.evaluate()` or `.evaluate_all(..)`.
    #[error(
        "`streaming` applies to FlagKit's values (the default mode); its stream carries no \
         evaluations for a context: drop `.streaming()` or `.evaluate()` / `.evaluate_all(..)`"
    )]
    StreamingNeedsValues,
    /// A bootstrap with `.evaluate()`, whose reads each ask FlagKit.
    #[error(
        "a bootstrap serves reads answered locally (FlagKit's values, or `.evaluate_all(..)`); \
         with `.evaluate()` every read asks FlagKit: drop the bootstrap or use another mode"
    )]
    BootstrapNeedsLocalReads,
    /// A private attribute with an empty name.
    #[error("a private attribute's name is empty")]
    EmptyPrivateAttribute,
}
