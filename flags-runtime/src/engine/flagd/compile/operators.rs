//! Each operator, compiled: what the reference evaluator makes of a call of it, in its
//! compiled form and in its interpreter's, down to the shapes of arguments it accepts.

use flags_schema::flagd::grammar::{FLAGD_CONTEXT, Operator};
use serde_json::Value as Json;

use super::{Compiler, Result};
use crate::engine::FractionalVersion;
use crate::engine::flagd::ast::{
    Args, ArithOp, CompareOp, Expr, Func, IterKind, Iteration, Mode, RootName, VarExpr,
};
use crate::engine::flagd::eval;
use crate::engine::flagd::js;
use crate::engine::flagd::library::{excerpt, shorten};
use crate::engine::flagd::{Val, fractional};
use crate::value::Value;

impl Compiler<'_, '_> {
    /// Compiles a call of `operator`, which the rule writes `name` (the operator's name or an
    /// alias).
    pub(super) fn operation(
        &mut self,
        operator: Operator,
        name: &str,
        args: &Json,
        mode: Mode,
    ) -> Result<Expr> {
        let compiled = mode == Mode::Compiled;
        Ok(match operator {
            Operator::Var => self.var(args, mode)?,
            Operator::If => match args {
                Json::Array(items) if compiled && items.len() >= 3 => {
                    let mut items = self.list(items, mode)?;
                    if items.len() % 2 == 0 {
                        items.push(Expr::Const(Value::Null));
                    }
                    Expr::If(items)
                }
                Json::Array(items) => {
                    // The short forms run in the reference evaluator's interpreter.
                    let mut items = self.list(items, Mode::Interpreted)?;
                    if items.len() >= 3 {
                        if items.len() % 2 == 0 {
                            items.push(Expr::Const(Value::Null));
                        }
                        Expr::If(items)
                    } else {
                        Expr::IfShort(items)
                    }
                }
                _ => Expr::Throw("`if` takes an array of arguments"),
            },
            Operator::And | Operator::Or => match args {
                Json::Array(items) if items.is_empty() => Expr::Const(Value::Null),
                Json::Array(items) => {
                    let items = self.list(items, mode)?;
                    // Only the `prev` stores differ between the forms.
                    let mode = if compiled && self.track_prev {
                        Mode::Compiled
                    } else {
                        Mode::Interpreted
                    };
                    if operator == Operator::And {
                        Expr::And(mode, items)
                    } else {
                        Expr::Or(mode, items)
                    }
                }
                _ => Expr::Throw("`and` / `or` take an array of arguments"),
            },
            Operator::Not | Operator::NotNot => {
                let negate = operator == Operator::Not;
                match (args, mode) {
                    (Json::Array(items), Mode::Compiled) => {
                        let operand = match items.first() {
                            Some(first) => self.expr(first, mode)?,
                            None => Expr::Const(Value::Null),
                        };
                        Expr::Not(Box::new(operand), negate)
                    }
                    (Json::Object(_), Mode::Compiled) => {
                        Expr::Not(Box::new(self.expr(args, mode)?), negate)
                    }
                    (Json::Array(items), Mode::Interpreted)
                        if items.len() == 1 && !items[0].is_array() =>
                    {
                        // The interpreter unwraps a single operand (not a literal array), then
                        // takes the first element of an array value.
                        let func = if negate { Func::Not } else { Func::NotNot };
                        Expr::Call(func, Args::Spread(Box::new(self.expr(&items[0], mode)?)))
                    }
                    _ => {
                        let func = if negate { Func::Not } else { Func::NotNot };
                        Expr::Call(func, self.args(args, mode)?)
                    }
                }
            }
            Operator::Eq
            | Operator::StrictEq
            | Operator::Ne
            | Operator::StrictNe
            | Operator::Lt
            | Operator::Le
            | Operator::Gt
            | Operator::Ge => {
                let op = match operator {
                    Operator::Eq => CompareOp::Eq,
                    Operator::StrictEq => CompareOp::StrictEq,
                    Operator::Ne => CompareOp::Ne,
                    Operator::StrictNe => CompareOp::StrictNe,
                    Operator::Lt => CompareOp::Lt,
                    Operator::Le => CompareOp::Le,
                    Operator::Gt => CompareOp::Gt,
                    _ => CompareOp::Ge,
                };
                match args {
                    Json::Array(items) if items.len() >= 2 => {
                        let outer = self.track_prev;
                        let mut exprs = Vec::with_capacity(items.len());
                        for (i, item) in items.iter().enumerate() {
                            self.track_prev = if i == 0 { outer } else { compiled };
                            let compiled_item = self.expr(item, mode);
                            self.track_prev = outer;
                            exprs.push(compiled_item?);
                        }
                        Expr::Compare(op, mode, exprs)
                    }
                    _ => Expr::Throw("a comparison takes at least two arguments"),
                }
            }
            Operator::Add | Operator::Sub | Operator::Mul | Operator::Div | Operator::Rem => {
                self.arithmetic(operator, name, args, mode)?
            }
            Operator::Cat => match (args, mode) {
                // One operand: the interpreter's `cat` of one value.
                (Json::Object(_), _) => {
                    Expr::Call(Func::CatOne, Args::Spread(Box::new(self.expr(args, mode)?)))
                }
                (Json::Array(items), Mode::Interpreted)
                    if items.len() == 1 && !items[0].is_array() =>
                {
                    Expr::Call(
                        Func::CatOne,
                        Args::Spread(Box::new(self.expr(&items[0], mode)?)),
                    )
                }
                (_, Mode::Interpreted) => Expr::Call(Func::Cat, self.args(args, mode)?),
                (Json::Array(items), Mode::Compiled) => Expr::Concat(self.list(items, mode)?),
                (scalar, Mode::Compiled) => Expr::Concat(vec![self.expr(scalar, mode)?]),
            },
            // The compiled `in` computes its second operand, then its first, and reads no
            // other.
            Operator::In => match args {
                Json::Array(items) if compiled => {
                    let container = match items.get(1) {
                        Some(c) => self.expr(c, mode)?,
                        None => Expr::Const(Value::Null),
                    };
                    let item = match items.first() {
                        Some(i) => self.expr(i, mode)?,
                        None => Expr::Const(Value::Null),
                    };
                    Expr::Call(Func::InCompiled, Args::List(vec![container, item]))
                }
                _ => Expr::Call(Func::In, self.args(args, mode)?),
            },
            Operator::Substr => Expr::Call(Func::Substr, self.args(args, mode)?),
            Operator::Merge => Expr::Call(Func::Merge, self.args(args, mode)?),
            Operator::Min => Expr::Call(Func::Min, self.args(args, mode)?),
            Operator::Max => Expr::Call(Func::Max, self.args(args, mode)?),
            Operator::Missing => {
                let literal_key = |k: &Json| k.as_str().is_some_and(|k| !k.contains('.'));
                let literal = match args {
                    Json::Array(keys) => {
                        (1..=2).contains(&keys.len()) && keys.iter().all(literal_key)
                    }
                    key => literal_key(key),
                };
                let func = if compiled && literal {
                    Func::MissingLiteral
                } else {
                    Func::Missing
                };
                Expr::Call(func, self.args(args, mode)?)
            }
            Operator::MissingSome => match args {
                Json::Array(items) => match items.as_slice() {
                    [need, Json::Array(options), ..] => {
                        // The compiled form answers the last value stored in `prev`, which
                        // computing the count may change.
                        let outer = self.track_prev;
                        self.track_prev = compiled;
                        let need = self.expr(need, mode);
                        self.track_prev = outer;
                        Expr::MissingSome(
                            Box::new(need?),
                            options.iter().cloned().map(Value::from).collect(),
                        )
                    }
                    _ => Expr::Throw("`missing_some` takes `[count, [keys]]`"),
                },
                Json::Object(_) => {
                    return Err("`missing_some` takes `[count, [keys]]`".to_owned());
                }
                _ => Expr::Throw("`missing_some` takes `[count, [keys]]`"),
            },
            Operator::Map
            | Operator::Filter
            | Operator::All
            | Operator::SomeOf
            | Operator::NoneOf
            | Operator::Reduce => {
                let kind = match operator {
                    Operator::Map => IterKind::Map,
                    Operator::Filter => IterKind::Filter,
                    Operator::All => IterKind::All,
                    Operator::SomeOf => IterKind::Some,
                    Operator::NoneOf => IterKind::None,
                    _ => IterKind::Reduce,
                };
                let Json::Array(items) = args else {
                    if matches!(kind, IterKind::All) || !compiled {
                        return Ok(Expr::Throw("an iteration takes `[array, rule]`"));
                    }
                    return Err(format!("`{name}` takes `[array, rule]`"));
                };
                if !compiled && let Some(idiom) = self.interpreted_idiom(kind, items)? {
                    return Ok(idiom);
                }
                // The interpreter computes a constant rule of `filter` once, before looking at
                // the array (against no data): its truthiness keeps all or nothing.
                let mut constant_mapper = None;
                if !compiled
                    && kind == IterKind::Filter
                    && let [selector, mapper @ (Json::Object(_) | Json::Array(_))] =
                        items.as_slice()
                    && matches!(self.deterministic(mapper, false), Ok(true))
                {
                    let outer = self.track_prev;
                    self.track_prev = false;
                    let mapper = self.expr(mapper, mode);
                    self.track_prev = outer;
                    match mapper? {
                        Expr::Const(value) => {
                            return Ok(if js::truthy(&Val::of(&value)) {
                                self.expr(selector, mode)?
                            } else {
                                Expr::Const(Value::List(Vec::new()))
                            });
                        }
                        thrown @ Expr::Throw(_) => return Ok(thrown),
                        // Past the folding budget: computed per element.
                        other => constant_mapper = Some(other),
                    }
                }
                // The reference evaluator cannot compile an iteration without a rule.
                if compiled && items.len() < 2 {
                    return Err(format!("`{name}` takes `[array, rule]`"));
                }
                let selector = match items.first() {
                    Some(s) => self.expr(s, mode)?,
                    None => Expr::Const(Value::Null),
                };
                // The mapper is a function of its own, with its own `prev`.
                let outer = self.track_prev;
                self.track_prev = false;
                let mapper = match (constant_mapper, items.get(1)) {
                    (Some(mapper), _) => Ok(mapper),
                    (None, Some(m)) => self.expr(m, mode),
                    // The interpreter maps each element to the missing rule itself.
                    (None, None) if kind == IterKind::Map => Ok(Expr::Undefined),
                    (None, None) => Ok(Expr::Const(Value::Null)),
                };
                self.track_prev = outer;
                let mapper = mapper?;
                let init = match (kind, items.get(2)) {
                    (IterKind::Reduce, Some(init)) => Some(self.expr(init, mode)?),
                    _ => None,
                };

                self.metered = true;
                Expr::Iterate(Box::new(Iteration {
                    kind,
                    mode,
                    selector,
                    mapper,
                    init,
                }))
            }
            // What flagd evaluates to null whatever the context (one definition with the lint:
            // `always_null`): the arguments are still computed, as flagd computes them.
            Operator::Fractional | Operator::SemVer | Operator::StartsWith | Operator::EndsWith
                if self.null_calls
                    && (operator != Operator::Fractional
                        || self.options.fractional == FractionalVersion::V2)
                    && flags_schema::flagd::always_null(operator.name(), args) =>
            {
                Expr::Call(Func::Null, self.args(args, mode)?)
            }
            Operator::Fractional => fractional::compile(self.args(args, mode)?, self.options),
            Operator::SemVer => Expr::Call(Func::SemVer, self.args(args, mode)?),
            Operator::StartsWith => Expr::Call(Func::StartsWith, self.args(args, mode)?),
            Operator::EndsWith => Expr::Call(Func::EndsWith, self.args(args, mode)?),
            // `$ref` is resolved before; an operator the grammar gained and this compiler does
            // not know (the test `every_operator_of_the_grammar_compiles` fails first).
            _ => return Err(format!("unknown operator `{}`", shorten(name))),
        })
    }

    /// The interpreter's rewrites of some iterations: `filter` by a constant keeps all or
    /// nothing (without looking at the array); `reduce` summing (or multiplying) accumulator
    /// and current is the sum (product) of the array plus (times) the initial value.
    fn interpreted_idiom(&mut self, kind: IterKind, items: &[Json]) -> Result<Option<Expr>> {
        let mode = Mode::Interpreted;
        match (kind, items) {
            (IterKind::Filter, [selector, mapper]) if !mapper.is_object() && !mapper.is_array() => {
                let keep = match mapper {
                    Json::Null => false,
                    Json::Bool(b) => *b,
                    Json::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
                    Json::String(s) => !s.is_empty(),
                    _ => true,
                };
                Ok(Some(if keep {
                    self.expr(selector, mode)?
                } else {
                    Expr::Const(Value::List(Vec::new()))
                }))
            }
            // The interpreter looks into the mapper (`mapper['+']`): a null one fails.
            (IterKind::Reduce, [] | [_] | [_, Json::Null, ..]) => {
                Ok(Some(Expr::Throw("`reduce` without a rule")))
            }
            (IterKind::Reduce, [selector, mapper, rest @ ..]) => {
                let Some((op, operands)) = mapper.as_object().and_then(|m| {
                    [Operator::Add.name(), Operator::Mul.name()]
                        .into_iter()
                        .find_map(|op| m.get(op).map(|operands| (op, operands)))
                }) else {
                    return Ok(None);
                };
                let names: Vec<Option<&str>> = match operands.as_array() {
                    Some(pair) if pair.len() == 2 => pair
                        .iter()
                        .map(|o| o.get(Operator::Var.name()).and_then(Json::as_str))
                        .collect(),
                    _ => return Ok(None),
                };
                let has = |n: &str| names.contains(&Some(n));
                if names.iter().any(Option::is_none) || !has("accumulator") || !has("current") {
                    return Ok(None);
                }
                let init = rest.first();
                let init = if op == "+" {
                    match init {
                        None | Some(Json::Null | Json::Bool(false)) => serde_json::json!(0),
                        Some(Json::Number(n)) if n.as_f64() == Some(0.0) => serde_json::json!(0),
                        Some(Json::String(s)) if s.is_empty() => serde_json::json!(0),
                        Some(other) => other.clone(),
                    }
                } else {
                    init.cloned().unwrap_or(serde_json::json!(1))
                };
                let rewritten = serde_json::json!({ op: [{ op: selector }, init] });
                // Built here, so dropped before the library: kept out of its memo.
                self.scratch += 1;
                let compiled = self.expr(&rewritten, mode);
                self.scratch -= 1;
                Ok(Some(compiled?))
            }
            _ => Ok(None),
        }
    }

    fn var(&mut self, args: &Json, mode: Mode) -> Result<Expr> {
        // The literal forms: a path (string or number), or `[path, default]`.
        let (key, default) = match args {
            Json::String(_) | Json::Number(_) | Json::Null => (Some(args), None),
            Json::Array(items) if items.len() <= 2 => match items.first() {
                None | Some(Json::String(_) | Json::Number(_) | Json::Null) => {
                    (items.first(), items.get(1))
                }
                Some(_) => return Ok(Expr::VarComputed(self.args(args, Mode::Interpreted)?)),
            },
            Json::Bool(false) => return Ok(Expr::VarComputed(self.args(args, mode)?)),
            _ => return Ok(Expr::VarComputed(self.args(args, Mode::Interpreted)?)),
        };
        let path = match key {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::String(s)) if s.is_empty() => Vec::new(),
            Some(Json::String(s)) => eval::split_path(s),
            Some(Json::Number(n)) => {
                eval::split_path(&js::number_string(n.as_f64().unwrap_or(0.0)))
            }
            Some(_) => Vec::new(),
        };
        if path.iter().any(|p| p.starts_with("..")) {
            return Ok(Expr::VarComputed(self.args(args, Mode::Interpreted)?));
        }
        let default = match default {
            Some(d) => Some(self.expr(d, mode)?),
            None => None,
        };
        // The interpreter's shortcut for `"a.b"` / `"a.b.c"` (also `["a.b"]`), without default.
        let stop_at_falsy = mode == Mode::Interpreted
            && default.is_none()
            && (2..=3).contains(&path.len())
            && match args {
                Json::String(_) => true,
                Json::Array(items) => items.len() == 1 && items[0].is_string(),
                _ => false,
            };
        let special = match path.first().map(|p| &**p) {
            Some("targetingKey") => RootName::TargetingKey,
            Some(FLAGD_CONTEXT) => RootName::Flagd,
            _ => RootName::Attribute,
        };
        if let ([name], None, RootName::Attribute) = (path.as_slice(), &default, special) {
            return Ok(Expr::Attribute(
                name.clone(),
                mode == Mode::Compiled && self.track_prev,
            ));
        }
        Ok(Expr::Var(Box::new(VarExpr {
            path: path.into_boxed_slice(),
            default,
            mode,
            track_prev: mode == Mode::Compiled && self.track_prev,
            root: special,
            stop_at_falsy,
        })))
    }

    fn arithmetic(
        &mut self,
        operator: Operator,
        name: &str,
        args: &Json,
        mode: Mode,
    ) -> Result<Expr> {
        let op = match operator {
            Operator::Add => ArithOp::Add,
            Operator::Sub => ArithOp::Sub,
            Operator::Mul => ArithOp::Mul,
            Operator::Div => ArithOp::Div,
            _ => ArithOp::Rem,
        };
        let items: &[Json] = match args {
            Json::Object(_) => {
                let store = mode == Mode::Compiled
                    && self.track_prev
                    && matches!(op, ArithOp::Add | ArithOp::Sub | ArithOp::Div);
                let operand = Box::new(self.expr(args, mode)?);
                return Ok(Expr::ArithSpread(op, mode, store, operand));
            }
            // The interpreter reads `+` and `-` of one operation as of the operation itself.
            Json::Array(items)
                if mode == Mode::Interpreted
                    && matches!(op, ArithOp::Add | ArithOp::Sub)
                    && matches!(items.as_slice(), [Json::Object(_)]) =>
            {
                let operand = Box::new(self.expr(&items[0], mode)?);
                return Ok(Expr::ArithSpread(op, mode, false, operand));
            }
            Json::Array(items) => items,
            scalar => std::slice::from_ref(scalar),
        };
        let compiled = mode == Mode::Compiled;
        if compiled {
            let too_few = match op {
                ArithOp::Sub | ArithOp::Div => items.is_empty(),
                ArithOp::Rem => items.len() < 2,
                _ => false,
            };
            if too_few {
                return Err(format!("`{name}` needs more arguments"));
            }
        }
        let mut exprs = Vec::with_capacity(items.len() + 1);
        if op == ArithOp::Div && items.len() == 1 {
            exprs.push(Expr::Const(Value::Float(1.0)));
        }
        for item in items {
            exprs.push(self.expr(item, mode)?);
        }
        if compiled {
            // The reference evaluator converts literal operands when it compiles the rule.
            for (i, (json, expr)) in items
                .iter()
                .zip(
                    exprs
                        .iter()
                        .skip(usize::from(op == ArithOp::Div && items.len() == 1)),
                )
                .enumerate()
            {
                let divisor = op == ArithOp::Div && (i > 0 || items.len() == 1);
                let literal_object = matches!(json, Json::Object(map) if map.is_empty());
                if matches!(json, Json::Array(_)) || literal_object {
                    return Err(format!("`{name}` cannot compute with `{}`", excerpt(json)));
                }
                let Expr::Const(value) = expr else { continue };
                let number = match value {
                    Value::String(s) => js::string_to_number(s),
                    Value::Float(f) => *f,
                    Value::Int(n) => *n as f64,
                    _ => continue,
                };
                if number.is_nan() {
                    return Err(format!("`{name}` cannot compute with `{}`", excerpt(json)));
                }
                if divisor && number == 0.0 {
                    return Err(format!("`{name}` divides by zero"));
                }
            }
        }
        Ok(Expr::Arith(op, mode, exprs))
    }
}
