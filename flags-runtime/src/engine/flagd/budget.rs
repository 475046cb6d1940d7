//! What a rule may spend: the evaluation budget of the rules that can loop, and the budgets the
//! compiler works within (constant folding, `$ref` expansion, "did you mean").
//!
//! Without loops, evaluating a rule visits each node of its tree at most once, and every value
//! it builds is made of the rule's constants and the context's values: the cost is bounded by
//! the sizes of the rule and of the context. Iterations (`map`, `filter`, `all`, `some`,
//! `none`, `reduce`) break that: a `reduce` whose step concatenates the accumulator with itself
//! doubles it per element, nested `map`s multiply. So does an evaluator that a rule refers to
//! many times, when it is shared rather than copied into the rule. Those are the places that
//! charge a [`Meter`]; a rule that has none of them never touches it.

use super::Val;
use super::thrown::Thrown;
use crate::engine::Budget;

/// Why a metered evaluation stopped.
pub(crate) const EXCEEDED: Thrown = Thrown("the rule exceeded its evaluation budget");

/// The budget left to an evaluation (or to the compiler's folding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meter {
    steps: u64,
    bytes: u64,
}

impl Meter {
    /// A meter holding `budget`; without one, a meter that never runs out (for rules with no
    /// place that charges it).
    pub(crate) fn new(budget: Option<Budget>) -> Meter {
        match budget {
            Some(b) => Meter {
                steps: u64::from(b.steps),
                bytes: u64::from(b.bytes),
            },
            None => Meter {
                steps: u64::MAX,
                bytes: u64::MAX,
            },
        }
    }

    /// The folding budget of a rule (or evaluator) of `size`: linear in its size, so that the
    /// constants a configuration folds into are at most a fixed multiple of it.
    pub(crate) fn fold(size: Size) -> Meter {
        Meter {
            steps: FOLD_STEPS + size.nodes,
            bytes: FOLD_BYTES + 8 * size.bytes,
        }
    }

    /// Adds the budget of a part of `size` (an evaluator copied into the rule).
    pub(crate) fn extend(&mut self, size: Size) {
        let more = Meter::fold(size);
        self.steps = self.steps.saturating_add(more.steps - FOLD_STEPS);
        self.bytes = self.bytes.saturating_add(more.bytes - FOLD_BYTES);
    }

    /// Spends `n` steps.
    #[inline]
    pub(crate) fn steps(&mut self, n: u64) -> Result<(), Thrown> {
        match self.steps.checked_sub(n) {
            Some(left) => {
                self.steps = left;
                Ok(())
            }
            None => {
                self.steps = 0;
                Err(EXCEEDED)
            }
        }
    }

    /// Spends the bytes `value` holds that it does not borrow (from the rule or the context).
    pub(crate) fn bytes(&mut self, value: &Val<'_>) -> Result<(), Thrown> {
        self.spend(weight(value, self.bytes))
    }

    /// Spends the bytes of `value` pushed into a list being built: its slot, and what it holds.
    pub(crate) fn element(&mut self, value: &Val<'_>) -> Result<(), Thrown> {
        let slot = std::mem::size_of::<Val<'_>>() as u64;
        self.spend(slot.saturating_add(weight(value, self.bytes)))
    }

    fn spend(&mut self, weight: u64) -> Result<(), Thrown> {
        match self.bytes.checked_sub(weight) {
            Some(left) => {
                self.bytes = left;
                Ok(())
            }
            None => {
                self.bytes = 0;
                Err(EXCEEDED)
            }
        }
    }

    /// The steps left.
    #[cfg(test)]
    pub(crate) fn steps_left(&self) -> u64 {
        self.steps
    }
}

/// Steps and bytes every rule may fold, however small.
const FOLD_STEPS: u64 = 1024;
const FOLD_BYTES: u64 = 16 * 1024;

/// The size of a JSON value: its nodes, and about the length of its text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Size {
    pub(crate) nodes: u64,
    pub(crate) bytes: u64,
}

impl Size {
    /// Measures `json` (one walk, as deep as the value: 64 levels at most in a loaded
    /// configuration).
    pub(crate) fn of(json: &serde_json::Value) -> Size {
        use serde_json::Value as J;
        let mut size = Size { nodes: 1, bytes: 4 };
        match json {
            J::String(s) => size.bytes += s.len() as u64,
            J::Array(items) => items.iter().for_each(|i| size.add(Size::of(i))),
            J::Object(map) => map.iter().for_each(|(k, v)| {
                size.bytes += k.len() as u64;
                size.add(Size::of(v));
            }),
            _ => {}
        }
        size
    }

    fn add(&mut self, other: Size) {
        self.nodes = self.nodes.saturating_add(other.nodes);
        self.bytes = self.bytes.saturating_add(other.bytes);
    }
}

/// The bytes of `value` that it owns, counted until they pass `limit`: strings built, and the
/// elements of lists and objects built.
fn weight(value: &Val<'_>, limit: u64) -> u64 {
    let slot = std::mem::size_of::<Val<'_>>() as u64;
    let mut total = 0u64;
    match value {
        Val::String(s) => total = s.len() as u64,
        Val::List(items) => {
            for item in items {
                total = total.saturating_add(slot + weight(item, limit - total.min(limit)));
                if total > limit {
                    break;
                }
            }
        }
        Val::Object(entries) => {
            for (key, item) in entries {
                let key = match key {
                    std::borrow::Cow::Owned(k) => k.len() as u64,
                    std::borrow::Cow::Borrowed(_) => 0,
                };
                total = total.saturating_add(slot + key + weight(item, limit - total.min(limit)));
                if total > limit {
                    break;
                }
            }
        }
        // Borrowed from the rule or the context, or a scalar.
        Val::Null
        | Val::Undefined
        | Val::Bool(_)
        | Val::Num(_)
        | Val::Str(_)
        | Val::Ref(_)
        | Val::Root => {}
    }
    total
}
