//! What a read of the engine answers, and how a configuration fails to compile.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::details::{ErrorCode, EvaluationError, FlagMetadata, MetadataValue};
use crate::flag_value::{FlagValueRef, ObjectValue, ReadError};

/// The next snapshot generation: 1, 2, ... (0 is no snapshot's, and `u64::MAX` is never reached).
pub(crate) fn next_generation() -> u64 {
    // 64 bits never wrap (a new snapshot every nanosecond for five centuries), so that a key
    // slot's generation names one snapshot for the life of the process, and the value it
    // caches can be trusted without looking at the snapshot.
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Why a resolution produced its value; mapped to [`crate::Reason`] when details are built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReasonCode {
    Static,
    Default,
    Disabled,
    TargetingMatch,
    /// A pseudorandom split chose the value (a Flagship rollout under 100 %, Flipt's
    /// distributions and thresholds).
    Split,
}

/// The outcome of resolving one flag, borrowing from the snapshot.
#[derive(Debug)]
pub(crate) enum Outcome<'s> {
    /// A value from the configuration.
    Value {
        value: FlagValueRef<'s>,
        variant: Option<&'s Arc<str>>,
        reason: ReasonCode,
    },
    /// A variant of a dialect whose variants are keys with an attachment (Flipt's): a read of
    /// a type that reads strings gets the key, a read of a structured type the attachment
    /// (none: the caller's default, with this reason).
    Variant {
        key: &'s Arc<str>,
        attachment: Option<&'s ObjectValue>,
        reason: ReasonCode,
    },
    /// The caller's default, successfully (disabled flag, or a flag that defers to code).
    CodeDefault { reason: ReasonCode },
    /// The caller's default, because something went wrong.
    Error(EvaluationError),
    /// A flag whose rule decides the whole read (Flipt's), to be resolved by the reader with
    /// [`WholeRule::resolve`]: out of line, so that the resolutions of the other flags stay
    /// in registers (joined with a call's result, they stayed in memory: 22 instructions more
    /// on each read of a static flag, counted with callgrind).
    Deferred(&'s dyn WholeRule),
}

/// A rule that decides the whole read of its flag (see [`Outcome::Deferred`]); its resolution
/// is never `Deferred`.
pub(crate) trait WholeRule: std::fmt::Debug + Send + Sync {
    /// The whole answer, for details.
    fn resolve<'s>(&'s self, ctx: &crate::context::Context) -> Resolved<'s>;
    /// The value only, for reads of values: what [`WholeRule::resolve`] answers, without
    /// reason, metadata or error, returned in registers.
    fn serve<'s>(&'s self, ctx: &crate::context::Context) -> Served<'s>;
}

/// What a [`WholeRule`] serves a read of its value: a tag and at most one pointer, which
/// the compiler returns in two registers (a `Bool(bool)` variant beside the pointer would
/// make it an aggregate, returned through memory).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Served<'s> {
    False,
    True,
    Variant(&'s KeyedVariant),
    /// The caller's default (no variant, or an error that a read of the value does not
    /// report).
    Default,
}

impl Served<'_> {
    /// `True` or `False`.
    #[inline]
    pub(crate) fn bool(value: bool) -> Served<'static> {
        if value { Served::True } else { Served::False }
    }
}

/// A variant of a dialect whose variants are keys with an attachment (Flipt's).
#[derive(Debug)]
pub(crate) struct KeyedVariant {
    pub(crate) key: Arc<str>,
    /// `None`: absent or empty.
    pub(crate) attachment: Option<Arc<ObjectValue>>,
}

/// A resolved flag plus its metadata.
pub(crate) struct Resolved<'s> {
    pub(crate) resolution: Outcome<'s>,
    pub(crate) metadata: Meta<'s>,
}

/// The metadata of a resolution, built only when details are: the flag's, or the flag's with
/// the keys of the segments that matched (Flipt's).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Meta<'s> {
    None,
    Flag(&'s FlagMetadata),
    /// The segments of `SegmentMeta::keys` whose bit is set in the mask matched.
    Segments(&'s SegmentMeta, u64),
}

impl Meta<'_> {
    /// The metadata as details carry it: a shared map, built only for a subset of a rule's
    /// segments that matched (one map per read of details; the usual cases, every segment of
    /// the rule or none, share one built when the configuration loaded).
    #[inline]
    pub(crate) fn to_metadata(self) -> FlagMetadata {
        match self {
            Meta::None => FlagMetadata::empty(),
            Meta::Flag(metadata) => metadata.clone(),
            Meta::Segments(segments, mask) => segments.metadata(mask),
        }
    }
}

/// The metadata key of the segments that matched: their keys, sorted, comma-separated.
pub(crate) const SEGMENTS_METADATA: &str = "segments";

/// A rule's segment keys (sorted) and the flag's metadata with and without them.
#[derive(Debug)]
pub(crate) struct SegmentMeta {
    keys: Box<[Arc<str>]>,
    base: FlagMetadata,
    all: FlagMetadata,
}

impl SegmentMeta {
    /// For segments with these keys (sorted), on a flag with `base` metadata.
    pub(crate) fn new(keys: Box<[Arc<str>]>, base: &FlagMetadata) -> SegmentMeta {
        let all = with_segments(base, keys.iter().map(|k| &**k));
        SegmentMeta {
            keys,
            base: base.clone(),
            all,
        }
    }

    #[inline(never)]
    fn metadata(&self, mask: u64) -> FlagMetadata {
        let full = match self.keys.len() {
            64.. => u64::MAX,
            n => (1u64 << n) - 1,
        };
        if mask == 0 {
            self.base.clone()
        } else if mask & full == full {
            self.all.clone()
        } else {
            let matched = self
                .keys
                .iter()
                .enumerate()
                .filter(|(i, _)| *i < 64 && mask & (1 << i) != 0)
                .map(|(_, k)| &**k);
            with_segments(&self.base, matched)
        }
    }
}

fn with_segments<'k>(base: &FlagMetadata, keys: impl Iterator<Item = &'k str>) -> FlagMetadata {
    let joined = keys.collect::<Vec<_>>().join(",");
    if joined.is_empty() {
        return base.clone();
    }
    let mut map: std::collections::BTreeMap<String, MetadataValue> = base
        .iter()
        .map(|(k, v)| (k.to_owned(), v.clone()))
        .collect();
    map.insert(SEGMENTS_METADATA.to_owned(), MetadataValue::String(joined));
    FlagMetadata::new(map)
}

/// A configuration that cannot be compiled.
#[derive(Debug, thiserror::Error)]
#[error("{}{message}", if flag.is_empty() { String::new() } else { format!("flag `{flag}`: ") })]
pub struct CompileError {
    /// Empty for a problem of the whole configuration.
    pub(super) flag: String,
    pub(super) message: String,
}

/// The message of a value that does not fit the type it is read as.
pub(crate) fn type_mismatch(key: &str, type_name: &str, error: &ReadError) -> EvaluationError {
    EvaluationError::new(
        ErrorCode::TypeMismatch,
        Cow::Owned(format!(
            "flag `{key}` cannot be read as `{type_name}`: {}",
            error.0
        )),
    )
}

impl From<ReasonCode> for crate::details::Reason {
    fn from(code: ReasonCode) -> crate::details::Reason {
        match code {
            ReasonCode::Static => crate::details::Reason::Static,
            ReasonCode::Default => crate::details::Reason::Default,
            ReasonCode::Disabled => crate::details::Reason::Disabled,
            ReasonCode::TargetingMatch => crate::details::Reason::TargetingMatch,
            ReasonCode::Split => crate::details::Reason::Split,
        }
    }
}

/// Why a rule gave no variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RuleFailure {
    /// The evaluation spent the budget of [`EngineOptions::budget`](super::EngineOptions::budget).
    OverBudget,
    /// The evaluation failed, for this reason (the flag answers `GENERAL`).
    Failed(&'static str),
}
