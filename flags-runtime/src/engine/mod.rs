//! In-process evaluation: flag definitions compiled into an immutable, indexed snapshot.
//!
//! A configuration is compiled once when it arrives; evaluation reads the snapshot without
//! locks and, for scalar flags, without allocating.
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

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use arc_swap::ArcSwap;

use flags_schema::{FlagState, Manifest};

mod rules;
mod table;

pub use rules::{Budget, EngineOptions, FractionalVersion};
use rules::{Library, Rule};
pub(crate) use table::KeyTable;
pub use table::key_hash;

use crate::context::Context;
use crate::details::{ErrorCode, EvaluationError, FlagMetadata};
use crate::events::{LoadWarning, WarningKind};
use crate::key::{FlagKey, FlagValue, FlagValueRef, KeySlot, ReadError};

/// A compiled configuration.
#[derive(Debug)]
pub(crate) struct Snapshot {
    /// In key order.
    flags: Vec<CompiledFlag>,
    table: KeyTable,
    /// Unique among the snapshots of this process (never 0): key slots cache indexes per
    /// generation.
    generation: u32,
    /// Set when the provider cannot serve at all (not ready yet, or fatally failed): every
    /// read answers the caller's default with this error code and message.
    gate: Option<(ErrorCode, Arc<str>)>,
    /// Set on a snapshot served from a persisted copy while the source is unreachable:
    /// successful reads report reason `STALE` (see [`Snapshot::reason`]).
    stale: bool,
    options: EngineOptions,
    /// The flag-set metadata, which a read of an unknown flag answers with.
    set_metadata: FlagMetadata,
    /// The flags whose rule cannot be compiled, as load warnings.
    rule_failures: Vec<LoadWarning>,
}

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

#[derive(Debug)]
struct CompiledFlag {
    key: Arc<str>,
    hash: u64,
    /// What a read gets, decided when the configuration loads: the read copies it out without
    /// following another pointer.
    served: Served,
    /// Every variant (for targeting, and decoding object values at load).
    variants: Vec<Variant>,
    metadata: FlagMetadata,
}

/// The outcome of reading a flag that no rule decides.
#[derive(Debug)]
enum Served {
    /// A value: the default variant's (reason STATIC), or a default without variant.
    Value {
        value: CompiledValue,
        variant: Option<Arc<str>>,
    },
    /// The caller's default, successfully: a disabled flag (DISABLED) or one that defers to
    /// the code (DEFAULT).
    CodeDefault(ReasonCode),
    /// The flag has a targeting rule, evaluated per read.
    Targeted(Box<Targeted>),
    /// The flag's targeting rule cannot be evaluated (PARSE_ERROR, with this message).
    Invalid(Arc<str>),
}

/// A targeting rule and what the flag serves when the rule gives null.
#[derive(Debug)]
struct Targeted {
    rule: Rule,
    /// The default variant's value (reason DEFAULT); `None`: the code default.
    fallback: Option<(CompiledValue, Option<Arc<str>>)>,
    /// Whether an evaluation exceeding the rule's budget has been logged (once per flag and
    /// configuration, not per evaluation).
    over_budget_logged: std::sync::atomic::AtomicBool,
}

#[derive(Debug)]
struct Variant {
    name: Arc<str>,
    value: CompiledValue,
}

#[derive(Debug, Clone)]
enum CompiledValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Arc<str>),
    /// Shared, so that the served value and its variant share one decode cache.
    Object(Arc<ObjectValue>),
}

/// An object flag value, with what it has been decoded into: each Rust type it is read as is
/// decoded once per configuration, so that an object read costs a clone, and a value that does
/// not fit the type is reported once (with the serde path of the problem), not per read.
pub struct ObjectValue {
    json: serde_json::Value,
    /// The flag it belongs to and the provider's registry of decoders, so that a type read
    /// once is decoded eagerly in every later configuration.
    flag: Arc<str>,
    decoders: Arc<Decoders>,
    /// `(type, Result<T, message>)` per type read so far. Appended by copy-on-write, read
    /// lock-free.
    decoded: ArcSwap<Vec<(TypeId, Arc<dyn Any + Send + Sync>)>>,
}

impl std::fmt::Debug for ObjectValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectValue")
            .field("json", &self.json)
            .finish_non_exhaustive()
    }
}

type Decoded<T> = Result<T, Arc<str>>;

/// Decodes an object value as `T` into its cache.
fn prewarm<T: FlagValue>(value: &ObjectValue) {
    let _ = value.decode::<T>();
}

/// Which flags have been read as which object types, by one provider: each new configuration
/// decodes them when it loads, so that a value that does not fit is reported then, once.
#[derive(Default)]
pub(crate) struct Decoders {
    entries: std::sync::Mutex<Vec<Decoder>>,
}

/// A flag, a type it was read as, and the function decoding a value as that type.
type Decoder = (Arc<str>, TypeId, fn(&ObjectValue));

impl Decoders {
    /// Cold: runs once per flag and type, on the first decode.
    fn register(&self, flag: &Arc<str>, id: TypeId, decode: fn(&ObjectValue)) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !entries.iter().any(|(f, t, _)| f == flag && *t == id) {
            entries.push((flag.clone(), id, decode));
        }
    }

    fn snapshot(&self) -> Vec<Decoder> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

impl ObjectValue {
    pub(crate) fn new(
        json: serde_json::Value,
        flag: Arc<str>,
        decoders: Arc<Decoders>,
    ) -> ObjectValue {
        ObjectValue {
            json,
            flag,
            decoders,
            decoded: ArcSwap::from_pointee(Vec::new()),
        }
    }

    /// The object as JSON.
    pub fn json(&self) -> &serde_json::Value {
        &self.json
    }

    /// The object as `T`, decoded on first use and cached.
    pub(crate) fn decode<T: FlagValue>(&self) -> Result<T, ReadError> {
        let id = TypeId::of::<T>();
        if let Some(hit) = self.cached::<T>(id) {
            return hit;
        }
        let decoded: Decoded<T> = serde_path_to_error::deserialize(&self.json).map_err(|e| {
            // The path (keys of the object) and serde's message (which quotes the value) are
            // bounded; the type name is the caller's.
            let message = if e.path().iter().next().is_none() {
                format!(
                    "the value does not fit `{}`: {}",
                    std::any::type_name::<T>(),
                    crate::message::bounded(e.inner())
                )
            } else {
                format!(
                    "the value does not fit `{}` at {}: {}",
                    std::any::type_name::<T>(),
                    crate::message::bounded(format_args!("`{}`", e.path())),
                    crate::message::bounded(e.inner())
                )
            };
            Arc::from(message)
        });
        if let Err(message) = &decoded {
            tracing::warn!(target: "flags", flag = %self.flag, "object flag value cannot be read: {message}");
        }
        self.decoders.register(&self.flag, id, prewarm::<T>);
        let entry: Arc<dyn Any + Send + Sync> = Arc::new(decoded.clone());
        self.decoded.rcu(|current| {
            let mut next = Vec::clone(current);
            if !next.iter().any(|(t, _)| *t == id) {
                next.push((id, entry.clone()));
            }
            next
        });
        decoded.map_err(|m| ReadError(Cow::Owned(m.to_string())))
    }

    fn cached<T: FlagValue>(&self, id: TypeId) -> Option<Result<T, ReadError>> {
        let cache = self.decoded.load();
        let (_, entry) = cache.iter().find(|(t, _)| *t == id)?;
        let decoded = entry.downcast_ref::<Decoded<T>>()?;
        Some(
            decoded
                .clone()
                .map_err(|m| ReadError(Cow::Owned(m.to_string()))),
        )
    }
}

impl CompiledValue {
    fn compile(
        value: &serde_json::Value,
        flag: &Arc<str>,
        decoders: &Arc<Decoders>,
    ) -> Option<CompiledValue> {
        use serde_json::Value as J;
        Some(match value {
            J::Bool(b) => CompiledValue::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => CompiledValue::Int(i),
                None => {
                    let f = n.as_f64()?;
                    // An integral float that fits i64 reads as an integer too.
                    if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 {
                        CompiledValue::Int(f as i64)
                    } else {
                        CompiledValue::Float(f)
                    }
                }
            },
            J::String(s) => CompiledValue::Str(Arc::from(s.as_str())),
            J::Object(_) => CompiledValue::Object(Arc::new(ObjectValue::new(
                value.clone(),
                flag.clone(),
                decoders.clone(),
            ))),
            J::Array(_) | J::Null => return None,
        })
    }

    /// A variant's value: as [`CompiledValue::compile`], and an array or null (which a flagd
    /// file may hold, and flagd serves as a structured value) as an [`ObjectValue`], which a
    /// read decodes into its type (a typed read of another type answers `TYPE_MISMATCH`).
    fn variant(
        value: &serde_json::Value,
        flag: &Arc<str>,
        decoders: &Arc<Decoders>,
    ) -> CompiledValue {
        CompiledValue::compile(value, flag, decoders).unwrap_or_else(|| {
            CompiledValue::Object(Arc::new(ObjectValue::new(
                value.clone(),
                flag.clone(),
                decoders.clone(),
            )))
        })
    }

    fn as_ref(&self) -> FlagValueRef<'_> {
        match self {
            CompiledValue::Bool(b) => FlagValueRef::Bool(*b),
            CompiledValue::Int(i) => FlagValueRef::Int(*i),
            CompiledValue::Float(f) => FlagValueRef::Float(*f),
            CompiledValue::Str(s) => FlagValueRef::Str(s.as_ref()),
            CompiledValue::Object(o) => FlagValueRef::Object(o),
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
}

/// The outcome of resolving one flag, borrowing from the snapshot.
#[derive(Debug)]
pub(crate) enum Resolution<'s> {
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
    pub(crate) resolution: Resolution<'s>,
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

impl Snapshot {
    /// Compiles a manifest. A targeting rule that cannot be compiled (an unknown operator, a
    /// `$ref` to no evaluator) does not fail the configuration: its flag answers PARSE_ERROR,
    /// as flagd's does, and [`Snapshot::rule_failures`] lists it. A malformed call of flagd's
    /// operators compiles to what flagd evaluates it to (null, mostly). Rules and values
    /// nesting past [`flags_schema::MAX_NESTING`] fail it.
    pub(crate) fn compile(
        manifest: &Manifest,
        decoders: &Arc<Decoders>,
        options: &EngineOptions,
    ) -> Result<Snapshot, CompileError> {
        if u32::try_from(manifest.flags.len()).is_err() {
            return Err(CompileError {
                flag: String::new(),
                message: "more flags than this version can index".to_owned(),
            });
        }
        // Checked here whatever read the configuration: compiling and evaluating recurse as
        // deep as rules nest.
        if let Err(error) = manifest.check_nesting("") {
            return Err(CompileError {
                flag: error.flag_key().unwrap_or_default().to_owned(),
                message: error
                    .problem()
                    .map_or_else(|| error.to_string(), ToString::to_string),
            });
        }
        let mut flags = Vec::with_capacity(manifest.flags.len());
        let mut rule_failures = Vec::new();
        // Shared by the rules: evaluators, and the budgets that keep compiling linear.
        let mut library = Library::new(&manifest.evaluators);
        for (key, flag) in &manifest.flags {
            let fail = |message: String| CompileError {
                flag: key.clone(),
                message,
            };
            let shared_key: Arc<str> = Arc::from(key.as_str());
            let mut variants = Vec::with_capacity(flag.variants.len());
            for (name, value) in &flag.variants {
                let value = CompiledValue::variant(value, &shared_key, decoders);
                variants.push(Variant {
                    name: Arc::from(name.as_str()),
                    value,
                });
            }
            // As flagd: `{}`, `[]`, `""`, numbers and booleans are no rule.
            let targeted = flag
                .targeting
                .as_ref()
                .is_some_and(|t| flags_schema::flagd::has_rule(&t.rule));
            let fallback = match (&flag.default_variant, &flag.default) {
                (Some(name), _) => {
                    let variant = variants.iter().find(|v| &*v.name == name).ok_or_else(|| {
                        fail(format!("default variant `{name}` is not a variant"))
                    })?;
                    Some((variant.value.clone(), Some(variant.name.clone())))
                }
                (None, Some(value)) => Some((
                    CompiledValue::compile(value, &shared_key, decoders)
                        .ok_or_else(|| fail("the default is not a flag value".to_owned()))?,
                    None,
                )),
                (None, None) => None,
            };
            let served = match (&flag.targeting, fallback) {
                _ if flag.state == FlagState::Disabled => Served::CodeDefault(ReasonCode::Disabled),
                (Some(rule), fallback) if targeted => {
                    match Rule::compile_in(&rule.rule, &mut library, options) {
                        Ok(rule) => Served::Targeted(Box::new(Targeted {
                            rule,
                            fallback,
                            over_budget_logged: std::sync::atomic::AtomicBool::new(false),
                        })),
                        Err(message) => {
                            let warning = format!(
                                "the targeting rule cannot be evaluated: {message}; the flag \
                                 answers `PARSE_ERROR`"
                            );
                            rule_failures.push(LoadWarning::new(
                                Some(key),
                                WarningKind::ParseError,
                                crate::message::cut(&warning, 300),
                            ));
                            Served::Invalid(Arc::from(format!(
                                "the targeting rule of flag `{key}` cannot be evaluated: {message}"
                            )))
                        }
                    }
                }
                (_, Some((value, variant))) => Served::Value { value, variant },
                (_, None) => Served::CodeDefault(ReasonCode::Default),
            };
            let mut metadata = manifest.metadata.clone();
            metadata.extend(flag.metadata.iter().map(|(k, v)| (k.clone(), v.clone())));
            flags.push(CompiledFlag {
                hash: key_hash(&shared_key),
                key: shared_key,
                served,
                variants,
                metadata: FlagMetadata::new(metadata),
            });
        }
        let table = KeyTable::build(flags.iter().map(|f| f.hash));
        let snapshot = Snapshot {
            flags,
            table,
            generation: next_generation(),
            gate: None,
            stale: false,
            options: *options,
            set_metadata: FlagMetadata::new(manifest.metadata.clone()),
            rule_failures,
        };
        snapshot.prewarm(decoders);
        Ok(snapshot)
    }

    /// One warning per flag whose targeting rule cannot be compiled (it answers
    /// `PARSE_ERROR`), in key order.
    pub(crate) fn rule_failures(&self) -> &[LoadWarning] {
        &self.rule_failures
    }

    /// Decodes every object value of a flag as each type it was read as before, so that a value
    /// that does not fit is reported now, when the configuration loads.
    fn prewarm(&self, decoders: &Decoders) {
        for (key, _, decode) in decoders.snapshot() {
            let Some(flag) = self.get(&key, key_hash(&key), None) else {
                continue;
            };
            let served = match &flag.served {
                Served::Value { value, .. } => Some(value),
                _ => None,
            };
            for value in flag.variants.iter().map(|v| &v.value).chain(served) {
                if let CompiledValue::Object(object) = value {
                    decode(object);
                }
            }
        }
    }

    /// A snapshot without flags whose every read fails with `code`: `PROVIDER_NOT_READY`
    /// before the first configuration arrives, `PROVIDER_FATAL` after an unrecoverable error.
    pub(crate) fn gated(code: ErrorCode, message: impl Into<Arc<str>>) -> Snapshot {
        Snapshot {
            flags: Vec::new(),
            table: KeyTable::build(std::iter::empty()),
            generation: next_generation(),
            gate: Some((code, message.into())),
            stale: false,
            options: EngineOptions::default(),
            set_metadata: FlagMetadata::empty(),
            rule_failures: Vec::new(),
        }
    }

    /// This snapshot, its successful reads reporting reason `STALE` (but `DISABLED`): for a
    /// configuration served from a persisted copy while the source cannot be reached.
    pub(crate) fn served_stale(mut self) -> Snapshot {
        self.stale = true;
        self
    }

    /// The reason a successful read from this snapshot reports for `code`.
    pub(crate) fn reason(&self, code: ReasonCode) -> crate::details::Reason {
        if self.stale && code != ReasonCode::Disabled {
            crate::details::Reason::Stale
        } else {
            code.into()
        }
    }

    /// The number of flags.
    pub(crate) fn len(&self) -> usize {
        self.flags.len()
    }

    /// The flag `key`, whose hash is `hash`: from the key's slot when it cached the index for
    /// this snapshot (one atomic load), else from the table (then cached).
    #[inline]
    fn get(&self, key: &str, hash: u64, slot: Option<&KeySlot>) -> Option<&CompiledFlag> {
        if let Some(index) = slot.and_then(|slot| slot.get(self.generation)) {
            // A slot belongs to one key: the hash guards against a generation that wrapped.
            if let Some(flag) = self.flags.get(index).filter(|f| f.hash == hash) {
                return Some(flag);
            }
        }
        let index = self
            .table
            .find(hash, |i| self.flags.get(i).is_some_and(|f| &*f.key == key))?;
        if let Some(slot) = slot {
            slot.set(self.generation, index);
        }
        self.flags.get(index)
    }

    /// Resolves a key for `ctx`. Whether the value fits the requested type is for the reader.
    #[inline]
    pub(crate) fn resolve<T>(&self, key: &FlagKey<T>, ctx: &Context) -> Resolved<'_> {
        let (hash, slot) = (key.hash(), key.slot());
        let key = key.key();
        let Some(flag) = self.get(key, hash, slot) else {
            // A gated snapshot has no flags: the gate is checked on this path only, off the
            // path of reads that find their flag.
            if let Some((code, message)) = &self.gate {
                return Resolved {
                    resolution: Resolution::Error(EvaluationError::new(
                        *code,
                        Cow::Owned(message.to_string()),
                    )),
                    metadata: None,
                };
            }
            return Resolved {
                resolution: Resolution::Error(EvaluationError::new(
                    ErrorCode::FlagNotFound,
                    format!("no flag `{key}` in the configuration"),
                )),
                // As flagd: the flag set's metadata.
                metadata: Some(&self.set_metadata),
            };
        };
        let metadata = Some(&flag.metadata);
        let resolution = match &flag.served {
            Served::Value { value, variant } => Resolution::Value {
                value: value.as_ref(),
                variant: variant.as_ref(),
                reason: ReasonCode::Static,
            },
            Served::CodeDefault(reason) => Resolution::CodeDefault { reason: *reason },
            Served::Targeted(targeted) => self.evaluate(flag, targeted, ctx),
            Served::Invalid(message) => Resolution::Error(EvaluationError::new(
                ErrorCode::ParseError,
                Cow::Owned(message.to_string()),
            )),
        };
        Resolved {
            resolution,
            metadata,
        }
    }
}

impl Snapshot {
    /// Runs a flag's targeting rule and maps its result to a variant (flagd's rules): null
    /// gives the default variant (reason DEFAULT) or the code default; a string, or a boolean
    /// or number written as one, naming a variant gives it (TARGETING_MATCH); anything else is
    /// an error (GENERAL).
    #[inline]
    fn evaluate<'s>(
        &'s self,
        flag: &'s CompiledFlag,
        targeted: &'s Targeted,
        ctx: &Context,
    ) -> Resolution<'s> {
        let result = match targeted.rule.evaluate(&flag.key, ctx, &self.options) {
            Ok(result) => result,
            Err(rules::EXCEEDED) => return over_budget(flag, targeted, &self.options),
            Err(thrown) => {
                return Resolution::Error(EvaluationError::new(
                    ErrorCode::General,
                    format!(
                        "the targeting rule of flag `{}` failed: {}",
                        flag.key, thrown.0
                    ),
                ));
            }
        };
        if matches!(result, rules::Val::Null | rules::Val::Undefined) {
            return match &targeted.fallback {
                Some((value, variant)) => Resolution::Value {
                    value: value.as_ref(),
                    variant: variant.as_ref(),
                    reason: ReasonCode::Default,
                },
                None => Resolution::CodeDefault {
                    reason: ReasonCode::Default,
                },
            };
        }
        rules::variant_name(&result, |name| {
            match flag
                .variants
                .binary_search_by(|v| v.name.as_ref().cmp(name))
            {
                Ok(i) => Resolution::Value {
                    value: flag.variants[i].value.as_ref(),
                    variant: Some(&flag.variants[i].name),
                    reason: ReasonCode::TargetingMatch,
                },
                Err(_) => Resolution::Error(EvaluationError::new(
                    ErrorCode::General,
                    format!(
                        "the targeting rule of flag `{}` chose {}, which is not one of its variants",
                        flag.key,
                        // A name built from the context may be long.
                        crate::message::bounded(format_args!("`{name}`"))
                    ),
                )),
            }
        })
    }
}

/// A rule that exceeded its evaluation budget: the caller's default with GENERAL, logged once
/// per flag and configuration.
#[cold]
#[inline(never)]
fn over_budget<'s>(
    flag: &CompiledFlag,
    targeted: &Targeted,
    options: &EngineOptions,
) -> Resolution<'s> {
    let message = format!(
        "the targeting rule of flag `{}` exceeded its evaluation budget ({} steps, {} bytes \
         built); see `EngineOptions::budget`",
        flag.key, options.budget.steps, options.budget.bytes
    );
    if !targeted
        .over_budget_logged
        .swap(true, std::sync::atomic::Ordering::Relaxed)
    {
        tracing::warn!(target: "flags", flag = %flag.key, "{message}");
    }
    Resolution::Error(EvaluationError::new(ErrorCode::General, message))
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
        }
    }
}
