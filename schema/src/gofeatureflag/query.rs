//! GO Feature Flag's query language (the `query` of a targeting rule), read as its engine reads
//! it: `email ew "@example.com" and (plan in ["pro", "team"] or not beta pr)`.
//!
//! The engine's parser is strict about spacing (one space between tokens) and lenient about
//! the end: it keeps the longest query that parses and ignores what follows (`x eq 1 junk` is
//! `x eq 1`). `and` and `or` have the same precedence and group left to right; `not` before a
//! parenthesis negates the parenthesis, elsewhere it negates everything after it.
//!
//! ```
//! use flags_schema::gofeatureflag::query::{Query, parse};
//! assert!(matches!(parse(""), Query::Always));
//! assert!(matches!(parse("email eq \"a\" and"), Query::Never));
//! assert!(matches!(parse("email eq \"a\" trailing words"), Query::Expr(_)));
//! ```

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    /// An empty query: every context matches.
    Always,
    /// A query the engine cannot read (or crashes on): no context matches.
    Never,
    /// A query to evaluate.
    Expr(Expr),
}

/// An expression of the query language.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Both sides (the right one only evaluated when the left holds).
    And(Box<Expr>, Box<Expr>),
    /// Either side (the right one only evaluated when the left fails).
    Or(Box<Expr>, Box<Expr>),
    /// The negation.
    Not(Box<Expr>),
    /// `attr pr`: the attribute is present and not null.
    Present(Vec<String>),
    /// `attr op value`.
    Compare {
        /// The attribute's path (`a.b.c`).
        path: Vec<String>,
        /// The operator.
        op: Op,
        /// The literal compared with.
        value: Literal,
    },
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `eq`, `==`
    Eq,
    /// `ne`, `!=`
    Ne,
    /// `lt`, `<`
    Lt,
    /// `gt`, `>`
    Gt,
    /// `le`, `<=`
    Le,
    /// `ge`, `>=`
    Ge,
    /// `co`: contains
    Co,
    /// `sw`: starts with
    Sw,
    /// `ew`: ends with
    Ew,
    /// `in`: one of a list
    In,
}

/// A literal of the query language.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `"text"`, as written between the quotes (escapes are kept, as the engine keeps them).
    Str(String),
    /// An integer.
    Int(i64),
    /// A number with a decimal point.
    Float(f64),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// A list the engine cannot read (its first and last items are not of one kind among
    /// strings, integers and decimals): evaluating the comparison crashes the engine.
    Invalid,
    /// A list of strings.
    Strs(Vec<String>),
    /// A list of integers.
    Ints(Vec<i64>),
    /// A list of decimal numbers.
    Floats(Vec<f64>),
}

/// The operators of the engine's JSON Logic library. Its WASI build traps on any other (its
/// relay then takes the rule for not matching): flagd's own (`sem_ver`, `starts_with`,
/// `ends_with`, `fractional`) are not among them.
pub const JSON_LOGIC_OPERATORS: &[&str] = &[
    "var",
    "missing",
    "missing_some",
    "if",
    "?:",
    "==",
    "===",
    "!=",
    "!==",
    "!",
    "!!",
    "or",
    "and",
    ">",
    ">=",
    "<",
    "<=",
    "max",
    "min",
    "+",
    "-",
    "*",
    "/",
    "%",
    "cat",
    "substr",
    "in",
    "map",
    "filter",
    "reduce",
    "all",
    "none",
    "some",
    "merge",
    "abs",
    "set",
];

/// The first operator of `logic` (JSON Logic) that is not one of `operators`; an object with
/// other than one key counts as an unknown operation (its first key, or `{}`).
///
/// ```
/// use serde_json::json;
/// use flags_schema::gofeatureflag::query::{JSON_LOGIC_OPERATORS, unknown_operator};
/// let logic = json!({ "and": [{ "==": [{ "var": "a" }, 1] }, { "sem_ver": [{ "var": "v" }, ">=", "1.0.0"] }] });
/// assert_eq!(unknown_operator(&logic, JSON_LOGIC_OPERATORS), Some("sem_ver"));
/// ```
pub fn unknown_operator<'l>(logic: &'l serde_json::Value, operators: &[&str]) -> Option<&'l str> {
    use serde_json::Value;
    match logic {
        Value::Object(map) => {
            if map.len() != 1 {
                return Some(map.keys().next().map_or("{}", String::as_str));
            }
            map.iter().find_map(|(op, args)| {
                if !operators.contains(&op.as_str()) {
                    return Some(op.as_str());
                }
                match args {
                    Value::Array(items) => {
                        items.iter().find_map(|i| unknown_operator(i, operators))
                    }
                    other => unknown_operator(other, operators),
                }
            })
        }
        Value::Array(items) => items.iter().find_map(|i| unknown_operator(i, operators)),
        _ => None,
    }
}

/// Whether a query is JSON Logic rather than the query language: it is a JSON object.
pub fn json_logic(query: &str) -> Option<serde_json::Value> {
    if !query.trim_start().starts_with('{') {
        return None;
    }
    serde_json::from_str::<serde_json::Value>(query)
        .ok()
        .filter(serde_json::Value::is_object)
}

/// Parses a query of the query language.
pub fn parse(query: &str) -> Query {
    if query.is_empty() {
        return Query::Always;
    }
    let mut parser = Parser {
        s: query.as_bytes(),
        at: 0,
        depth: 0,
    };
    match parser.query() {
        Ok(expr) => Query::Expr(expr),
        Err(()) => Query::Never,
    }
}

/// How deep parentheses and `not` may nest.
const MAX_DEPTH: u32 = 64;

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
    depth: u32,
}

impl Parser<'_> {
    fn rest(&self) -> &[u8] {
        self.s.get(self.at..).unwrap_or_default()
    }

    fn eat(&mut self, token: &str) -> bool {
        if self.rest().starts_with(token.as_bytes()) {
            self.at += token.len();
            true
        } else {
            false
        }
    }

    /// `unary (' and ' unary | ' or ' unary)*`, left to right; stops where the text no longer
    /// continues a query.
    fn query(&mut self) -> Result<Expr, ()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(());
        }
        let mut left = self.unary()?;
        loop {
            let save = self.at;
            if self.eat(" and") {
                if !self.eat(" ") {
                    // A dangling `and` crashes the engine.
                    return Err(());
                }
                let right = self.unary()?;
                left = Expr::And(Box::new(left), Box::new(right));
            } else if self.eat(" or ") {
                match self.unary() {
                    Ok(right) => left = Expr::Or(Box::new(left), Box::new(right)),
                    Err(()) => {
                        self.at = save;
                        break;
                    }
                }
            } else {
                break;
            }
        }
        self.depth -= 1;
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ()> {
        if self.eat("not ") {
            if self.rest().starts_with(b"(") {
                let inner = self.paren()?;
                return Ok(Expr::Not(Box::new(inner)));
            }
            let inner = self.query()?;
            return Ok(Expr::Not(Box::new(inner)));
        }
        if self.rest().starts_with(b"(") {
            return self.paren();
        }
        let path = self.path()?;
        if !self.eat(" ") {
            return Err(());
        }
        if self.eat("pr") || self.eat("PR") {
            return Ok(Expr::Present(path));
        }
        let op = self.op()?;
        if !self.eat(" ") {
            return Err(());
        }
        let value = self.literal()?;
        Ok(Expr::Compare { path, op, value })
    }

    fn paren(&mut self) -> Result<Expr, ()> {
        self.eat("(");
        let inner = self.query()?;
        // The engine accepts a parenthesis left open at the end of the query.
        if self.eat(")") || self.rest().is_empty() {
            Ok(inner)
        } else {
            Err(())
        }
    }

    fn path(&mut self) -> Result<Vec<String>, ()> {
        let mut path = Vec::new();
        loop {
            let start = self.at;
            match self.rest().first() {
                Some(c) if c.is_ascii_alphabetic() => self.at += 1,
                _ => return Err(()),
            }
            while let Some(&c) = self.rest().first() {
                if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b':') {
                    self.at += 1;
                } else {
                    break;
                }
            }
            let name = std::str::from_utf8(&self.s[start..self.at]).map_err(|_| ())?;
            path.push(name.to_owned());
            if !self.eat(".") {
                return Ok(path);
            }
        }
    }

    fn op(&mut self) -> Result<Op, ()> {
        const OPS: [(&str, Op); 26] = [
            ("eq", Op::Eq),
            ("EQ", Op::Eq),
            ("==", Op::Eq),
            ("ne", Op::Ne),
            ("NE", Op::Ne),
            ("!=", Op::Ne),
            ("lt", Op::Lt),
            ("LT", Op::Lt),
            ("<=", Op::Le),
            ("<", Op::Lt),
            ("gt", Op::Gt),
            ("GT", Op::Gt),
            (">=", Op::Ge),
            (">", Op::Gt),
            ("le", Op::Le),
            ("LE", Op::Le),
            ("ge", Op::Ge),
            ("GE", Op::Ge),
            ("co", Op::Co),
            ("CO", Op::Co),
            ("sw", Op::Sw),
            ("SW", Op::Sw),
            ("ew", Op::Ew),
            ("EW", Op::Ew),
            ("in", Op::In),
            ("IN", Op::In),
        ];
        for (token, op) in OPS {
            if self.eat(token) {
                return Ok(op);
            }
        }
        Err(())
    }

    fn literal(&mut self) -> Result<Literal, ()> {
        if self.eat("true") {
            return Ok(Literal::Bool(true));
        }
        if self.eat("false") {
            return Ok(Literal::Bool(false));
        }
        if self.eat("null") {
            return Ok(Literal::Null);
        }
        match self.rest().first() {
            Some(b'"') => self.string().map(Literal::Str),
            Some(b'[') => self.list(),
            Some(c) if c.is_ascii_digit() || *c == b'-' => self.number(),
            _ => Err(()),
        }
    }

    fn string(&mut self) -> Result<String, ()> {
        self.eat("\"");
        let start = self.at;
        loop {
            match self.rest().first() {
                None => return Err(()),
                Some(b'"') => break,
                Some(b'\\') => self.at += 2,
                Some(_) => self.at += 1,
            }
        }
        let text = self.s.get(start..self.at).ok_or(())?;
        self.at += 1;
        String::from_utf8(text.to_vec()).map_err(|_| ())
    }

    fn number(&mut self) -> Result<Literal, ()> {
        let start = self.at;
        self.eat("-");
        let digits = self.at;
        while self.rest().first().is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
        if self.at == digits {
            return Err(());
        }
        let mut float = false;
        if self.rest().first() == Some(&b'.') && self.rest().get(1).is_some_and(u8::is_ascii_digit)
        {
            float = true;
            self.at += 1;
            while self.rest().first().is_some_and(u8::is_ascii_digit) {
                self.at += 1;
            }
        }
        let text = std::str::from_utf8(&self.s[start..self.at]).map_err(|_| ())?;
        if float {
            text.parse().map(Literal::Float).map_err(|_| ())
        } else {
            text.parse().map(Literal::Int).map_err(|_| ())
        }
    }

    fn list(&mut self) -> Result<Literal, ()> {
        self.eat("[");
        let mut items = Vec::new();
        let mut negative_first = false;
        loop {
            while self.eat(" ") {}
            let negative = self.rest().first() == Some(&b'-');
            negative_first |= items.is_empty() && negative;
            items.push(match self.literal()? {
                // The engine's parser reads an integer item's digits without its sign.
                Literal::Int(n) if negative => Literal::Int(n.checked_neg().unwrap_or(i64::MAX)),
                item => item,
            });
            while self.eat(" ") {}
            if self.eat("]") {
                break;
            }
            if !self.eat(",") {
                return Err(());
            }
        }
        // The engine's list is of the kind of its first and last items (its parser drops the
        // items of another kind in between); when those two differ, or are not strings or
        // numbers, it crashes (the query does not match). So it does on a negative integer
        // first.
        if negative_first && matches!(items.first(), Some(Literal::Int(_))) {
            return Ok(Literal::Invalid);
        }
        match (items.first(), items.last()) {
            (Some(Literal::Str(_)), Some(Literal::Str(_))) => Ok(Literal::Strs(
                items
                    .into_iter()
                    .filter_map(|i| match i {
                        Literal::Str(s) => Some(s),
                        _ => None,
                    })
                    .collect(),
            )),
            (Some(Literal::Int(_)), Some(Literal::Int(_))) => Ok(Literal::Ints(
                items
                    .into_iter()
                    .filter_map(|i| match i {
                        Literal::Int(n) => Some(n),
                        _ => None,
                    })
                    .collect(),
            )),
            (Some(Literal::Float(_)), Some(Literal::Float(_))) => Ok(Literal::Floats(
                items
                    .into_iter()
                    .filter_map(|i| match i {
                        Literal::Float(f) => Some(f),
                        _ => None,
                    })
                    .collect(),
            )),
            _ => Ok(Literal::Invalid),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(path: &str, op: Op, value: Literal) -> Expr {
        Expr::Compare {
            path: path.split('.').map(str::to_owned).collect(),
            op,
            value,
        }
    }

    #[test]
    fn mixed_lists() {
        // The kind of the first and last items; items of another kind in between are dropped.
        assert_eq!(
            parse("c in [\"x\", 65, true, \"y\"]"),
            Query::Expr(cmp(
                "c",
                Op::In,
                Literal::Strs(vec!["x".into(), "y".into()])
            ))
        );
        assert_eq!(
            parse("c in [1, 1.5, 2]"),
            Query::Expr(cmp("c", Op::In, Literal::Ints(vec![1, 2])))
        );
        assert_eq!(
            parse("c in [\"x\", 65]"),
            Query::Expr(cmp("c", Op::In, Literal::Invalid))
        );
        assert_eq!(
            parse("x in [1.5,2]"),
            Query::Expr(cmp("x", Op::In, Literal::Invalid))
        );
        assert_eq!(
            parse("c in [true]"),
            Query::Expr(cmp("c", Op::In, Literal::Invalid))
        );
    }

    #[test]
    fn integer_lists_read_as_the_engine_reads_them() {
        // Signs dropped after the first item; a negative integer first crashes the engine.
        assert_eq!(
            parse("c in [1, -2, -0]"),
            Query::Expr(cmp("c", Op::In, Literal::Ints(vec![1, 2, 0])))
        );
        assert_eq!(
            parse("c in [-2, 1]"),
            Query::Expr(cmp("c", Op::In, Literal::Invalid))
        );
        assert_eq!(
            parse("c in [-0]"),
            Query::Expr(cmp("c", Op::In, Literal::Invalid))
        );
        // Decimals keep their sign.
        assert_eq!(
            parse("c in [-1.5, 2.5]"),
            Query::Expr(cmp("c", Op::In, Literal::Floats(vec![-1.5, 2.5])))
        );
    }

    #[test]
    fn shapes() {
        assert_eq!(
            parse("a.b eq 1 and c in [\"x\", \"y\"] or d pr"),
            Query::Expr(Expr::Or(
                Box::new(Expr::And(
                    Box::new(cmp("a.b", Op::Eq, Literal::Int(1))),
                    Box::new(cmp(
                        "c",
                        Op::In,
                        Literal::Strs(vec!["x".into(), "y".into()])
                    ))
                )),
                Box::new(Expr::Present(vec!["d".into()]))
            ))
        );
        assert_eq!(
            parse("not x eq 1.5 and y eq true"),
            Query::Expr(Expr::Not(Box::new(Expr::And(
                Box::new(cmp("x", Op::Eq, Literal::Float(1.5))),
                Box::new(cmp("y", Op::Eq, Literal::Bool(true)))
            ))))
        );
        assert_eq!(
            parse("x eq 1 or"),
            Query::Expr(cmp("x", Op::Eq, Literal::Int(1)))
        );
        for never in [
            "x  eq 1",
            "x eq",
            "garbage",
            "1x eq 1",
            "x eq v1.2",
            "(x eq 1 junk",
        ] {
            assert_eq!(parse(never), Query::Never, "{never}");
        }
        // The engine closes a parenthesis left open at the end (its answer to
        // `(plan eq "pro"`).
        assert_eq!(
            parse("(x eq 1"),
            Query::Expr(cmp("x", Op::Eq, Literal::Int(1)))
        );
        assert!(json_logic("{\"==\": [1, 1]}").is_some());
        assert!(json_logic("x eq 1").is_none());
        let deep = format!("{}x eq 1{}", "(".repeat(100), ")".repeat(100));
        assert_eq!(parse(&deep), Query::Never);
    }
}
