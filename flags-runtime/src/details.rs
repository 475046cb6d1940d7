//! The outcome of an evaluation: value, variant, reason, error, metadata.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

pub use flags_schema::MetadataValue;

/// Everything known about one evaluation (OpenFeature's "evaluation details").
///
/// Typed getters never fail: when something is wrong, `value` is the caller's default,
/// `reason` is [`Reason::Error`] and `error` says what happened.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluationDetails<T> {
    /// The key of the evaluated flag.
    pub flag_key: Cow<'static, str>,
    /// The value: the flag's, or the caller's default.
    pub value: T,
    /// The name of the variant served, when the value came from one.
    pub variant: Option<Arc<str>>,
    /// Why this value.
    pub reason: Reason,
    /// What went wrong, when `reason` is [`Reason::Error`].
    pub error: Option<EvaluationError>,
    /// Flag metadata (flag-set metadata overlaid with the flag's); empty, never absent.
    pub flag_metadata: FlagMetadata,
}

impl<T> EvaluationDetails<T> {
    /// The error code, if the evaluation failed.
    pub fn error_code(&self) -> Option<ErrorCode> {
        self.error.as_ref().map(|e| e.code)
    }

    /// The error message, if the evaluation failed.
    pub fn error_message(&self) -> Option<&str> {
        self.error.as_ref().map(|e| e.message.as_ref())
    }

    /// `true` when the evaluation failed and `value` is the caller's default.
    pub fn is_error(&self) -> bool {
        self.error.is_some()
    }
}

/// Why an evaluation produced its value. An open set: providers may report reasons of their
/// own as [`Reason::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// The flag has one value for everybody (no targeting).
    Static,
    /// No rule matched: the default variant, or the caller's default when the flag defers to it.
    Default,
    /// A targeting rule chose the variant.
    TargetingMatch,
    /// A pseudorandom split chose the variant.
    Split,
    /// The value came from a cache.
    Cached,
    /// The flag is disabled: the caller's default.
    Disabled,
    /// The reason is not known.
    Unknown,
    /// The value may be out of date (the source is unreachable).
    Stale,
    /// The evaluation failed: the caller's default.
    Error,
    /// A provider-specific reason.
    Other(String),
}

impl Reason {
    /// The OpenFeature name: `STATIC`, `DEFAULT`, `TARGETING_MATCH`, ...
    pub fn as_str(&self) -> &str {
        match self {
            Reason::Static => "STATIC",
            Reason::Default => "DEFAULT",
            Reason::TargetingMatch => "TARGETING_MATCH",
            Reason::Split => "SPLIT",
            Reason::Cached => "CACHED",
            Reason::Disabled => "DISABLED",
            Reason::Unknown => "UNKNOWN",
            Reason::Stale => "STALE",
            Reason::Error => "ERROR",
            Reason::Other(other) => other,
        }
    }

    /// Parses an OpenFeature name; anything else becomes [`Reason::Other`].
    pub fn parse(name: &str) -> Reason {
        match name {
            "STATIC" => Reason::Static,
            "DEFAULT" => Reason::Default,
            "TARGETING_MATCH" => Reason::TargetingMatch,
            "SPLIT" => Reason::Split,
            "CACHED" => Reason::Cached,
            "DISABLED" => Reason::Disabled,
            "UNKNOWN" => Reason::Unknown,
            "STALE" => Reason::Stale,
            "ERROR" => Reason::Error,
            other => Reason::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an evaluation failed (OpenFeature's closed set of error codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The provider has not loaded a configuration yet.
    ProviderNotReady,
    /// No flag has this key.
    FlagNotFound,
    /// The flag's definition or rule could not be parsed.
    ParseError,
    /// The flag's value is not of the requested type.
    TypeMismatch,
    /// A rule needs a targeting key and the context has none.
    TargetingKeyMissing,
    /// The context is not usable.
    InvalidContext,
    /// The provider failed for good (bad credentials, say).
    ProviderFatal,
    /// Anything else.
    General,
}

impl ErrorCode {
    /// The OpenFeature name: `FLAG_NOT_FOUND`, `TYPE_MISMATCH`, ...
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ProviderNotReady => "PROVIDER_NOT_READY",
            ErrorCode::FlagNotFound => "FLAG_NOT_FOUND",
            ErrorCode::ParseError => "PARSE_ERROR",
            ErrorCode::TypeMismatch => "TYPE_MISMATCH",
            ErrorCode::TargetingKeyMissing => "TARGETING_KEY_MISSING",
            ErrorCode::InvalidContext => "INVALID_CONTEXT",
            ErrorCode::ProviderFatal => "PROVIDER_FATAL",
            ErrorCode::General => "GENERAL",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error code and a message saying what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvaluationError {
    /// The code.
    pub code: ErrorCode,
    /// What happened, for people.
    pub message: Cow<'static, str>,
}

impl EvaluationError {
    /// An error with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> EvaluationError {
        EvaluationError {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for EvaluationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for EvaluationError {}

/// Flag metadata: string keys to booleans, strings or numbers. Cheap to clone (shared).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlagMetadata(Option<Arc<BTreeMap<String, MetadataValue>>>);

impl FlagMetadata {
    /// No metadata.
    pub const fn empty() -> FlagMetadata {
        FlagMetadata(None)
    }

    /// Metadata from a map; an empty map is stored as nothing.
    pub fn new(map: BTreeMap<String, MetadataValue>) -> FlagMetadata {
        if map.is_empty() {
            FlagMetadata(None)
        } else {
            FlagMetadata(Some(Arc::new(map)))
        }
    }

    /// One entry.
    pub fn get(&self, key: &str) -> Option<&MetadataValue> {
        self.0.as_ref()?.get(key)
    }

    /// The entries, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &MetadataValue)> {
        self.0
            .iter()
            .flat_map(|m| m.iter().map(|(k, v)| (k.as_str(), v)))
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |m| m.len())
    }

    /// `true` when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
