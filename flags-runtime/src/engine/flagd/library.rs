//! What the rules of one configuration share while they compile, and what keeps compiling
//! them linear in their size: the constancy memo, the folding budget, the allowance for copying
//! evaluators into rules (and sharing them beyond it), the budget of "did you mean", and short
//! excerpts of names and values for messages.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use flags_schema::flagd::grammar::operator_names;
use serde_json::Value as Json;

use super::Val;
use super::ast::{Evaluator, Expr, Mode};
use super::budget::{EXCEEDED, Meter, Size};
use super::compile::Compiler;
use super::eval::{self, Cx};
use crate::context::Context;

type Result<T> = std::result::Result<T, String>;

/// What the rules of one configuration share while they compile: the evaluators, how far
/// each has been copied into rules, and the memos and budgets that keep compiling linear.
pub(crate) struct Library<'e> {
    pub(super) evaluators: &'e BTreeMap<String, Json>,
    /// Evaluators compiled once and shared, by name, mode and `track_prev`.
    pub(super) shared: HashMap<(&'e str, Mode, bool), Result<Arc<Evaluator>>>,
    /// The size of each evaluator, measured once.
    pub(super) sizes: HashMap<&'e str, Size>,
    /// Whether an operation of a rule or an evaluator is constant (`Compiler::deterministic`),
    /// by its address, the low bit set inside an iteration. Only nodes that live as long as the
    /// library go in (see `Compiler::scratch`).
    pub(super) determinism: HashMap<usize, Constancy, BuildHasherDefault<AddressHasher>>,
    /// The messages of the nodes whose constancy cannot be worked out (unknown operators).
    pub(super) failures: HashMap<usize, String, BuildHasherDefault<AddressHasher>>,
    /// Nodes of evaluators that may still be copied into rules: a fixed allowance plus twice
    /// the size of each rule compiled. Beyond it, evaluators are shared.
    pub(super) inline_credit: u64,
    /// What "did you mean" may still spend (see `flags_schema::closest_within`).
    pub(super) suggestions: u64,
}

/// Evaluator nodes any configuration may copy into its rules.
const INLINE_ALLOWANCE: u64 = 16 * 1024;

/// What all "did you mean" suggestions of one configuration may cost together: about a
/// thousand comparisons of 64-character names.
const SUGGESTION_WORK: u64 = 1 << 22;

impl<'e> Library<'e> {
    pub(crate) fn new(evaluators: &'e BTreeMap<String, Json>) -> Library<'e> {
        Library {
            evaluators,
            shared: HashMap::new(),
            sizes: HashMap::new(),
            determinism: HashMap::default(),
            failures: HashMap::default(),
            inline_credit: INLINE_ALLOWANCE,
            suggestions: SUGGESTION_WORK,
        }
    }

    pub(super) fn size(&mut self, name: &'e str, rule: &Json) -> Size {
        *self.sizes.entry(name).or_insert_with(|| Size::of(rule))
    }
}

/// The allowance, for tests.
#[cfg(test)]
pub(super) fn inline_allowance() -> u64 {
    INLINE_ALLOWANCE
}

/// How many evaluators were compiled for sharing, for tests.
#[cfg(test)]
pub(super) fn shared_count(library: &Library<'_>) -> usize {
    library.shared.len()
}

/// What is left of the suggestion budget, for tests.
#[cfg(test)]
pub(super) fn suggestion_work_left(library: &Library<'_>) -> u64 {
    library.suggestions
}

/// What the memo knows of a node.
#[derive(Clone, Copy)]
pub(super) enum Constancy {
    Constant,
    Variable,
    /// See `Library::failures`.
    Fails,
}

/// Hashes addresses (the keys of `Library::determinism`): one multiply per word, then a
/// rotation that brings the well-mixed high bits down to the low bits the table indexes by
/// (the low bits of an address barely vary).
#[derive(Default)]
pub(super) struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.write_u64(u64::from(*byte));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }
}

/// From this depth on, constancy goes through the memo. Above it, a node's constancy is worked
/// out again by each of its (at most this many) ancestors, which is cheaper than the memo for
/// the rules people write.
const MEMO_DEPTH: usize = 12;

impl<'e> Compiler<'_, 'e> {
    /// The rule's folding budget. Measuring the rule the first time also adds twice its size
    /// to the configuration's allowance for copying evaluators.
    pub(super) fn fold_meter(&mut self) -> &mut Meter {
        let (library, root) = (&mut *self.library, self.root);
        self.fold.get_or_insert_with(|| {
            let size = Size::of(root);
            library.inline_credit = library.inline_credit.saturating_add(2 * size.nodes);
            Meter::fold(size)
        })
    }

    /// The evaluator `name` (`rule`) used at this point of a rule: copied into the rule while
    /// the configuration's allowance lasts, else compiled once and shared (each evaluation of
    /// the use then charges its size to the rule's budget).
    pub(super) fn evaluator(&mut self, name: &'e str, rule: &'e Json, mode: Mode) -> Result<Expr> {
        let size = self.library.size(name, rule);
        self.fold_meter();
        if size.nodes <= self.library.inline_credit {
            self.library.inline_credit -= size.nodes;
            self.fold_meter().extend(size);
            self.depth += 1;
            let compiled = self.expr(rule, mode);
            self.depth -= 1;
            return compiled;
        }
        self.metered = true;
        let key = (name, mode, self.track_prev);
        if let Some(shared) = self.library.shared.get(&key) {
            return shared.clone().map(Expr::Shared);
        }
        let mut inner = Compiler {
            library: &mut *self.library,
            root: rule,
            options: self.options,
            depth: 1,
            track_prev: self.track_prev,
            null_calls: self.null_calls,
            fold: Some(Meter::fold(size)),
            level: self.level,
            metered: false,
            scratch: 0,
            #[cfg(test)]
            visits: 0,
        };
        let shared = inner.expr(rule, mode).map(|expr| {
            Arc::new(Evaluator {
                expr,
                nodes: size.nodes,
            })
        });
        #[cfg(test)]
        {
            self.visits += inner.visits;
        }
        self.library.shared.insert(key, shared.clone());
        shared.map(Expr::Shared)
    }

    /// Whether `json` depends on nothing but itself, so that it can be computed when the rule
    /// loads: the reference evaluator's `isDeterministic`, with its order of traversal (it fails
    /// on the unknown operators it meets).
    ///
    /// Compiling a node and then each of its operands asks again about the operands: below
    /// [`MEMO_DEPTH`] the answers are kept in the library's memo, so that no node is walked by
    /// more than that many ancestors (else the cost would grow with the square of the depth).
    pub(super) fn deterministic(&mut self, json: &Json, inside_iterator: bool) -> Result<bool> {
        self.deterministic_at(json, inside_iterator, self.level)
    }

    /// [`Compiler::deterministic`] of a node `depth` levels deep.
    pub(super) fn deterministic_at(
        &mut self,
        json: &Json,
        inside_iterator: bool,
        depth: usize,
    ) -> Result<bool> {
        match json {
            Json::Object(_) if depth >= MEMO_DEPTH => self.memoized(json, inside_iterator, depth),
            _ => self.deterministic_node(json, inside_iterator, depth),
        }
    }

    /// [`Compiler::deterministic`] through the memo. Operations only: the operands of an
    /// operation are worked out when it is, so an array is reached once per operation.
    pub(super) fn memoized(
        &mut self,
        json: &Json,
        inside_iterator: bool,
        depth: usize,
    ) -> Result<bool> {
        // A `Json` holds pointers, so its address is even: the low bit is free for the flag.
        let key = std::ptr::from_ref(json) as usize | usize::from(inside_iterator);
        if self.scratch == 0 {
            match self.library.determinism.get(&key) {
                Some(Constancy::Constant) => return Ok(true),
                Some(Constancy::Variable) => return Ok(false),
                Some(Constancy::Fails) => {
                    return Err(self.library.failures.get(&key).cloned().unwrap_or_default());
                }
                None => {}
            }
        }
        let known = self.deterministic_node(json, inside_iterator, depth);
        if self.scratch == 0 {
            let constancy = match &known {
                Ok(true) => Constancy::Constant,
                Ok(false) => Constancy::Variable,
                Err(message) => {
                    self.library.failures.insert(key, message.clone());
                    Constancy::Fails
                }
            };
            self.library.determinism.insert(key, constancy);
        }
        known
    }

    /// The message for an operator the engine does not know, with a suggestion while the
    /// configuration's budget for them lasts.
    pub(super) fn unknown_operator(&mut self, name: &str) -> String {
        let suggestion =
            flags_schema::closest_within(name, operator_names(), &mut self.library.suggestions);
        match suggestion {
            Some(s) => format!("unknown operator `{}`; did you mean `{s}`?", shorten(name)),
            None => format!("unknown operator `{}`", shorten(name)),
        }
    }

    /// Computes a constant expression within what is left of the rule's folding budget:
    /// `Ok(None)` when it would take more (steps of iterations, bytes of the result), and the
    /// expression is left to evaluation. What the attempt spent is spent either way.
    pub(super) fn fold(
        &mut self,
        expr: &Expr,
        mode: Mode,
    ) -> std::result::Result<Option<Expr>, super::thrown::Thrown> {
        let ctx = Context::default();
        let cx = Cx::new(
            &ctx,
            "",
            crate::engine::FractionalVersion::V2,
            *self.fold_meter(),
        )
        .without_data();
        // In compiled form it is computed when the rule loads, where flagd's operators (which
        // the reference evaluator deems constant only as `reduce`'s initial value) fail; the
        // interpreter computes it when reached.
        let mut cx = if mode == Mode::Compiled {
            cx.loading()
        } else {
            cx
        };
        let result = eval::eval(expr, &mut cx, &Val::Root);
        let mut meter = cx.meter;
        let folded = match result {
            // A constant holds JSON values: one with `undefined` is computed when reached.
            Ok(value) if value.holds_undefined() => Ok(None),
            Ok(value) => match meter.bytes(&value) {
                Ok(()) => Ok(Some(Expr::Const(value.to_value()))),
                Err(_) => Ok(None),
            },
            Err(thrown) if thrown == EXCEEDED => Ok(None),
            Err(thrown) => Err(thrown),
        };
        self.fold = Some(meter);
        folded
    }
}

/// A JSON value for a message: its text, cut at 64 bytes (without writing the rest).
pub(super) fn excerpt(json: &Json) -> String {
    const MAX: usize = 64;
    /// Takes bytes until it has `MAX`, then fails the write.
    struct Cut(Vec<u8>);
    impl std::io::Write for Cut {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let room = MAX + 1 - self.0.len();
            if room == 0 {
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            let n = buf.len().min(room);
            self.0.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut cut = Cut(Vec::new());
    let whole = serde_json::to_writer(&mut cut, json).is_ok() && cut.0.len() <= MAX;
    let text = String::from_utf8_lossy(&cut.0);
    if whole {
        text.into_owned()
    } else {
        let end = (0..=MAX)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        format!("{}…", &text[..end])
    }
}

/// A name for a message, cut at 64 characters.
pub(super) fn shorten(name: &str) -> String {
    crate::message::cut(name, 64)
}
