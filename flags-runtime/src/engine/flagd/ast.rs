//! The expression tree a flagd rule compiles into, which the evaluator walks.

use crate::value::Value;

/// An evaluator (`$ref`) compiled once per configuration and shared by the rules using it,
/// once copying it into them would pass the configuration's expansion budget.
#[derive(Debug)]
pub(crate) struct Evaluator {
    pub(super) expr: Expr,
    /// Its nodes: what each use charges to the evaluation budget.
    pub(super) nodes: u64,
}

/// How a node is evaluated: as the reference evaluator's compiled JavaScript, or by its
/// interpreter (for constant parts, folded when the rule loads, and the operands of an `if`
/// with fewer than three arguments).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Mode {
    Compiled,
    Interpreted,
}

/// A compiled expression.
#[derive(Debug)]
pub(crate) enum Expr {
    /// A value known when the rule loads.
    Const(Value),
    /// JavaScript's `undefined`: the rule of a `map` that has none (interpreted form).
    Undefined,
    /// An array literal with computed elements.
    Array(Vec<Expr>),
    /// `var` of one attribute of the context (no dots, no default, not `targetingKey` or
    /// `$flagd`), the common case; whether the value is stored in `prev`.
    Attribute(Box<str>, bool),
    /// `var` with a literal path.
    Var(Box<VarExpr>),
    /// `var` whose path is computed (always interpreted).
    VarComputed(Args),
    /// `if` / `?:`: conditions and branches, an odd count (compiled form).
    If(Vec<Expr>),
    /// `if` with fewer than three arguments (interpreted form).
    IfShort(Vec<Expr>),
    And(Mode, Vec<Expr>),
    Or(Mode, Vec<Expr>),
    /// `!` (`true`) or `!!` (`false`) of the operand's truthiness.
    Not(Box<Expr>, bool),
    Compare(CompareOp, Mode, Vec<Expr>),
    Arith(ArithOp, Mode, Vec<Expr>),
    /// An arithmetic operator whose operand list is computed; whether the operand is stored
    /// in `prev` (compiled `+`, `-` and `/` store it).
    ArithSpread(ArithOp, Mode, bool, Box<Expr>),
    /// `cat` over a literal list, compiled form: JavaScript `+` concatenation.
    Concat(Vec<Expr>),
    /// An operator whose arguments are all computed first.
    Call(Func, Args),
    /// `missing_some`: the count needed (computed) and the literal keys.
    MissingSome(Box<Expr>, Vec<Value>),
    Iterate(Box<Iteration>),
    Fractional(Box<Fractional>),
    /// A shared evaluator.
    Shared(std::sync::Arc<Evaluator>),
    /// Fails when evaluated, with a fixed reason.
    Throw(&'static str),
}

/// The arguments of an operator: a literal list, or one expression whose value (an array, or
/// a single value) is the list.
#[derive(Debug)]
pub(crate) enum Args {
    List(Vec<Expr>),
    Spread(Box<Expr>),
}

#[derive(Debug)]
pub(crate) struct VarExpr {
    /// Path segments; empty for the whole scope.
    pub(super) path: Box<[Box<str>]>,
    pub(super) default: Option<Expr>,
    pub(super) mode: Mode,
    /// Whether the value is stored in `prev` (see `Compiler::track_prev`).
    pub(super) track_prev: bool,
    /// What the first segment names when read from the evaluation context.
    pub(super) root: RootName,
    /// The interpreter's two- and three-segment paths (`a && a.b && a.b.c`): a falsy value on
    /// the way is the result.
    pub(super) stop_at_falsy: bool,
}

/// What the first segment of a `var` path names in the evaluation context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RootName {
    Attribute,
    TargetingKey,
    Flagd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CompareOp {
    Eq,
    StrictEq,
    Ne,
    StrictNe,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

/// Operators evaluated over their computed arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    In,
    /// `in` as compiled: `[container, item]`, the container computed first.
    InCompiled,
    Substr,
    Merge,
    Min,
    Max,
    /// `cat` in its interpreted form (skips null).
    Cat,
    /// The interpreter's `cat` of a single value: a string is itself, an array is joined,
    /// anything else is written as a string (null fails).
    CatOne,
    Missing,
    /// `missing` of one or two literal keys without dots, which the reference evaluator
    /// compiles to a bare conditional expression (see `concat` in `eval.rs`).
    MissingLiteral,
    SemVer,
    StartsWith,
    EndsWith,
    /// A call of flagd's operators that is null whatever the context
    /// (`flags_schema::flagd::always_null`): its arguments are computed (and may fail), then
    /// null.
    Null,
    /// `!` / `!!` in their interpreted form over a computed operand list.
    Not,
    NotNot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IterKind {
    Map,
    Filter,
    All,
    Some,
    None,
    Reduce,
}

#[derive(Debug)]
pub(crate) struct Iteration {
    pub(super) kind: IterKind,
    pub(super) mode: Mode,
    pub(super) selector: Expr,
    pub(super) mapper: Expr,
    /// `reduce`'s initial value (absent: JavaScript's `reduce` without one).
    pub(super) init: Option<Expr>,
}

/// A compiled `fractional`: its arguments, and its buckets when they are literal.
#[derive(Debug)]
pub(crate) struct Fractional {
    pub(super) args: Args,
    /// With v2 and literal buckets after the first argument: those buckets, checked when the
    /// rule loads.
    pub(super) table: Option<Table>,
}

/// Literal buckets: `None` when one of them is not a valid bucket (the result is null).
#[derive(Debug)]
pub(crate) struct Table {
    pub(super) buckets: Option<Vec<(Value, u64)>>,
    pub(super) total: f64,
    /// The first argument is a literal array: the shorthand form, whose buckets (the first
    /// included) are all in `buckets`.
    pub(super) shorthand: bool,
}
