//! Specialised forms of the most common rule shapes, recognised when a rule loads: a string
//! operator on an attribute choosing between two literal variants, and `fractional` over
//! literal buckets by the implicit key or by strings of the context. They read the context's
//! strings in place and answer a variant's index (resolved when the rule loads), without
//! building a [`Val`] or looking the variant up by name.
//!
//! A specialised form answers only the inputs it was made for (string attributes, a targeting
//! key); for any other (a missing or non-string attribute, a bucket naming no variant, another
//! `fractional` version than the one it was made for) it answers [`Pick::General`] and the
//! interpreter decides, so that every answer is the interpreter's. The differential test
//! (`fast_tests.rs`) runs both over generated rules and contexts.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::ast::{Args, Expr, Func, RootName};
use super::fractional::{self, cbor};
use super::val::Val;
use crate::context::Context;
use crate::engine::murmur3::Murmur3;
use crate::engine::rule::Pick;
use crate::engine::{EngineOptions, FractionalVersion, ReasonCode};
use crate::value::Value;

/// A rule's specialised form.
#[derive(Debug)]
pub(crate) enum Fast {
    /// `{"if": [{"starts_with" | "ends_with": [{"var": attribute}, "affix"]}, then, otherwise]}`
    /// with literal branches.
    Affix {
        attribute: Box<str>,
        affix: Box<str>,
        ends: bool,
        then: Branch,
        otherwise: Branch,
    },
    /// `fractional` over valid literal buckets.
    Fractional(Box<Split>),
}

/// What a literal branch or bucket of the rule names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Branch {
    /// The variant at this index of the flag's variants (sorted by name).
    Variant(u32),
    /// Null: the flag's default.
    Default,
    /// A name that is no variant of the flag: the interpreter's error.
    General,
}

/// A `fractional` over literal buckets.
#[derive(Debug)]
pub(crate) struct Split {
    /// The version the buckets were read for (another one goes to the interpreter).
    version: FractionalVersion,
    key: Key,
    /// The buckets in order: what each names, and its weight (v2, v3: as an integer).
    branches: Box<[Branch]>,
    weights: Box<[f64]>,
    integer_weights: Box<[u64]>,
    /// The sum of the weights.
    total: f64,
}

/// What a `fractional` hashes.
#[derive(Debug)]
enum Key {
    /// The flag key and the targeting key (no bucketing value: the shorthand form): the hash's
    /// state after the flag key (v3: after the array's head and the flag key's encoding).
    Implicit(Murmur3),
    /// The concatenation of these strings.
    Parts(Box<[Part]>),
}

#[derive(Debug)]
enum Part {
    /// `{"var": "$flagd.flagKey"}`.
    FlagKey,
    /// `{"var": name}`, a string attribute.
    Attribute(Box<str>),
}

/// At most this many parts in a bucketing key (`cat` of a few attributes).
const MAX_PARTS: usize = 4;

impl Fast {
    /// The specialised form of the compiled rule `expr` of flag `flag_key` with `variants`,
    /// if it has one of the shapes. It answers reads of that flag only.
    pub(crate) fn of(
        expr: &Expr,
        flag_key: &str,
        variants: &BTreeMap<String, Json>,
        options: &EngineOptions,
    ) -> Option<Fast> {
        match expr {
            Expr::If(items) => {
                let [condition, Expr::Const(then), Expr::Const(otherwise)] = items.as_slice()
                else {
                    return None;
                };
                let Expr::Call(func @ (Func::StartsWith | Func::EndsWith), Args::List(args)) =
                    condition
                else {
                    return None;
                };
                let [
                    Expr::Attribute(attribute, _),
                    Expr::Const(Value::String(affix)),
                ] = args.as_slice()
                else {
                    return None;
                };
                Some(Fast::Affix {
                    attribute: attribute.clone(),
                    affix: affix.as_str().into(),
                    ends: *func == Func::EndsWith,
                    then: branch(&Val::of(then), variants),
                    otherwise: branch(&Val::of(otherwise), variants),
                })
            }
            Expr::Fractional(f) => {
                Split::of(f, flag_key, variants, options).map(|s| Fast::Fractional(Box::new(s)))
            }
            _ => None,
        }
    }

    /// What the rule picks for `ctx`.
    #[inline]
    pub(crate) fn pick(
        &self,
        flag_key: &str,
        ctx: &Context,
        options: &EngineOptions,
    ) -> Pick<'static> {
        match self {
            Fast::Affix {
                attribute,
                affix,
                ends,
                then,
                otherwise,
            } => {
                let holds = match ctx.get(attribute) {
                    Some(Value::String(text)) => {
                        if *ends {
                            text.as_bytes().ends_with(affix.as_bytes())
                        } else {
                            text.as_bytes().starts_with(affix.as_bytes())
                        }
                    }
                    // Not a string: the operator is null, a false condition.
                    _ => false,
                };
                pick_of(if holds { *then } else { *otherwise })
            }
            Fast::Fractional(split) => split.pick(flag_key, ctx, options),
        }
    }
}

/// What a literal the rule answers names: null the default, anything else a variant named as
/// the interpreter names it.
fn branch(value: &Val<'_>, variants: &BTreeMap<String, Json>) -> Branch {
    if matches!(value, Val::Null | Val::Undefined) {
        return Branch::Default;
    }
    super::variant_name(value, |name| {
        variants
            .keys()
            .position(|k| k == name)
            .map_or(Branch::General, |i| Branch::Variant(i as u32))
    })
}

#[inline]
fn pick_of(branch: Branch) -> Pick<'static> {
    match branch {
        Branch::Variant(i) => Pick::Variant(i, ReasonCode::TargetingMatch),
        Branch::Default => Pick::Default,
        Branch::General => Pick::General,
    }
}

impl Split {
    fn of(
        f: &super::ast::Fractional,
        flag_key: &str,
        variants: &BTreeMap<String, Json>,
        options: &EngineOptions,
    ) -> Option<Split> {
        let Args::List(items) = &f.args else {
            return None;
        };
        let first = items.first()?;
        let (key, buckets) = if matches!(first, Expr::Const(Value::List(_))) {
            let mut prefix = Murmur3::new(0);
            if options.fractional == FractionalVersion::V3 {
                // The encoding of `[flagKey, targetingKey]`: the array's head, then texts.
                prefix.feed_word(0x82, 1);
                cbor::feed_text_head(&mut prefix, flag_key.len());
            }
            prefix.feed(flag_key.as_bytes());
            (Key::Implicit(prefix), &items[..])
        } else {
            (Key::Parts(parts(first)?), &items[1..])
        };
        let mut branches = Vec::with_capacity(buckets.len());
        let mut weights = Vec::with_capacity(buckets.len());
        let mut total = 0.0;
        for item in buckets {
            let Expr::Const(value) = item else {
                return None;
            };
            // Every bucket valid (else the interpreter's null).
            let (variant, weight) = fractional::bucket(&Val::of(value))?;
            branches.push(branch(&variant, variants));
            weights.push(weight);
            total += weight;
        }
        if buckets.is_empty() || total > fractional::MAX_WEIGHT {
            return None;
        }
        // v1 reads at most eight literal buckets in place; more go through the interpreter's
        // argument list, with the same answer, but keep to the common case.
        if options.fractional == FractionalVersion::V1 && buckets.len() > 8 {
            return None;
        }
        Some(Split {
            version: options.fractional,
            key,
            branches: branches.into(),
            integer_weights: weights.iter().map(|w| *w as u64).collect(),
            weights: weights.into(),
            total,
        })
    }

    #[inline]
    fn pick(&self, flag_key: &str, ctx: &Context, options: &EngineOptions) -> Pick<'static> {
        if options.fractional != self.version {
            return Pick::General;
        }
        let hash = match &self.key {
            Key::Implicit(prefix) => {
                // A targeting key given as an attribute goes to the interpreter.
                let Some(key) = ctx.targeting_key() else {
                    return Pick::General;
                };
                let mut state = *prefix;
                match self.version {
                    // No key: the default.
                    FractionalVersion::V1 | FractionalVersion::V2 if key.is_empty() => {
                        return Pick::Default;
                    }
                    FractionalVersion::V1 | FractionalVersion::V2 => {}
                    FractionalVersion::V3 => cbor::feed_text_head(&mut state, key.len()),
                }
                state.feed(key.as_bytes());
                state.finish()
            }
            Key::Parts(parts) => {
                let mut texts: [&[u8]; MAX_PARTS] = [&[]; MAX_PARTS];
                let mut len = 0;
                for (i, part) in parts.iter().enumerate() {
                    let text = match part {
                        Part::FlagKey => flag_key,
                        Part::Attribute(name) => match ctx.get(name) {
                            Some(Value::String(s)) => s.as_str(),
                            _ => return Pick::General,
                        },
                    };
                    texts[i] = text.as_bytes();
                    len += text.len();
                }
                let mut state = Murmur3::new(0);
                if self.version == FractionalVersion::V3 {
                    // The encoding of the text: its head, then its bytes.
                    cbor::feed_text_head(&mut state, len);
                }
                for text in &texts[..parts.len()] {
                    state.feed(text);
                }
                state.finish()
            }
        };
        let at = match self.version {
            FractionalVersion::V1 => self.walk_v1(hash),
            FractionalVersion::V2 | FractionalVersion::V3 => self.walk(hash),
        };
        match at.and_then(|i| self.branches.get(i)) {
            Some(branch) => pick_of(*branch),
            None => Pick::Default,
        }
    }

    /// v2 and v3: `(hash * total) >> 32`, then the first bucket whose cumulative weight exceeds
    /// it.
    #[inline]
    fn walk(&self, hash: u32) -> Option<usize> {
        let point = (u64::from(hash) * self.total as u64) >> 32;
        let mut cumulative = 0u64;
        for (i, weight) in self.integer_weights.iter().enumerate() {
            cumulative += weight;
            if cumulative > point {
                return Some(i);
            }
        }
        None
    }

    /// v1: the hash as a signed integer scaled to a percentage, against cumulative
    /// percentages.
    #[inline]
    fn walk_v1(&self, hash: u32) -> Option<usize> {
        if self.total == 0.0 {
            return None;
        }
        let point = fractional::v1_point(hash);
        let mut cumulative = 0.0;
        for (i, weight) in self.weights.iter().enumerate() {
            cumulative += weight * 100.0 / self.total;
            if point < cumulative {
                return Some(i);
            }
        }
        None
    }
}

/// The strings a bucketing value concatenates: an attribute, the flag key, or `cat` of them.
fn parts(expr: &Expr) -> Option<Box<[Part]>> {
    let part = |expr: &Expr| match expr {
        Expr::Attribute(name, _) => Some(Part::Attribute(name.clone())),
        Expr::Var(var)
            if var.root == RootName::Flagd
                && var.default.is_none()
                && !var.stop_at_falsy
                && var.path.len() == 2
                && &*var.path[1] == "flagKey" =>
        {
            Some(Part::FlagKey)
        }
        _ => None,
    };
    match expr {
        Expr::Concat(items) if !items.is_empty() && items.len() <= MAX_PARTS => {
            items.iter().map(part).collect()
        }
        other => part(other).map(|p| Box::from([p])),
    }
}
