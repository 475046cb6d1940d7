//! The seam between the engine and the rule dialects: a flag's targeting rule is compiled by
//! its dialect's compiler into a [`CompiledRule`], and a read runs it through one `match`.
//!
//! The snapshot, its key table and the key slots know nothing of a dialect; each dialect has a
//! folder of its own (`flagd/`, `flagship/`, `flipt/`) with its compiler and evaluator. Adding
//! a dialect adds a variant to [`CompiledRule`], a field to [`RuleCompiler`] for what its rules
//! share while a configuration compiles, and an arm to each `match` below. A dialect whose rule
//! decides the whole read (values, reasons, metadata, what a disabled flag serves: Flipt's)
//! adds a variant to [`FlagRule`] instead.

use std::collections::BTreeMap;
use std::sync::Arc;

use flags_schema::{Dialect, Manifest, Targeting};

use super::flagd;
use super::flagship;
use super::flipt;
use super::gofeatureflag;
use super::outcome::{Resolved, RuleFailure, Served, WholeRule};
use super::value::CompiledValue;
use super::{EngineOptions, ReasonCode};
use crate::context::Context;
use crate::details::{ErrorCode, FlagMetadata};
use crate::flag_value::{Decoders, ObjectValue};

/// A targeting rule, compiled by its dialect's compiler.
#[derive(Debug)]
pub(crate) enum CompiledRule {
    /// A flagd rule: JSON Logic with flagd's operators.
    Flagd(flagd::Rule),
    /// Cloudflare Flagship's rules.
    Flagship(flagship::Rules),
    /// A GO Feature Flag flag: its rules, default rule and scheduled steps.
    GoFeatureFlag(Box<gofeatureflag::Flag>),
}

/// What a rule chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Choice<'r> {
    /// The variant of this name, and why (TARGETING_MATCH or SPLIT).
    Variant(&'r str, ReasonCode),
    /// The part of the rule the evaluation reached is malformed: the flag answers
    /// `PARSE_ERROR`, for this reason.
    Malformed(&'r str),
    /// The caller's default, successfully, for this reason (GO Feature Flag: a disabled flag,
    /// a variation without value).
    CodeDefault(ReasonCode),
    /// The caller's default with this error code and message.
    Failed(ErrorCode, &'static str),
}

/// What a rule's fast path picks ([`CompiledRule::pick`]): a variant resolved to its index
/// when the rule loaded (found without comparing names), or what else decided the read.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Pick<'r> {
    /// The variant at this index of the flag's variants (sorted by name), for this reason.
    Variant(u32, ReasonCode),
    /// Nothing: the flag serves its default (reason DEFAULT).
    Default,
    /// The part of the rule the evaluation reached is malformed (`PARSE_ERROR`, for this
    /// reason).
    Malformed(&'r str),
    /// What a GO Feature Flag flag decided: a value with the metadata of the rule that chose.
    Decided(gofeatureflag::Decision<'r>),
    /// The general evaluation decides: [`CompiledRule::evaluate`].
    General,
}

/// What a rule that answers more than a variant name adds to its choice (GO Feature Flag's):
/// the metadata of the rule that chose, and the variant's value (a scheduled step may change
/// it), so that the variant need not be looked up by name.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Own<'r> {
    pub(crate) metadata: &'r FlagMetadata,
    pub(crate) value: Option<&'r (Arc<str>, CompiledValue)>,
}

/// A rule that decides the whole read of its flag, whatever the flag's state: Flipt's, whose
/// boolean flags evaluate their rollouts even when disabled and whose disabled variant flags
/// serve their default variant.
#[derive(Debug)]
pub(crate) enum FlagRule {
    /// A flag of Flipt's namespace snapshot.
    Flipt(flipt::Flag),
}

impl FlagRule {
    /// The boolean every read of the flag's value gets, whatever the context, if there is one.
    pub(crate) fn constant(&self) -> Option<bool> {
        match self {
            FlagRule::Flipt(flag) => flag.constant(),
        }
    }
}

impl WholeRule for FlagRule {
    fn resolve<'s>(&'s self, ctx: &Context) -> Resolved<'s> {
        match self {
            FlagRule::Flipt(flag) => flag.resolve(ctx),
        }
    }

    fn serve<'s>(&'s self, ctx: &Context) -> Served<'s> {
        match self {
            FlagRule::Flipt(flag) => flag.serve(ctx),
        }
    }
}

impl FlagRule {
    /// The object values the rule may serve (Flipt's attachments), to decode them when the
    /// configuration loads.
    pub(crate) fn objects(&self) -> Vec<&ObjectValue> {
        match self {
            FlagRule::Flipt(flag) => flag.attachments(),
        }
    }
}

/// A compiled targeting rule: one that chooses a variant, or one that decides the whole read.
pub(crate) enum Compiled {
    Rule(CompiledRule),
    Flag(FlagRule),
    /// A rule that always serves this variant, with this metadata (a GO Feature Flag flag
    /// with a default rule only): served as a static flag.
    Fixed {
        variant: Arc<str>,
        value: CompiledValue,
        metadata: FlagMetadata,
    },
}

/// What the rules of one configuration share while they compile, per dialect (flagd's: the
/// evaluators, and the budgets that keep compiling linear in the configuration).
pub(crate) struct RuleCompiler<'e> {
    flagd: flagd::Library<'e>,
}

impl<'e> RuleCompiler<'e> {
    /// The compilers of the rules of `manifest`.
    pub(crate) fn new(manifest: &'e Manifest) -> RuleCompiler<'e> {
        RuleCompiler {
            flagd: flagd::Library::new(&manifest.evaluators),
        }
    }

    /// Whether rules of `dialect` are compiled for disabled flags too (they decide what a
    /// disabled flag serves).
    pub(crate) fn decides_disabled(dialect: Dialect) -> bool {
        matches!(dialect, Dialect::Flipt | Dialect::GoFeatureFlag)
    }

    /// Compiles the targeting of flag `key` (with its `variants` and `metadata`). `Ok(None)`
    /// when its dialect reads it as no rule (flagd: `{}`, `[]`, `""`, numbers, booleans;
    /// Flagship: no rules): the flag serves its default variant. `Err` is a sentence saying why
    /// the rule cannot be evaluated (the flag answers `PARSE_ERROR`).
    pub(crate) fn compile(
        &mut self,
        targeting: &'e Targeting,
        key: &Arc<str>,
        variants: &BTreeMap<String, serde_json::Value>,
        metadata: &FlagMetadata,
        decoders: &Arc<Decoders>,
        options: &EngineOptions,
    ) -> Result<Option<Compiled>, String> {
        match targeting.dialect {
            Dialect::Flagd => {
                if !flags_schema::flagd::has_rule(&targeting.rule) {
                    return Ok(None);
                }
                flagd::Rule::compile_in(&targeting.rule, &mut self.flagd, options).map(
                    |mut rule| {
                        rule.specialise(key, variants, options);
                        Some(Compiled::Rule(CompiledRule::Flagd(rule)))
                    },
                )
            }
            Dialect::Flagship => flagship::compile(key, &targeting.rule, variants).map(|rules| {
                (!rules.is_empty()).then_some(Compiled::Rule(CompiledRule::Flagship(rules)))
            }),
            Dialect::Flipt => flipt::Flag::compile(&targeting.rule, key, metadata, decoders)
                .map(|flag| Some(Compiled::Flag(FlagRule::Flipt(flag)))),
            Dialect::GoFeatureFlag => {
                gofeatureflag::compile(key, &targeting.rule, options, decoders).map(|flag| {
                    Some(match flag.constant() {
                        Some(((variant, value), metadata)) => Compiled::Fixed {
                            variant: variant.clone(),
                            value: value.clone(),
                            metadata: metadata.clone(),
                        },
                        None => Compiled::Rule(CompiledRule::GoFeatureFlag(Box::new(flag))),
                    })
                })
            }
            other => Err(format!(
                "it is written in `{other}`, which this version of the engine cannot evaluate"
            )),
        }
    }
}

impl CompiledRule {
    /// The fast path of a read: what the rule picks for `ctx` when its dialect can answer
    /// with a variant's index (a flagd rule of a specialised shape, Flagship's rules) or a
    /// value (GO Feature Flag's), else [`Pick::General`]. Whatever it answers, [`CompiledRule::evaluate`] answers the same.
    #[inline]
    pub(crate) fn pick(&self, flag_key: &str, ctx: &Context, options: &EngineOptions) -> Pick<'_> {
        match self {
            CompiledRule::Flagd(rule) => rule.pick(flag_key, ctx, options),
            CompiledRule::Flagship(rules) => match rules.decide(ctx, options.missing_rollout_key) {
                Some(flagship::Decision::Serve { index, split, .. }) => Pick::Variant(
                    index,
                    if split {
                        ReasonCode::Split
                    } else {
                        ReasonCode::TargetingMatch
                    },
                ),
                Some(flagship::Decision::Malformed(why)) => Pick::Malformed(why),
                None => Pick::Default,
            },
            CompiledRule::GoFeatureFlag(flag) => {
                Pick::Decided(flag.decide(flag_key, ctx, options.clock))
            }
        }
    }

    /// Runs the rule for `flag_key` and `ctx`: `Ok(None)` when it decides nothing (the flag
    /// serves its default), else `choose` of what it picks, with the metadata of the rule that
    /// picked when it has its own (GO Feature Flag's `evaluatedRuleName`).
    #[inline]
    pub(crate) fn evaluate<'r, R>(
        &'r self,
        flag_key: &str,
        ctx: &Context,
        options: &EngineOptions,
        choose: impl FnOnce(Choice<'_>, Option<Own<'r>>) -> R,
    ) -> Result<Option<R>, RuleFailure> {
        match self {
            CompiledRule::Flagd(rule) => rule.choose(flag_key, ctx, options, |name| {
                choose(Choice::Variant(name, ReasonCode::TargetingMatch), None)
            }),
            CompiledRule::GoFeatureFlag(flag) => {
                let own = |metadata, value| Some(Own { metadata, value });
                Ok(Some(match flag.decide(flag_key, ctx, options.clock) {
                    gofeatureflag::Decision::Serve {
                        value,
                        reason,
                        metadata,
                    } => choose(
                        Choice::Variant(&value.0, reason),
                        own(metadata, Some(value)),
                    ),
                    gofeatureflag::Decision::CodeDefault { reason, metadata } => {
                        choose(Choice::CodeDefault(reason), own(metadata, None))
                    }
                    gofeatureflag::Decision::Error {
                        code,
                        message,
                        metadata,
                    } => choose(Choice::Failed(code, message), own(metadata, None)),
                }))
            }
            CompiledRule::Flagship(rules) => Ok(rules
                .decide(ctx, options.missing_rollout_key)
                .map(|decision| {
                    choose(
                        match decision {
                            flagship::Decision::Serve {
                                variation, split, ..
                            } => Choice::Variant(
                                variation,
                                if split {
                                    ReasonCode::Split
                                } else {
                                    ReasonCode::TargetingMatch
                                },
                            ),
                            flagship::Decision::Malformed(why) => Choice::Malformed(why),
                        },
                        None,
                    )
                })),
        }
    }
}
