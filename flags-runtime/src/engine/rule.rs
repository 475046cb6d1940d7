//! The seam between the engine and the rule dialects: a flag's targeting rule is compiled by
//! its dialect's compiler into a [`CompiledRule`], and a read runs it through one `match`.
//!
//! The snapshot, its key table and the key slots know nothing of a dialect; each dialect has a
//! folder of its own (`flagd/`) with its compiler and evaluator. Adding a dialect adds a
//! variant to [`CompiledRule`], a field to [`RuleCompiler`] for what its rules share while a
//! configuration compiles, and an arm to each `match` below.

use flags_schema::{Dialect, Manifest, Targeting};

use super::EngineOptions;
use super::flagd;
use super::outcome::RuleFailure;
use crate::context::Context;

/// A targeting rule, compiled by its dialect's compiler.
#[derive(Debug)]
pub(crate) enum CompiledRule {
    /// A flagd rule: JSON Logic with flagd's operators.
    Flagd(flagd::Rule),
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

    /// Compiles a flag's targeting. `Ok(None)` when its dialect reads it as no rule (flagd:
    /// `{}`, `[]`, `""`, numbers, booleans): the flag serves its default variant. `Err` is a
    /// sentence saying why the rule cannot be evaluated (the flag answers `PARSE_ERROR`).
    pub(crate) fn compile(
        &mut self,
        targeting: &'e Targeting,
        options: &EngineOptions,
    ) -> Result<Option<CompiledRule>, String> {
        match targeting.dialect {
            Dialect::Flagd => {
                if !flags_schema::flagd::has_rule(&targeting.rule) {
                    return Ok(None);
                }
                flagd::Rule::compile_in(&targeting.rule, &mut self.flagd, options)
                    .map(|rule| Some(CompiledRule::Flagd(rule)))
            }
            other => Err(format!(
                "it is written in `{other}`, which this version of the engine cannot evaluate"
            )),
        }
    }
}

impl CompiledRule {
    /// Runs the rule for `flag_key` and `ctx`: `Ok(None)` when it decides nothing (the flag
    /// serves its default), else `choose` of the name of the variant it picks.
    #[inline]
    pub(crate) fn evaluate<R>(
        &self,
        flag_key: &str,
        ctx: &Context,
        options: &EngineOptions,
        choose: impl FnOnce(&str) -> R,
    ) -> Result<Option<R>, RuleFailure> {
        match self {
            CompiledRule::Flagd(rule) => rule.choose(flag_key, ctx, options, choose),
        }
    }
}
