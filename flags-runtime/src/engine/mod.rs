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
//! | `table.rs` | the key index over the key hashes that `FlagKey`s carry (`crate::key::key_hash`) |
//! | `value.rs` | flag values as the snapshot holds them (object values and their decodes are `crate::flag_value`) |
//! | `options.rs` | [`EngineOptions`], the evaluation [`Budget`], [`FractionalVersion`] |
//! | `outcome.rs` | what a read answers ([`Outcome`]), a [`CompileError`] |
//! | `rule.rs` | the seam to the rule dialects: [`CompiledRule`](rule::CompiledRule), one variant per dialect |
//! | `flagd/` | flagd's dialect (JSON Logic and flagd's operators): compiler and evaluator |
//! | `flagship/` | Cloudflare Flagship's rules: compiler and evaluator |
//! | `gofeatureflag/` | GO Feature Flag's flags (query language, splits, scheduled rollouts): compiler and evaluator |
//! | `murmur3.rs`, `js_number.rs` | what dialects share: the seeded MurmurHash3, JavaScript's number text |
//! | `flipt/` | Flipt's dialect (a namespace snapshot's rules and rollouts): compiler and evaluator |
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
//! - A Flipt rule (`flipt/`) has no loops: a read visits each rule, rollout, segment and
//!   constraint at most once, at most 64 segments a rule.
//! - Evaluating a rule without iterations visits each node once: its cost is bounded by the
//!   sizes of the rule and the context, and nothing meters it. A rule with an iteration (or a
//!   shared evaluator) is evaluated against a [`Budget`] fixed at load (default 100,000 steps
//!   and 1 MiB built); past it the flag answers the caller's default with reason `ERROR`, code
//!   `GENERAL`, logged once per flag and configuration.

mod bytes;
mod flagd;
mod flagship;
mod flipt;
mod gofeatureflag;
mod js_number;
mod murmur3;
mod options;
mod outcome;
mod rule;
mod snapshot;
mod table;
mod value;

#[cfg(fuzzing)]
pub(crate) use flagd::check_specialised as check_flagd_specialised;
pub use flagship::MissingRolloutKey;
#[cfg(fuzzing)]
pub(crate) use gofeatureflag::check_specialised as check_gofeatureflag_specialised;
pub use options::{Budget, Clock, EngineOptions, FractionalVersion};
pub use outcome::CompileError;
pub(crate) use outcome::{
    Meta, Outcome, ReasonCode, Resolved, Served, WholeRule, next_generation, type_mismatch,
};
pub(crate) use snapshot::Snapshot;
#[cfg(feature = "http")]
pub(crate) use table::KeyTable;
