//! flagd targeting rules: JSON Logic plus flagd's operators, compiled once when a configuration
//! loads into an expression tree, evaluated per read against the context without allocating
//! for scalar results.
//!
//! The semantics are those of the reference evaluator, `@openfeature/flagd-core` (on
//! `json-logic-engine`), including its JavaScript coercions: see `js.rs` for values and
//! `eval/` for operators. Where that evaluator compiles a rule into JavaScript, some
//! operators behave differently from their interpreted form (for example `cat` prints `null`,
//! comparisons check their operands against the last value computed); nodes record which form
//! applies ([`Mode`]).
//!
//! Work is bounded by the size of the configuration, whoever wrote it. Compiling a rule takes
//! time and memory linear in the rule: each node is checked for constancy once (a memo), a
//! constant is folded only within a budget linear in the rule (else it is left to evaluation),
//! evaluators (`$ref`) are copied into rules within a budget linear in the configuration and
//! shared beyond it, and "did you mean" suggestions draw from a fixed budget per
//! configuration. Rules that can loop are evaluated against a [`Budget`](super::Budget) (see `budget.rs`).
//!
//! | file | job |
//! | --- | --- |
//! | `mod.rs` | the compiled rule ([`Rule`]) |
//! | `ast.rs` | its expression tree ([`Expr`]) |
//! | `compile/` | from JSON Logic to [`Expr`]: the walk and constant folding (`mod.rs`), each operator (`operators.rs`) |
//! | `library.rs` | what the rules of a configuration share while they compile: evaluators, memos, budgets |
//! | `eval/` | evaluation, by kind of operator |
//! | `thrown.rs` | how an evaluation fails |
//! | `val.rs`, `js.rs` | the values a rule computes, and JavaScript's coercions and comparisons of them |
//! | `budget.rs` | the evaluation budget of rules that loop, and the compiler's budgets |
//! | `fractional.rs`, `semver.rs` | flagd's `fractional` and `sem_ver` |
//! | `fast.rs` | the specialised forms of common shapes ([`Rule::pick`]): a string operator on an attribute choosing between literal variants, `fractional` over literal buckets |
//!
//! The grammar (operator names, flagd's operators' arguments, versions, buckets) is
//! `flags_schema::flagd::grammar`, which the import-time lint uses too.
//!
//! Why an enum tree rather than closures: a `match` over a compact enum keeps the whole rule in
//! a few cache lines and lets the compiler inline the hot operators (`var`, comparisons, the
//! string operators). What the tree still costs (building [`Val`]s, dropping them, finding the
//! variant by name: about 600 instructions of an `ends_with` rule's 1,000) the common shapes
//! avoid through their specialised form (`fast.rs`), which reads the context's strings in place
//! and answers a variant's index; the tree decides every other rule and input.

#[cfg(test)]
use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::EngineOptions;
use super::outcome::RuleFailure;
use crate::context::Context;

mod ast;
mod budget;
mod compile;
mod eval;
mod fast;
mod fractional;
mod js;
mod library;
mod semver;
mod thrown;
mod val;

pub(crate) use budget::EXCEEDED;
pub(crate) use js::truthy;
pub(crate) use library::Library;
#[cfg(fuzzing)]
pub(crate) use specialised_check::check_specialised;
pub(crate) use val::Val;

use ast::Expr;

/// A compiled targeting rule.
#[derive(Debug)]
pub(crate) struct Rule {
    expr: Expr,
    /// What each evaluation starts with: the budget, when the rule has a node that charges one
    /// (an iteration, a shared evaluator); else a meter that nothing charges. Ready-made, so
    /// that an evaluation copies it.
    meter: budget::Meter,
    /// The specialised form of a common shape, made by [`Rule::specialise`] (see `fast.rs`).
    fast: Option<fast::Fast>,
}

impl Rule {
    /// Compiles `targeting`, with `$ref`s resolved from `evaluators`. The error is a sentence
    /// saying why the rule cannot be evaluated (PARSE_ERROR when the flag is read).
    pub(crate) fn compile(
        targeting: &Json,
        evaluators: &std::collections::BTreeMap<String, Json>,
        options: &EngineOptions,
    ) -> Result<Rule, String> {
        Rule::compile_in(targeting, &mut Library::new(evaluators), options)
    }

    /// [`Rule::compile`] without compiling calls that are always null to [`Func::Null`]: the
    /// reference the shortcut is checked against.
    #[cfg(test)]
    pub(crate) fn compile_in_full(
        targeting: &Json,
        evaluators: &BTreeMap<String, Json>,
        options: &EngineOptions,
    ) -> Result<Rule, String> {
        let mut library = Library::new(evaluators);
        let (expr, metered) = compile::Compiler::new(&mut library, *options, targeting)
            .in_full()
            .rule()?;
        Ok(Rule {
            expr,
            meter: budget::Meter::new(metered.then_some(options.budget)),
            fast: None,
        })
    }

    /// [`Rule::compile`] with the evaluators, and the budgets shared by the rules of one
    /// configuration, in `library`. The rule lives as long as the library, whose memo knows
    /// its nodes by address.
    pub(crate) fn compile_in<'e>(
        targeting: &'e Json,
        library: &mut Library<'e>,
        options: &EngineOptions,
    ) -> Result<Rule, String> {
        let (expr, metered) = compile::Compiler::new(library, *options, targeting).rule()?;
        Ok(Rule {
            expr,
            meter: budget::Meter::new(metered.then_some(options.budget)),
            fast: None,
        })
    }

    /// Whether evaluations are metered (the rule loops or uses a shared evaluator).
    #[cfg(test)]
    pub(crate) fn metered(&self) -> bool {
        self.meter != budget::Meter::new(None)
    }

    /// Evaluates the rule for `flag_key` and `ctx`. `Err` is an evaluation failure (GENERAL);
    /// [`EXCEEDED`] when the rule spent its budget.
    #[inline]
    pub(crate) fn evaluate<'a>(
        &'a self,
        flag_key: &'a str,
        ctx: &'a Context,
        options: &EngineOptions,
    ) -> Result<Val<'a>, thrown::Thrown> {
        let mut cx = eval::Cx::new(ctx, flag_key, options.fractional, self.meter);
        eval::eval(&self.expr, &mut cx, &Val::Root)
    }
}

impl Rule {
    /// Makes the specialised form of the rule of flag `flag_key` with `variants`, when the rule
    /// has one of the common shapes that `fast.rs` answers without the interpreter. The form
    /// answers [`Rule::pick`] for that flag key only.
    pub(crate) fn specialise(
        &mut self,
        flag_key: &str,
        variants: &std::collections::BTreeMap<String, Json>,
        options: &EngineOptions,
    ) {
        self.fast = fast::Fast::of(&self.expr, flag_key, variants, options);
    }

    /// Whether the rule has a specialised form.
    #[cfg(test)]
    pub(crate) fn specialised(&self) -> bool {
        self.fast.is_some()
    }

    /// What the specialised form picks for `ctx`: a variant's index, the default, or
    /// [`Pick::General`] (no specialised form, or an input it leaves to [`Rule::choose`]).
    #[inline]
    pub(crate) fn pick(
        &self,
        flag_key: &str,
        ctx: &Context,
        options: &EngineOptions,
    ) -> crate::engine::rule::Pick<'static> {
        match &self.fast {
            Some(fast) => fast.pick(flag_key, ctx, options),
            None => crate::engine::rule::Pick::General,
        }
    }

    /// [`Rule::evaluate`], read as the engine reads a rule's result: null (or `undefined`)
    /// decides nothing, anything else names a variant as JavaScript's `toString` writes it
    /// (see [`variant_name`]), which `choose` gets.
    #[inline]
    pub(crate) fn choose<R>(
        &self,
        flag_key: &str,
        ctx: &Context,
        options: &EngineOptions,
        choose: impl FnOnce(&str) -> R,
    ) -> Result<Option<R>, RuleFailure> {
        match self.evaluate(flag_key, ctx, options) {
            Ok(Val::Null | Val::Undefined) => Ok(None),
            Ok(result) => Ok(Some(variant_name(&result, choose))),
            Err(EXCEEDED) => Err(RuleFailure::OverBudget),
            Err(thrown) => Err(RuleFailure::Failed(thrown.0)),
        }
    }
}

/// The variant a targeting result names, as JavaScript's `toString` writes it: `f` gets the
/// name (borrowed for strings and booleans; numbers are written on the stack).
fn variant_name<R>(result: &Val<'_>, f: impl FnOnce(&str) -> R) -> R {
    match result {
        Val::Str(s) => f(s),
        Val::String(s) => f(s),
        Val::Bool(true) => f("true"),
        Val::Bool(false) => f("false"),
        Val::Num(n) => {
            let mut buf = js::StackStr::<40>::new();
            js::write_number(&mut buf, *n);
            f(buf.as_str())
        }
        other => f(&js::to_js_string(other)),
    }
}

#[cfg(test)]
mod bounds_tests;
#[cfg(test)]
mod fast_tests;
#[cfg(fuzzing)]
mod specialised_check;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_null_calls;
