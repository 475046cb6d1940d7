//! The compiled configuration: every flag with what a read of it gets, indexed by key.

use std::borrow::Cow;
use std::sync::Arc;

use flags_schema::{FlagState, Manifest};

use super::gofeatureflag::Decision;
use super::outcome::RuleFailure;
use super::rule::{Choice, Compiled, CompiledRule, FlagRule, Pick, RuleCompiler};
use super::table::KeyTable;
use super::value::CompiledValue;
use super::{CompileError, EngineOptions, Meta, Outcome, ReasonCode, Resolved, next_generation};
use crate::context::Context;
use crate::details::{ErrorCode, EvaluationError, FlagMetadata};
use crate::flag_value::Decoders;
use crate::key::{Fixed, FixedAnswer, FlagKey, KeySlot, key_hash};
use flags_schema::{Warning as LoadWarning, WarningKind};

/// A compiled configuration.
#[derive(Debug)]
pub(crate) struct Snapshot {
    /// In key order.
    flags: Vec<CompiledFlag>,
    table: KeyTable,
    /// Unique among the snapshots of this process (never 0): key slots cache indexes and
    /// fixed values per generation.
    generation: u64,
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
    /// The keys of the flags whose evaluations are not recorded as events (GO Feature Flag's
    /// `trackEvents: false`), sorted: off the path of reads.
    untracked: Box<[Arc<str>]>,
}

#[derive(Debug)]
pub(crate) struct CompiledFlag {
    key: Arc<str>,
    hash: u64,
    /// The scalar every read of the flag gets, if there is one: what its key's slot caches.
    fixed: FixedAnswer,
    /// What a read gets, decided when the configuration loads: the read copies it out without
    /// following another pointer.
    answer: Answer,
    /// Every variant (for targeting, and decoding object values at load).
    variants: Vec<Variant>,
    metadata: FlagMetadata,
}

/// What a read of a flag gets, decided when the configuration loads: a value, the caller's
/// default, a rule to run, or an error.
#[derive(Debug)]
enum Answer {
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
    /// The flag's rule decides the whole read (Flipt's), whatever the flag's state.
    Whole(Box<FlagRule>),
    /// The flag's targeting rule cannot be evaluated (PARSE_ERROR, with this message).
    Invalid(Arc<str>),
}

/// A targeting rule and what the flag serves when the rule chooses nothing.
#[derive(Debug)]
struct Targeted {
    rule: CompiledRule,
    /// The default variant's value (reason DEFAULT); `None`: the code default.
    fallback: Option<(CompiledValue, Option<Arc<str>>)>,
    /// Whether an evaluation exceeding the rule's budget has been logged (once per flag and
    /// configuration, not per evaluation).
    over_budget_logged: std::sync::atomic::AtomicBool,
}

impl Targeted {
    /// What the flag serves when its rule chooses nothing: the default variant, else the
    /// caller's default (reason DEFAULT).
    #[inline]
    fn default_outcome(&self) -> Outcome<'_> {
        match &self.fallback {
            Some((value, variant)) => Outcome::Value {
                value: value.as_ref(),
                variant: variant.as_ref(),
                reason: ReasonCode::Default,
            },
            None => Outcome::CodeDefault {
                reason: ReasonCode::Default,
            },
        }
    }
}

impl CompiledFlag {
    /// What a key's slot caches of this flag's answer, when every read gets the same one: a
    /// static flag's value (a scalar, or a short string) and, without metadata, what its
    /// details carry; a Flipt boolean flag's value when no context changes it (its reason is
    /// DEFAULT, not STATIC: values only).
    fn fixed_of(answer: &Answer, metadata: &FlagMetadata) -> FixedAnswer {
        match answer {
            Answer::Value { value, variant } => {
                let (scalar, text) = match value {
                    CompiledValue::Bool(b) => (Fixed::Bool(*b), None),
                    CompiledValue::Int(i) => (Fixed::Int(*i), None),
                    CompiledValue::Float(f) => (Fixed::Float(*f), None),
                    CompiledValue::Str(text) => (Fixed::None, Some(&**text)),
                    CompiledValue::Object(_) => (Fixed::None, None),
                };
                FixedAnswer::of_static(scalar, text, variant.as_deref(), metadata.is_empty())
            }
            Answer::Whole(rule) => {
                FixedAnswer::scalar(rule.constant().map_or(Fixed::None, Fixed::Bool))
            }
            _ => FixedAnswer::NONE,
        }
    }

    /// The value every read of this flag gets (reason `STATIC`), its variant and the flag's
    /// metadata, if there is one: what details of a static flag carry.
    #[inline(always)]
    pub(crate) fn static_answer(
        &self,
    ) -> Option<(
        crate::flag_value::FlagValueRef<'_>,
        Option<&Arc<str>>,
        &FlagMetadata,
    )> {
        match &self.answer {
            Answer::Value { value, variant } => {
                Some((value.as_ref(), variant.as_ref(), &self.metadata))
            }
            _ => None,
        }
    }

    /// The value every read of this flag gets (reason `STATIC`), if there is one.
    #[inline(always)]
    pub(crate) fn static_value(&self) -> Option<crate::flag_value::FlagValueRef<'_>> {
        match &self.answer {
            Answer::Value { value, .. } => Some(value.as_ref()),
            _ => None,
        }
    }
}

#[derive(Debug)]
struct Variant {
    name: Arc<str>,
    value: CompiledValue,
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
        let mut untracked = Vec::new();
        // What the rules share while they compile (flagd's: evaluators, and the budgets that
        // keep compiling linear).
        let mut rules = RuleCompiler::new(manifest);
        for (key, flag) in &manifest.flags {
            let fail = |message: String| CompileError {
                flag: key.clone(),
                message,
            };
            let shared_key: Arc<str> = Arc::from(key.as_str());
            if let Some(targeting) = &flag.targeting
                && targeting.dialect == flags_schema::Dialect::GoFeatureFlag
                && targeting.rule.pointer("/flag/trackEvents")
                    == Some(&serde_json::Value::Bool(false))
            {
                untracked.push(shared_key.clone());
            }
            let mut variants = Vec::with_capacity(flag.variants.len());
            for (name, value) in &flag.variants {
                let value = CompiledValue::variant(value, &shared_key, decoders);
                variants.push(Variant {
                    name: Arc::from(name.as_str()),
                    value,
                });
            }
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
            let mut metadata = manifest.metadata.clone();
            metadata.extend(flag.metadata.iter().map(|(k, v)| (k.clone(), v.clone())));
            let mut metadata = FlagMetadata::new(metadata);
            // A disabled flag's rule is not compiled: it is never evaluated (but in a dialect
            // whose rule decides what a disabled flag serves: Flipt's; GO Feature Flag's, where a
            // scheduled step may enable a flag and a missing key is reported before `disable`).
            let decides_disabled = flag
                .targeting
                .as_ref()
                .is_some_and(|t| RuleCompiler::decides_disabled(t.dialect));
            let rule = match &flag.targeting {
                Some(targeting) if flag.state == FlagState::Enabled || decides_disabled => rules
                    .compile(
                        targeting,
                        &shared_key,
                        &flag.variants,
                        &metadata,
                        decoders,
                        options,
                    ),
                _ => Ok(None),
            };
            let answer = match (rule, fallback) {
                (Ok(Some(Compiled::Flag(rule))), _) => Answer::Whole(Box::new(rule)),
                (
                    Ok(Some(Compiled::Fixed {
                        variant,
                        value,
                        metadata: own,
                    })),
                    _,
                ) => {
                    metadata = own;
                    Answer::Value {
                        value,
                        variant: Some(variant),
                    }
                }
                _ if flag.state == FlagState::Disabled && !decides_disabled => {
                    Answer::CodeDefault(ReasonCode::Disabled)
                }
                (Ok(Some(Compiled::Rule(rule))), fallback) => {
                    Answer::Targeted(Box::new(Targeted {
                        rule,
                        fallback,
                        over_budget_logged: std::sync::atomic::AtomicBool::new(false),
                    }))
                }
                (Err(message), _) => {
                    let warning = format!(
                        "the targeting rule cannot be evaluated: {message}; the flag answers \
                         `PARSE_ERROR`"
                    );
                    rule_failures.push(LoadWarning::new(
                        Some(key),
                        WarningKind::ParseError,
                        crate::message::cut(&warning, 300),
                    ));
                    Answer::Invalid(Arc::from(format!(
                        "the targeting rule of flag `{key}` cannot be evaluated: {message}"
                    )))
                }
                (Ok(None), Some((value, variant))) => Answer::Value { value, variant },
                (Ok(None), None) => Answer::CodeDefault(ReasonCode::Default),
            };
            flags.push(CompiledFlag {
                fixed: CompiledFlag::fixed_of(&answer, &metadata),
                hash: key_hash(&shared_key),
                key: shared_key,
                answer,
                variants,
                metadata,
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
            untracked: {
                untracked.sort();
                untracked.into_boxed_slice()
            },
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
            let served = match &flag.answer {
                Answer::Value { value, .. } => Some(value),
                _ => None,
            };
            for value in flag.variants.iter().map(|v| &v.value).chain(served) {
                if let CompiledValue::Object(object) = value {
                    decode(object);
                }
            }
            if let Answer::Whole(rule) = &flag.answer {
                rule.objects().into_iter().for_each(decode);
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
            untracked: Box::new([]),
        }
    }

    /// This snapshot, its successful reads reporting reason `STALE` (but `DISABLED`): for a
    /// configuration served from a persisted copy while the source cannot be reached.
    pub(crate) fn served_stale(mut self) -> Snapshot {
        self.stale = true;
        self
    }

    /// This snapshot, the flags of `broken` answering `PARSE_ERROR` with why: flags whose own
    /// definition was found broken when the configuration loaded
    /// (`flags_schema::Loaded::broken`), while the others serve.
    pub(crate) fn with_broken(
        mut self,
        broken: &std::collections::BTreeMap<String, String>,
    ) -> Snapshot {
        if broken.is_empty() {
            return self;
        }
        for flag in &mut self.flags {
            if let Some(why) = broken.get(&*flag.key) {
                flag.answer = Answer::Invalid(Arc::from(format!(
                    "flag `{}` cannot be evaluated: {why}",
                    flag.key
                )));
                flag.fixed = FixedAnswer::NONE;
            }
        }
        self
    }

    /// Whether `key` names a flag whose definition or rule could not be read or compiled (it
    /// answers `PARSE_ERROR`): the flags a remote fallback answers. Off the path of reads.
    pub(crate) fn cannot_compile<T>(&self, key: &FlagKey<T>) -> bool {
        self.get(key.key(), key.hash(), key.slot())
            .is_some_and(|flag| matches!(flag.answer, Answer::Invalid(_)))
    }

    /// Whether evaluations of `key` are recorded as evaluation events: every flag but GO
    /// Feature Flag's with `trackEvents: false` (an unknown flag too).
    pub(crate) fn tracks_events(&self, key: &str) -> bool {
        self.untracked.binary_search_by(|k| (**k).cmp(key)).is_err()
    }

    /// The reason a successful read from this snapshot reports for `code`.
    #[inline]
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
    /// this snapshot, else from the table (then cached).
    #[inline(always)]
    fn get(&self, key: &str, hash: u64, slot: Option<&KeySlot>) -> Option<&CompiledFlag> {
        if let Some(index) = slot.and_then(|slot| slot.get(self.generation))
            // A slot belongs to one key: the hash guards against an index torn by a writer.
            && let Some(flag) = self.flags.get(index).filter(|f| f.hash == hash)
        {
            return Some(flag);
        }
        let index = self.table.find(hash, |i| {
            self.flags.get(i).is_some_and(|f| same_key(&f.key, key))
        })?;
        let flag = self.flags.get(index)?;
        if let Some(slot) = slot {
            slot.set_fixed(self.generation, index, &flag.fixed, self.stale);
        }
        Some(flag)
    }

    /// The generation key slots cache this snapshot's indexes and fixed values under.
    #[inline(always)]
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// Resolves a key for `ctx`. Whether the value fits the requested type is for the reader.
    #[inline]
    pub(crate) fn resolve<T>(&self, key: &FlagKey<T>, ctx: &Context) -> Resolved<'_> {
        match self.find(key) {
            Some(flag) => self.resolve_flag(flag, ctx),
            None => self.missing(key.key()),
        }
    }

    /// The flag a key names, if this snapshot has it.
    #[inline]
    pub(crate) fn find<T>(&self, key: &FlagKey<T>) -> Option<&CompiledFlag> {
        self.get(key.key(), key.hash(), key.slot())
    }

    /// What a read of a key this snapshot has no flag for gets: the gate's error, or
    /// `FLAG_NOT_FOUND`.
    #[cold]
    #[inline(never)]
    pub(crate) fn missing(&self, key: &str) -> Resolved<'_> {
        // A gated snapshot has no flags: the gate is checked on this path only, off the
        // path of reads that find their flag.
        if let Some((code, message)) = &self.gate {
            return Resolved {
                resolution: Outcome::Error(EvaluationError::new(
                    *code,
                    Cow::Owned(message.to_string()),
                )),
                metadata: Meta::None,
            };
        }
        Resolved {
            resolution: Outcome::Error(EvaluationError::new(
                ErrorCode::FlagNotFound,
                format!("no flag `{key}` in the configuration"),
            )),
            // As flagd: the flag set's metadata.
            metadata: Meta::Flag(&self.set_metadata),
        }
    }

    /// Resolves a flag of this snapshot for `ctx`.
    #[inline(always)]
    pub(crate) fn resolve_flag<'s>(
        &'s self,
        flag: &'s CompiledFlag,
        ctx: &Context,
    ) -> Resolved<'s> {
        let mut metadata = Meta::Flag(&flag.metadata);
        let resolution = match &flag.answer {
            Answer::Value { value, variant } => Outcome::Value {
                value: value.as_ref(),
                variant: variant.as_ref(),
                reason: ReasonCode::Static,
            },
            Answer::CodeDefault(reason) => Outcome::CodeDefault { reason: *reason },
            Answer::Targeted(targeted) => {
                let (resolution, own) = self.evaluate(flag, targeted, ctx);
                if let Some(own) = own {
                    metadata = Meta::Flag(own);
                }
                resolution
            }
            Answer::Whole(rule) => Outcome::Deferred(&**rule),
            Answer::Invalid(message) => Outcome::Error(EvaluationError::new(
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

/// Whether two keys are equal: short keys compared a word at a time, inline (a call of
/// `memcmp` costs a read of a static flag a quarter of its instructions).
#[inline]
fn same_key(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    use super::bytes::{half, word};
    match a.len() {
        0..4 => a.iter().zip(b).all(|(x, y)| x == y),
        4..=8 => half(a, 0) == half(b, 0) && half(a, a.len() - 4) == half(b, b.len() - 4),
        9..=16 => word(a, 0) == word(b, 0) && word(a, a.len() - 8) == word(b, b.len() - 8),
        _ => a == b,
    }
}

impl Snapshot {
    /// Runs a flag's targeting rule and maps what it chooses to a variant: nothing chosen gives
    /// the default variant (reason DEFAULT) or the code default; the name of a variant gives it
    /// (TARGETING_MATCH); another name, or a failed evaluation, is an error (GENERAL).
    ///
    /// First the rule's fast path ([`CompiledRule::pick`]): a variant by index, the default, or
    /// a malformed rule, without the general path's closure; the general path when it cannot
    /// answer.
    #[inline]
    fn evaluate<'s>(
        &'s self,
        flag: &'s CompiledFlag,
        targeted: &'s Targeted,
        ctx: &Context,
    ) -> (Outcome<'s>, Option<&'s FlagMetadata>) {
        match targeted.rule.pick(&flag.key, ctx, &self.options) {
            Pick::Variant(i, reason) if let Some(variant) = flag.variants.get(i as usize) => {
                return (
                    Outcome::Value {
                        value: variant.value.as_ref(),
                        variant: Some(&variant.name),
                        reason,
                    },
                    None,
                );
            }
            Pick::Default => return (targeted.default_outcome(), None),
            Pick::Malformed(why) => return (malformed(flag, why), None),
            Pick::Decided(decision) => {
                return match decision {
                    Decision::Serve {
                        value,
                        reason,
                        metadata,
                    } => (
                        Outcome::Value {
                            value: value.1.as_ref(),
                            variant: Some(&value.0),
                            reason,
                        },
                        Some(metadata),
                    ),
                    Decision::CodeDefault { reason, metadata } => {
                        (Outcome::CodeDefault { reason }, Some(metadata))
                    }
                    Decision::Error {
                        code,
                        message,
                        metadata,
                    } => (
                        Outcome::Error(EvaluationError::new(code, message)),
                        Some(metadata),
                    ),
                };
            }
            Pick::Variant(..) | Pick::General => {}
        }
        self.evaluate_general(flag, targeted, ctx)
    }

    /// [`Snapshot::evaluate`] through the rule's general evaluation, out of line.
    #[inline(never)]
    fn evaluate_general<'s>(
        &'s self,
        flag: &'s CompiledFlag,
        targeted: &'s Targeted,
        ctx: &Context,
    ) -> (Outcome<'s>, Option<&'s FlagMetadata>) {
        let mut own = None;
        let chosen = targeted
            .rule
            .evaluate(&flag.key, ctx, &self.options, |choice, extra| {
                own = extra.map(|extra| extra.metadata);
                let (name, reason) = match choice {
                    Choice::Variant(_, reason)
                        if let Some((variant, value)) = extra.and_then(|extra| extra.value) =>
                    {
                        return Outcome::Value {
                            value: value.as_ref(),
                            variant: Some(variant),
                            reason,
                        };
                    }
                    Choice::Variant(name, reason) => (name, reason),
                    Choice::Malformed(why) => return malformed(flag, why),
                    Choice::CodeDefault(reason) => return Outcome::CodeDefault { reason },
                    Choice::Failed(code, message) => {
                        return Outcome::Error(EvaluationError::new(code, message));
                    }
                };
                match flag
                    .variants
                    .binary_search_by(|v| v.name.as_ref().cmp(name))
                {
                    Ok(i) => Outcome::Value {
                        value: flag.variants[i].value.as_ref(),
                        variant: Some(&flag.variants[i].name),
                        reason,
                    },
                    Err(_) => Outcome::Error(EvaluationError::new(
                        ErrorCode::General,
                        format!(
                            "the targeting rule of flag `{}` chose {}, which is not one of its \
                             variants",
                            flag.key,
                            // A name built from the context may be long.
                            crate::message::bounded(format_args!("`{name}`"))
                        ),
                    )),
                }
            });
        let resolution = match chosen {
            Ok(Some(resolution)) => resolution,
            Ok(None) => targeted.default_outcome(),
            Err(RuleFailure::OverBudget) => over_budget(flag, targeted, &self.options),
            Err(RuleFailure::Failed(reason)) => Outcome::Error(EvaluationError::new(
                ErrorCode::General,
                format!("the targeting rule of flag `{}` failed: {reason}", flag.key),
            )),
        };
        (resolution, own)
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
) -> Outcome<'s> {
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
    Outcome::Error(EvaluationError::new(ErrorCode::General, message))
}

/// A rule whose part the evaluation reached is malformed (a Flagship rule serving a variation
/// that does not exist): the caller's default with PARSE_ERROR.
#[cold]
#[inline(never)]
fn malformed<'s>(flag: &CompiledFlag, why: &str) -> Outcome<'s> {
    Outcome::Error(EvaluationError::new(
        ErrorCode::ParseError,
        format!(
            "the targeting rule of flag `{}` cannot be evaluated: {why}",
            flag.key
        ),
    ))
}
