//! In-process evaluation: flag definitions compiled into an immutable, indexed snapshot.
//!
//! A configuration is compiled once when it arrives; evaluation reads the snapshot without
//! locks and, for scalar flags, without allocating.
//!
//! # Layout
//!
//! | file | job |
//! | --- | --- |
//! | `snapshot.rs` | the compiled configuration: per flag, what a read gets; resolving a key |
//! | `table.rs` | the key index and the key hash that `FlagKey`s carry |
//! | `value.rs` | flag values as the snapshot holds them, object values with their decodes |
//! | `options.rs` | [`EngineOptions`] and the evaluation [`Budget`] |
//! | `rule.rs` | the seam to the rule dialects: [`CompiledRule`](rule::CompiledRule), one variant per dialect |
//! | `flagd/` | flagd's dialect (JSON Logic and flagd's operators): compiler and evaluator |
//! | `flagship/` | Cloudflare Flagship's rules: compiler and evaluator |
//! | `murmur3.rs`, `js_number.rs` | what dialects share: the seeded MurmurHash3, JavaScript's number text |
//!
//! The grammar of a dialect (which operators exist, what their arguments are) is defined once
//! in `flags-schema` (`flags_schema::flagd::grammar`, `flags_schema::flagship::grammar`), which
//! its import-time checks and its compiler here both use.
//!
//! # Bounded work
//!
//! A configuration comes from a flag service, a file in git or a proxy, any of which may be
//! broken or hostile: loading it (at start or as an update) and evaluating it cost work bounded
//! by its size, and what does not fit is refused or metered rather than attempted.
//!
//! - Loading (parse, validate, compile) takes time and memory linear in the document, with no
//!   super-linear step: `tests/bounded.rs` holds it to at most 128 × the text in bytes
//!   allocated and 96 × at the peak, plus 1 MiB, on generated hostile shapes. Most of that is
//!   `serde_json::Value` itself (up to about 60 × for a document of small objects).
//! - Rules and values nest at most [`flags_schema::MAX_NESTING`] (64) arrays and objects; a
//!   document nesting deeper is rejected whole, naming the flag and the path, and an update
//!   that does so leaves the current configuration serving. The importers check it, and
//!   [`Snapshot::compile`] again, whatever read the configuration.
//! - Constant parts of a rule are folded when it loads only within a budget linear in the rule
//!   (1,024 steps plus one per node; 16 KiB plus 8 bytes per byte of its text): a constant
//!   that would be larger, such as a `reduce` doubling its accumulator, is left to evaluation.
//! - Evaluators (`$ref`) are copied into the rules using them while the copies total at most
//!   16 Ki nodes plus twice the nodes of the rules; beyond that an evaluator is compiled once
//!   and shared, each use charging its size to the evaluation budget.
//! - "Did you mean" compares names of at most 64 characters, within one budget per
//!   configuration (about a thousand comparisons of such names, more of shorter ones).
//! - Evaluating a rule without iterations visits each node once: its cost is bounded by the
//!   sizes of the rule and the context, and nothing meters it. A rule with an iteration (or a
//!   shared evaluator) is evaluated against a [`Budget`] fixed at load (default 100,000 steps
//!   and 1 MiB built); past it the flag answers the caller's default with reason `ERROR`, code
//!   `GENERAL`, logged once per flag and configuration.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

mod flagd;
mod flagship;
mod js_number;
mod murmur3;
mod options;
mod rule;
mod snapshot;
mod table;
mod value;

pub use flagd::FractionalVersion;
pub use flagship::MissingRolloutKey;
pub use options::{Budget, EngineOptions};
pub(crate) use snapshot::Snapshot;
#[cfg(feature = "http")]
pub(crate) use table::KeyTable;
pub(crate) use table::key_hash;
pub(crate) use value::Decoders;
pub use value::ObjectValue;

use crate::details::{ErrorCode, EvaluationError, FlagMetadata};
use crate::key::{FlagValueRef, ReadError};

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
    flag: String,
    message: String,
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
