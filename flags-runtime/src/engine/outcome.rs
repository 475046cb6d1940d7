//! What a read of the engine answers, and how a configuration fails to compile.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::details::{ErrorCode, EvaluationError, FlagMetadata};
use crate::flag_value::{FlagValueRef, ReadError};

/// The next snapshot generation: 1, 2, ... skipping 0 when it wraps.
pub(crate) fn next_generation() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    loop {
        let generation = NEXT.fetch_add(1, Ordering::Relaxed);
        if generation != 0 {
            return generation;
        }
    }
}

/// Why a resolution produced its value; mapped to [`crate::Reason`] when details are built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReasonCode {
    Static,
    Default,
    Disabled,
    TargetingMatch,
    /// A rule matched within a rollout under 100 %.
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
    /// The caller's default, successfully (disabled flag, or a flag that defers to code).
    CodeDefault { reason: ReasonCode },
    /// The caller's default, because something went wrong.
    Error(EvaluationError),
}

/// A resolved flag plus its metadata.
pub(crate) struct Resolved<'s> {
    pub(crate) resolution: Outcome<'s>,
    pub(crate) metadata: Option<&'s FlagMetadata>,
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
