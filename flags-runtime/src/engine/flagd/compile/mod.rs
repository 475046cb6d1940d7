//! From JSON Logic to [`Expr`]: `$ref`s resolved, constant parts folded, paths split.
//!
//! Every step is bounded by the size of the input (see `library.rs`): constancy is worked out
//! a bounded number of times per node, folding spends a budget linear in the rule, evaluators
//! are copied into rules within an allowance linear in the configuration and shared beyond
//! it, and "did you mean" draws from a fixed budget per configuration.
//!
//! This file walks a rule and decides, node by node, what is computed when the rule loads;
//! `operators.rs` compiles each operator. Operators are those of the grammar
//! (`flags_schema::flagd::grammar`), which the lint checks rules against too.

mod operators;

use std::collections::BTreeMap;

use flags_schema::flagd::grammar::Operator;
use serde_json::Value as Json;

use super::ast::{Args, Expr, Mode};
use super::budget::Meter;
use super::library::{Library, excerpt, shorten};
use crate::engine::EngineOptions;
use crate::value::Value;

pub(super) struct Compiler<'l, 'e> {
    pub(super) library: &'l mut Library<'e>,
    /// The rule (or evaluator) being compiled.
    pub(super) root: &'e Json,
    pub(super) options: EngineOptions,
    pub(super) depth: usize,
    /// Inside an operand (after the first) of a compiled comparison: the comparison checks the
    /// operand against the last value stored in the reference evaluator's `prev` register, so
    /// the nodes that store there must do so. Elsewhere what they store is never read.
    pub(super) track_prev: bool,
    /// What folding constants may still spend in this rule; measured from the rule when first
    /// needed (most rules fold nothing).
    pub(super) fold: Option<Meter>,
    /// How deep in arrays and objects the node being compiled is.
    pub(super) level: usize,
    /// The rule has a node that charges the evaluation budget (an iteration, a shared
    /// evaluator).
    pub(super) metered: bool,
    /// Compiling JSON built by the compiler (a rewritten idiom), which does not live as long as
    /// the library: its nodes stay out of the memo.
    pub(super) scratch: u32,
    /// Nodes whose constancy was worked out, for tests of linearity.
    #[cfg(test)]
    pub(super) visits: u64,
    /// Whether a call of flagd's operators that is null whatever the context compiles to
    /// [`Func::Null`] (always, but in the test checking that it changes no result).
    pub(super) null_calls: bool,
}

type Result<T> = std::result::Result<T, String>;

impl<'l, 'e> Compiler<'l, 'e> {
    /// A compiler for the rule `root`.
    pub(super) fn new(
        library: &'l mut Library<'e>,
        options: EngineOptions,
        root: &'e Json,
    ) -> Self {
        Compiler {
            library,
            root,
            options,
            depth: 0,
            track_prev: false,
            null_calls: true,
            fold: None,
            level: 0,
            metered: false,
            scratch: 0,
            #[cfg(test)]
            visits: 0,
        }
    }

    /// Compiles calls that are always null in full (see `null_calls`).
    #[cfg(test)]
    pub(super) fn in_full(mut self) -> Self {
        self.null_calls = false;
        self
    }

    /// Compiles the rule; also whether evaluations of it are metered.
    pub(super) fn rule(&mut self) -> Result<(Expr, bool)> {
        let expr = self.expr(self.root, Mode::Compiled)?;
        Ok((expr, self.metered))
    }

    /// The evaluator a `{"$ref": name}` names, and its name.
    fn reference(&mut self, args: &Json) -> Result<(&'e str, &'e Json)> {
        let Json::String(name) = args else {
            return Err(format!(
                "`$ref` takes the name of an evaluator, found `{}`",
                excerpt(args)
            ));
        };
        if let Some((name, rule)) = self.library.evaluators.get_key_value(name) {
            return Ok((name, rule));
        }
        let mut message = format!(
            "`$ref` names evaluator `{}`, which `$evaluators` does not define",
            shorten(name)
        );
        if let Some(suggestion) = flags_schema::closest_within(
            name,
            self.library.evaluators.keys().map(String::as_str),
            &mut self.library.suggestions,
        ) {
            message.push_str(&format!("; did you mean `{}`?", shorten(suggestion)));
        }
        Err(message)
    }

    pub(super) fn expr(&mut self, json: &Json, mode: Mode) -> Result<Expr> {
        if !matches!(json, Json::Array(_) | Json::Object(_)) {
            return self.expr_node(json, mode);
        }
        self.level += 1;
        let expr = self.expr_node(json, mode);
        self.level -= 1;
        expr
    }

    fn expr_node(&mut self, json: &Json, mode: Mode) -> Result<Expr> {
        match json {
            Json::Array(items) => {
                let items = items
                    .iter()
                    .map(|item| self.expr(item, mode))
                    .collect::<Result<Vec<_>>>()?;
                Ok(constant_list(items))
            }
            Json::Object(map) if map.is_empty() => Ok(Expr::Const(Value::Map(BTreeMap::new()))),
            Json::Object(map) => {
                let mut entries = map.iter();
                let (Some((name, args)), None) = (entries.next(), entries.next()) else {
                    let mut keys: Vec<String> = map
                        .keys()
                        .take(3)
                        .map(|k| format!("`{}`", shorten(k)))
                        .collect();
                    if map.len() > 3 {
                        keys.push(format!("and {} more", map.len() - 3));
                    }
                    return unknown(
                        format!(
                            "an operation is an object with one key, the operator; found {}",
                            keys.join(", ")
                        ),
                        mode,
                    );
                };
                let operator = Operator::parse(name);
                if operator == Some(Operator::Ref) {
                    let (name, target) = match self.reference(args) {
                        Ok(target) => target,
                        Err(message) => return unknown(message, mode),
                    };
                    if self.depth > 0 {
                        // flagd substitutes references once: one inside an evaluator stays.
                        return unknown(
                            format!(
                                "`{}` is inside an evaluator; evaluators cannot refer to \
                                 evaluators",
                                excerpt(json)
                            ),
                            mode,
                        );
                    }
                    return self.evaluator(name, target, mode);
                }
                let Some(operator) = operator else {
                    return unknown(self.unknown_operator(name), mode);
                };
                // The reference evaluator computes the constant parts of the rules it compiles
                // when it compiles them (and fails the rule when one fails); the parts it
                // interprets are computed when reached.
                let deterministic = match (self.deterministic(json, false), mode) {
                    (Ok(d), _) => d,
                    (Err(message), Mode::Compiled) => return Err(message),
                    (Err(_), Mode::Interpreted) => return Ok(Expr::Throw("unknown operator")),
                };
                if deterministic {
                    let expr = collapse(self.operation(operator, name, args, Mode::Interpreted)?);
                    return match (self.fold(&expr, mode), mode) {
                        (Ok(Some(constant)), _) => Ok(constant),
                        // Past the folding budget: left to evaluation, which is metered.
                        (Ok(None), _) => Ok(expr),
                        (Err(thrown), Mode::Compiled) => Err(format!(
                            "`{}` cannot be evaluated: {}",
                            excerpt(json),
                            thrown.0
                        )),
                        // The interpreter computes it when first reached.
                        (Err(thrown), Mode::Interpreted) => Ok(Expr::Throw(thrown.0)),
                    };
                }
                let expr = self.operation(operator, name, args, mode)?;
                Ok(if mode == Mode::Interpreted {
                    collapse(expr)
                } else {
                    expr
                })
            }
            scalar => Ok(Expr::Const(Value::from(scalar.clone()))),
        }
    }

    /// One step of [`Compiler::deterministic`]: the node itself, its operands through
    /// [`Compiler::deterministic_at`].
    pub(super) fn deterministic_node(
        &mut self,
        json: &Json,
        inside_iterator: bool,
        depth: usize,
    ) -> Result<bool> {
        #[cfg(test)]
        {
            self.visits += 1;
        }
        let below = depth + 1;
        match json {
            Json::Array(items) => {
                for item in items {
                    if !self.deterministic_at(item, inside_iterator, below)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Json::Object(map) => {
                let Some((name, args)) = map.iter().next() else {
                    return Ok(true);
                };
                Ok(match Operator::parse(name) {
                    Some(Operator::Ref) if self.depth == 0 => {
                        let (_, target) = self.reference(args)?;
                        self.depth += 1;
                        // Through the memo whatever the evaluator is, so that each use does not
                        // walk it again.
                        let inner = self.memoized(target, inside_iterator, below);
                        self.depth -= 1;
                        inner?
                    }
                    Some(Operator::Var) => inside_iterator,
                    Some(Operator::Missing) => matches!(args, Json::Array(a) if a.is_empty()),
                    // They read the context.
                    Some(Operator::MissingSome) => false,
                    Some(operator) if operator.is_flagd() => false,
                    Some(operator) if operator.is_iteration() => {
                        let (selector, mapper) = match args {
                            Json::Array(items) => (items.first(), items.get(1)),
                            _ => (None, None),
                        };
                        (match selector {
                            Some(s) => self.deterministic_at(s, inside_iterator, below + 1)?,
                            None => true,
                        }) && match mapper {
                            Some(m) => self.deterministic_at(m, true, below + 1)?,
                            None => true,
                        }
                    }
                    // A `$ref` inside an evaluator is unknown, as below.
                    Some(operator) if operator != Operator::Ref => {
                        self.deterministic_at(args, inside_iterator, below)?
                    }
                    _ => return Err(self.unknown_operator(name)),
                })
            }
            _ => Ok(true),
        }
    }

    /// Arguments of an operator that takes computed values: a literal list, a scalar (a list
    /// of one), or an operation whose value is the list.
    fn args(&mut self, args: &Json, mode: Mode) -> Result<Args> {
        Ok(match args {
            Json::Array(items) => Args::List(
                items
                    .iter()
                    .map(|item| self.expr(item, mode))
                    .collect::<Result<_>>()?,
            ),
            Json::Object(_) => Args::Spread(Box::new(self.expr(args, mode)?)),
            scalar => Args::List(vec![self.expr(scalar, mode)?]),
        })
    }

    fn list(&mut self, items: &[Json], mode: Mode) -> Result<Vec<Expr>> {
        items.iter().map(|item| self.expr(item, mode)).collect()
    }
}

/// The interpreter prepares (and so computes the constant operands of) a three-way `if` and a
/// comparison as a whole: a failing operand fails it, whichever branch is taken.
fn collapse(expr: Expr) -> Expr {
    if let Expr::If(items) | Expr::Compare(_, Mode::Interpreted, items) = &expr
        && items.len() <= 3
        && let Some(Expr::Throw(reason)) = items.iter().find(|e| matches!(e, Expr::Throw(_)))
    {
        return Expr::Throw(reason);
    }
    expr
}

/// An unknown operator: fails the rule when it is compiled, or the evaluation when it is
/// interpreted and reached (as in the reference evaluator).
fn unknown(message: String, mode: Mode) -> Result<Expr> {
    match mode {
        Mode::Compiled => Err(message),
        Mode::Interpreted => Ok(Expr::Throw("unknown operator")),
    }
}

/// A list of constants is a constant.
fn constant_list(items: Vec<Expr>) -> Expr {
    if items.iter().all(|i| matches!(i, Expr::Const(_))) {
        Expr::Const(Value::List(
            items
                .into_iter()
                .map(|i| match i {
                    Expr::Const(v) => v,
                    _ => Value::Null,
                })
                .collect(),
        ))
    } else {
        Expr::Array(items)
    }
}
