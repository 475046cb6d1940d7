//! From JSON Logic to [`Expr`]: `$ref`s resolved, constant parts folded, paths split.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::eval::{self, Cx, Val};
use super::js;
use super::{
    Args, ArithOp, CompareOp, EngineOptions, Expr, Func, IterKind, Iteration, Mode, VarExpr,
    fractional,
};
use crate::context::Context;
use crate::value::Value;

/// The operators the reference evaluator knows (for suggestions).
const KNOWN: &[&str] = &[
    "var",
    "missing",
    "missing_some",
    "if",
    "?:",
    "==",
    "===",
    "!=",
    "!==",
    ">",
    ">=",
    "<",
    "<=",
    "!",
    "not",
    "!!",
    "or",
    "and",
    "+",
    "-",
    "*",
    "/",
    "%",
    "max",
    "min",
    "merge",
    "cat",
    "substr",
    "in",
    "map",
    "filter",
    "all",
    "every",
    "none",
    "some",
    "reduce",
    "fractional",
    "sem_ver",
    "starts_with",
    "ends_with",
];

/// `$ref`s may point at evaluators that point at evaluators; deeper than this is a cycle.
const MAX_REF_DEPTH: usize = 16;

pub(super) struct Compiler<'e> {
    evaluators: &'e BTreeMap<String, Json>,
    options: EngineOptions,
    depth: usize,
}

type Result<T> = std::result::Result<T, String>;

impl<'e> Compiler<'e> {
    pub(super) fn new(evaluators: &'e BTreeMap<String, Json>, options: EngineOptions) -> Self {
        Compiler {
            evaluators,
            options,
            depth: 0,
        }
    }

    pub(super) fn rule(&mut self, rule: &Json) -> Result<Expr> {
        self.expr(rule, Mode::Compiled)
    }

    /// The evaluator a `{"$ref": name}` names.
    fn reference(&self, args: &Json) -> Result<&'e Json> {
        let Json::String(name) = args else {
            return Err(format!(
                "`$ref` takes the name of an evaluator, found `{args}`"
            ));
        };
        if let Some(rule) = self.evaluators.get(name) {
            return Ok(rule);
        }
        let mut message =
            format!("`$ref` names evaluator `{name}`, which `$evaluators` does not define");
        if let Some(suggestion) =
            flags_schema::closest(name, self.evaluators.keys().map(String::as_str))
        {
            message.push_str(&format!("; did you mean `{suggestion}`?"));
        }
        Err(message)
    }

    fn expr(&mut self, json: &Json, mode: Mode) -> Result<Expr> {
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
                    let keys: Vec<String> = map.keys().map(|k| format!("`{k}`")).collect();
                    return Err(format!(
                        "an operation is an object with one key, the operator; found {}",
                        keys.join(", ")
                    ));
                };
                if name == "$ref" {
                    let target = self.reference(args)?;
                    if self.depth >= MAX_REF_DEPTH {
                        return Err("`$ref`s refer to each other in a cycle".to_owned());
                    }
                    self.depth += 1;
                    let compiled = self.expr(target, mode);
                    self.depth -= 1;
                    return compiled;
                }
                if !KNOWN.contains(&name.as_str()) {
                    return Err(match flags_schema::closest(name, KNOWN.iter().copied()) {
                        Some(s) => format!("unknown operator `{name}`; did you mean `{s}`?"),
                        None => format!("unknown operator `{name}`"),
                    });
                }
                if self.deterministic(json, false) {
                    // Computed now, as the reference evaluator does: its failure fails the
                    // whole rule.
                    let expr = self.operation(name, args, Mode::Interpreted)?;
                    return fold(&expr)
                        .map_err(|thrown| format!("`{json}` cannot be evaluated: {}", thrown.0));
                }
                self.operation(name, args, mode)
            }
            scalar => Ok(Expr::Const(Value::from(scalar.clone()))),
        }
    }

    /// Whether `json` depends on nothing but itself (the reference evaluator's
    /// `isDeterministic`), so that it can be computed when the rule loads.
    fn deterministic(&self, json: &Json, inside_iterator: bool) -> bool {
        match json {
            Json::Array(items) => items.iter().all(|i| self.deterministic(i, inside_iterator)),
            Json::Object(map) => {
                let mut entries = map.iter();
                let Some((name, args)) = entries.next() else {
                    return true;
                };
                if entries.next().is_some() {
                    return false;
                }
                match name.as_str() {
                    "$ref" => self
                        .reference(args)
                        .is_ok_and(|target| self.deterministic(target, inside_iterator)),
                    "var" => inside_iterator,
                    "missing" => matches!(args, Json::Array(a) if a.is_empty()),
                    "missing_some" | "fractional" | "sem_ver" | "starts_with" | "ends_with" => {
                        false
                    }
                    "map" | "filter" | "all" | "every" | "some" | "none" | "reduce" => match args {
                        Json::Array(items) => {
                            items
                                .first()
                                .is_none_or(|s| self.deterministic(s, inside_iterator))
                                && items.get(1).is_none_or(|m| self.deterministic(m, true))
                        }
                        _ => false,
                    },
                    known if KNOWN.contains(&known) => self.deterministic(args, inside_iterator),
                    _ => false,
                }
            }
            _ => true,
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

    fn operation(&mut self, name: &str, args: &Json, mode: Mode) -> Result<Expr> {
        let compiled = mode == Mode::Compiled;
        Ok(match name {
            "var" => self.var(args, mode)?,
            "if" | "?:" => match args {
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
            "and" | "or" => match args {
                Json::Array(items) if items.is_empty() => Expr::Const(Value::Null),
                Json::Array(items) => {
                    let items = self.list(items, mode)?;
                    if name == "and" {
                        Expr::And(mode, items)
                    } else {
                        Expr::Or(mode, items)
                    }
                }
                _ => Expr::Throw("`and` / `or` take an array of arguments"),
            },
            "!" | "not" | "!!" => {
                let negate = name != "!!";
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
                    (Json::Array(items), Mode::Interpreted) if items.len() == 1 => {
                        // The interpreter unwraps a single operand, then takes the first
                        // element of an array value.
                        let func = if negate { Func::Not } else { Func::NotNot };
                        Expr::Call(func, Args::Spread(Box::new(self.expr(&items[0], mode)?)))
                    }
                    _ => {
                        let func = if negate { Func::Not } else { Func::NotNot };
                        Expr::Call(func, self.args(args, mode)?)
                    }
                }
            }
            "==" | "===" | "!=" | "!==" | "<" | "<=" | ">" | ">=" => {
                let op = match name {
                    "==" => CompareOp::Eq,
                    "===" => CompareOp::StrictEq,
                    "!=" => CompareOp::Ne,
                    "!==" => CompareOp::StrictNe,
                    "<" => CompareOp::Lt,
                    "<=" => CompareOp::Le,
                    ">" => CompareOp::Gt,
                    _ => CompareOp::Ge,
                };
                match args {
                    Json::Array(items) if items.len() >= 2 => {
                        Expr::Compare(op, mode, self.list(items, mode)?)
                    }
                    _ => Expr::Throw("a comparison takes at least two arguments"),
                }
            }
            "+" | "-" | "*" | "/" | "%" => self.arithmetic(name, args, mode)?,
            "cat" => match (args, mode) {
                (Json::Object(_), _) | (_, Mode::Interpreted) => {
                    Expr::Call(Func::Cat, self.args(args, mode)?)
                }
                (Json::Array(items), Mode::Compiled) => Expr::Concat(self.list(items, mode)?),
                (scalar, Mode::Compiled) => Expr::Concat(vec![self.expr(scalar, mode)?]),
            },
            "in" => Expr::Call(Func::In, self.args(args, mode)?),
            "substr" => Expr::Call(Func::Substr, self.args(args, mode)?),
            "merge" => Expr::Call(Func::Merge, self.args(args, mode)?),
            "min" => Expr::Call(Func::Min, self.args(args, mode)?),
            "max" => Expr::Call(Func::Max, self.args(args, mode)?),
            "missing" => Expr::Call(Func::Missing, self.args(args, mode)?),
            "missing_some" => match args {
                Json::Array(items) => match items.as_slice() {
                    [need, Json::Array(options), ..] => Expr::MissingSome(
                        Box::new(self.expr(need, mode)?),
                        options.iter().cloned().map(Value::from).collect(),
                    ),
                    _ => Expr::Throw("`missing_some` takes `[count, [keys]]`"),
                },
                Json::Object(_) => {
                    return Err("`missing_some` takes `[count, [keys]]`".to_owned());
                }
                _ => Expr::Throw("`missing_some` takes `[count, [keys]]`"),
            },
            "map" | "filter" | "all" | "every" | "some" | "none" | "reduce" => {
                let kind = match name {
                    "map" => IterKind::Map,
                    "filter" => IterKind::Filter,
                    "all" | "every" => IterKind::All,
                    "some" => IterKind::Some,
                    "none" => IterKind::None,
                    _ => IterKind::Reduce,
                };
                let Json::Array(items) = args else {
                    if matches!(kind, IterKind::All) || !compiled {
                        return Ok(Expr::Throw("an iteration takes `[array, rule]`"));
                    }
                    return Err(format!("`{name}` takes `[array, rule]`"));
                };
                let selector = match items.first() {
                    Some(s) => self.expr(s, mode)?,
                    None => Expr::Const(Value::Null),
                };
                let mapper = match items.get(1) {
                    Some(m) => self.expr(m, mode)?,
                    None => Expr::Const(Value::Null),
                };
                let init = match (kind, items.get(2)) {
                    (IterKind::Reduce, Some(init)) => Some(self.expr(init, mode)?),
                    _ => None,
                };
                Expr::Iterate(Box::new(Iteration {
                    kind,
                    selector,
                    mapper,
                    init,
                }))
            }
            "fractional" => fractional::compile(self.args(args, mode)?, self.options),
            "sem_ver" => Expr::Call(Func::SemVer, self.args(args, mode)?),
            "starts_with" => Expr::Call(Func::StartsWith, self.args(args, mode)?),
            "ends_with" => Expr::Call(Func::EndsWith, self.args(args, mode)?),
            other => return Err(format!("unknown operator `{other}`")),
        })
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
        Ok(Expr::Var(Box::new(VarExpr {
            path: path.into_boxed_slice(),
            default,
            mode,
        })))
    }

    fn arithmetic(&mut self, name: &str, args: &Json, mode: Mode) -> Result<Expr> {
        let op = match name {
            "+" => ArithOp::Add,
            "-" => ArithOp::Sub,
            "*" => ArithOp::Mul,
            "/" => ArithOp::Div,
            _ => ArithOp::Rem,
        };
        let items: Vec<Json> = match args {
            Json::Array(items) => items.clone(),
            Json::Object(_) => {
                return Ok(Expr::ArithSpread(op, Box::new(self.expr(args, mode)?)));
            }
            scalar => vec![scalar.clone()],
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
        for item in &items {
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
                if matches!(json, Json::Array(_)) {
                    return Err(format!("`{name}` cannot compute with the array `{json}`"));
                }
                let Expr::Const(value) = expr else { continue };
                let number = match value {
                    Value::String(s) => js::string_to_number(s),
                    Value::Float(f) => *f,
                    Value::Int(n) => *n as f64,
                    _ => continue,
                };
                if number.is_nan() {
                    return Err(format!("`{name}` cannot compute with `{json}`"));
                }
                if divisor && number == 0.0 {
                    return Err(format!("`{name}` divides by zero"));
                }
            }
        }
        Ok(Expr::Arith(op, exprs))
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

/// Computes a constant expression.
fn fold(expr: &Expr) -> std::result::Result<Expr, eval::Thrown> {
    let ctx = Context::default();
    let mut cx = Cx::new(&ctx, "", super::FractionalVersion::V2);
    let value: Val<'_> = eval::eval(expr, &mut cx, &Val::Root)?;
    Ok(Expr::Const(value.to_value()))
}
