//! Flipt's dialect: a flag of Flipt's namespace snapshot, with its rules or rollouts, evaluated
//! as Flipt's own engine (`flipt-evaluation`, inside `flipt-client`) evaluates it, answer for
//! answer: `conformance/flipt/` compares the two on generated snapshots.
//!
//! A Flipt flag answers the whole read: its value, its reason, the segments that matched, and
//! what a disabled flag serves (a disabled boolean flag's rollouts are still evaluated).
//!
//! # Evaluation
//!
//! - **Variant flags** (a `String` flag of variant keys): rules in order; a rule's segments
//!   combined by its operator (`OR`: at least one; `AND`: all; no segments: `OR` never
//!   matches, `AND` always does; of two segments with one key, the last counts), each
//!   segment's constraints by its match type (`ALL`, `ANY`). In the first rule that matches, the distributions with a positive rollout split
//!   the entities: `crc32(flag key + entity id) % 1000` against cumulative buckets computed
//!   in 32-bit floats (each rollout scaled to its share of their total, the last bucket
//!   1000).
//! - **Boolean flags**: rollouts in order; a threshold matches when
//!   `crc32(entity id + flag key) % 100` is below its percentage (32-bit floats), a segment
//!   rollout as a rule's segments do; the first that matches gives its value, else the flag's
//!   `enabled`. Only a disabled flag without any rollout answers `false` at once (a rollout
//!   with neither threshold nor segment is skipped, but counts).
//! - **Constraints** compare a context attribute as a string (see below) or the entity id:
//!   numbers are 32-bit integers (`+5` and `007` read; ` 5`, `5.0`, `1e1` do not, and then
//!   every operator is false), `isoneof` lists are JSON arrays (a string list that cannot be
//!   read, because it is not an array of strings or holds any escape, makes `isoneof` false
//!   and `isnotoneof` true; a number list that cannot be read makes both false), booleans
//!   are exactly `true` or `false`, datetimes are RFC 3339 compared in whole seconds
//!   ([`parse_datetime`](flags_schema::flipt::grammar::parse_datetime) says which). A missing
//!   attribute reads as `""`, which only `empty`, `notempty`, `present` and `notpresent`
//!   test; a constraint of unknown type fails its segment when it is reached (under `ANY`, a
//!   constraint before it that holds wins), an unknown operator is false.
//!
//! The entity id is the context's targeting key. Where bucketing needs it (a split between two
//! or more variants, a threshold strictly between 0 % and 99 %) and the context has none or
//! an empty one, the read answers the caller's default with `TARGETING_KEY_MISSING` (Flipt's
//! client refuses an empty entity id before evaluating).
//!
//! # Reasons and values
//!
//! | flag | Flipt answers | reason | value |
//! | --- | --- | --- | --- |
//! | boolean | a segment rollout matched | `TARGETING_MATCH` | its value |
//! | boolean | a threshold rollout matched | `SPLIT` | its value |
//! | boolean | no rollout matched | `DEFAULT` | the flag's `enabled` |
//! | boolean | disabled, no rollouts | `DISABLED` | `false` |
//! | variant | a rule with two or more positive distributions | `SPLIT` | the variant key |
//! | variant | a rule with one positive distribution | `TARGETING_MATCH` | the variant key |
//! | variant | a rule without positive distributions | `TARGETING_MATCH` | the default variant's key, or the caller's default |
//! | variant | no rule matched | `DEFAULT` | the default variant's key, or the caller's default (Flipt: `UNKNOWN`) |
//! | variant | disabled | `DISABLED` | the default variant's key, or the caller's default |
//! | either | no targeting key where bucketing needs one | `ERROR`, `TARGETING_KEY_MISSING` | the caller's default |
//! | either | unknown flag / read as the wrong type | `ERROR`, `FLAG_NOT_FOUND` / `TYPE_MISMATCH` | the caller's default |
//!
//! The variant key is `details.variant` and the value of a read as `String` (or a
//! `FlagVariant` enum). A read as a structured type (a struct, a map, `serde_json::Value`)
//! gets the variant's attachment, decoded once per configuration and type; a variant without
//! attachment (absent or `""`) answers the caller's default with the reason above, and an
//! attachment that is not JSON reads as a JSON string. The keys of the segments that matched
//! are the flag metadata `segments`, sorted and comma-separated (`"beta-users,staff"`).
//!
//! # Typed context values
//!
//! Flipt compares strings only (its engine drops other JSON values). A typed attribute of the
//! context is compared by the string a user of Flipt's clients would send:
//!
//! | attribute | compared as |
//! | --- | --- |
//! | `Value::String` | itself |
//! | `Value::Bool` | `"true"` / `"false"` |
//! | `Value::Int` | its decimal digits (`30` → `"30"`) |
//! | `Value::Float` | `f64::to_string()` (`2.5` → `"2.5"`, `3.0` → `"3"`) |
//! | `Value::DateTime` | RFC 3339 in UTC (`"2024-03-10T12:30:45Z"`, with the fraction when there is one) |
//! | `Value::Null`, `Value::List`, `Value::Map`, missing | `""` |
//!
//! Where issue 15 and Flipt's engine disagreed, this follows the engine: a rule that matches
//! without a positive distribution serves the default variant (`TARGETING_MATCH`), not the
//! caller's default; the two rules above about lists and unknown types; a disabled boolean
//! flag whose only rollout is empty evaluates it (`DEFAULT`).
//!
//! # Deliberate differences from Flipt's engine
//!
//! - No targeting key where bucketing needs one is an error, not the hash of the flag key alone.
//! - A flag whose own object cannot be read (a field of the wrong JSON type) answers
//!   `PARSE_ERROR` while the others serve; Flipt's engine refuses the whole snapshot. Absent
//!   fields read as their protobuf zero values (`enabled` false, `matchType` `ALL`,
//!   `segmentOperator` `OR`, `value` `""`) where Flipt's engine requires them.
//! - A rule or rollout with more than 64 segments answers `PARSE_ERROR`.
//! - The matched segment keys are sorted (Flipt's order is that of a hash map).
//! - A flag read as the other type (a variant flag as `bool`) whose answer is the caller's
//!   default answers it without error, as every flag that defers to the code does; Flipt's
//!   engine refuses the evaluation of the wrong type whatever it would answer.

mod eval;
mod hash;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use flags_schema::flipt::grammar::{self, FlagKind};
use serde_json::Value as Json;

use super::outcome::{KeyedVariant as Variant, Meta, Outcome, ReasonCode, Resolved, Served};
use crate::context::Context;
use crate::details::{ErrorCode, EvaluationError, FlagMetadata};
use crate::flag_value::{Decoders, FlagValueRef, ObjectValue};
use eval::Segments;

/// A Flipt flag, compiled: what every read of it evaluates.
#[derive(Debug)]
pub(crate) struct Flag {
    /// The flag key, for messages.
    key: Arc<str>,
    /// The flag key's part of the hashes.
    crc: hash::KeyCrc,
    /// The flag's metadata, for answers without segments.
    metadata: FlagMetadata,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// A boolean flag whose rollouts are all thresholds (a percentage rollout): evaluated
    /// without segments, in few registers.
    Thresholds {
        enabled: bool,
        thresholds: Box<[Threshold]>,
    },
    Boolean {
        enabled: bool,
        /// Disabled without rollouts (a rollout with neither threshold nor segment counts,
        /// though it is skipped): `false`, DISABLED.
        off: bool,
        rollouts: Box<[Rollout]>,
    },
    Variant {
        enabled: bool,
        default: Option<Variant>,
        rules: Box<[Rule]>,
    },
}

#[derive(Debug)]
enum Rollout {
    Threshold(Threshold),
    Segment { segments: Segments, value: bool },
}

/// A threshold rollout. One at or below 0 % (or NaN) matches nobody and is left out when the
/// flag compiles.
#[derive(Debug, Clone, Copy)]
enum Threshold {
    /// Above 99 %: everybody, no hash needed.
    Everyone { value: bool },
    /// `p` %, 0 < `p` ≤ 99: the entities whose bucket (0..100) is below `⌈p⌉`. Flipt
    /// compares the bucket and `p` as 32-bit floats, `bucket < p`: for an integer bucket, the
    /// same.
    Below { below: u32, value: bool },
}

/// Bucketing needs an entity id, and the context has none.
struct MissingKey;

/// What a flag decides for a context, before it is read (a value) or resolved (details).
enum Decision<'s> {
    Bool(bool, ReasonCode),
    /// A variant, or none (the default variant that the flag does not have): the caller's
    /// default.
    Variant(Option<&'s Variant>, ReasonCode),
    /// Bucketing needs an entity id, and the context has none.
    MissingKey,
}

#[derive(Debug)]
struct Rule {
    segments: Segments,
    pick: Pick,
}

/// What a rule that matches serves.
#[derive(Debug)]
enum Pick {
    /// No positive distribution: the default variant.
    Default,
    /// One: that variant, whoever the entity.
    One(Variant),
    /// Two or more: the entity's bucket decides.
    Split {
        buckets: Box<[i32]>,
        variants: Box<[Variant]>,
    },
}

impl Flag {
    /// The value every read of this flag gets, whatever the context, when there is one: a
    /// boolean flag with no rollout (its `enabled`) or whose first rollout is a threshold
    /// that takes everyone. What a key's slot may cache for reads of the value (details still
    /// ask the flag, for the reason).
    pub(crate) fn constant(&self) -> Option<bool> {
        match &self.kind {
            Kind::Thresholds {
                enabled,
                thresholds,
            } => match thresholds.first() {
                None => Some(*enabled),
                Some(Threshold::Everyone { value }) => Some(*value),
                Some(Threshold::Below { .. }) => None,
            },
            Kind::Boolean { .. } | Kind::Variant { .. } => None,
        }
    }

    /// Compiles a Flipt rule (`{"namespace": ..., "flag": {...}}`) of the flag `key`, whose
    /// metadata is `metadata`. `Err` says why it cannot be evaluated (`PARSE_ERROR`).
    pub(crate) fn compile(
        rule: &Json,
        key: &Arc<str>,
        metadata: &FlagMetadata,
        decoders: &Arc<Decoders>,
    ) -> Result<Flag, String> {
        let flag = flags_schema::flipt::rule_flag(rule)?;
        let variant = |v: &grammar::Variant| Variant {
            key: Arc::from(v.key.as_str()),
            attachment: v
                .attachment
                .as_deref()
                .filter(|a| !a.is_empty())
                .map(|text| {
                    // An attachment that is not JSON (Flipt's server refuses those) reads as its
                    // text.
                    let json = serde_json::from_str(text).unwrap_or_else(|_| Json::from(text));
                    Arc::new(ObjectValue::new(json, key.clone(), decoders.clone()))
                }),
        };
        let kind = match flag.kind {
            FlagKind::Boolean => {
                let rollouts: Vec<Rollout> = flag
                    .rollouts
                    .iter()
                    .filter_map(|rollout| match rollout {
                        grammar::Rollout::Threshold { percentage, value } => {
                            let (percentage, value) = (*percentage, *value);
                            if percentage.is_nan() || percentage <= 0.0 {
                                // Nobody: skipped, as Flipt's engine compares it to no bucket.
                                None
                            } else if percentage > 99.0 {
                                Some(Rollout::Threshold(Threshold::Everyone { value }))
                            } else {
                                // 1..=99: exact in 32 bits.
                                Some(Rollout::Threshold(Threshold::Below {
                                    below: percentage.ceil() as u32,
                                    value,
                                }))
                            }
                        }
                        grammar::Rollout::Segment {
                            operator,
                            value,
                            segments,
                        } => Some(Rollout::Segment {
                            segments: Segments::compile(*operator, segments, metadata),
                            value: *value,
                        }),
                        // Skipped, as Flipt's engine skips it.
                        _ => None,
                    })
                    .collect();
                let thresholds: Option<Box<[Threshold]>> = rollouts
                    .iter()
                    .map(|rollout| match rollout {
                        Rollout::Threshold(threshold) => Some(*threshold),
                        Rollout::Segment { .. } => None,
                    })
                    .collect();
                let off = !flag.enabled && flag.rollouts.is_empty();
                match thresholds {
                    // Disabled without rollouts is `off`, which only `Boolean` answers.
                    Some(thresholds) if !off => Kind::Thresholds {
                        enabled: flag.enabled,
                        thresholds,
                    },
                    _ => Kind::Boolean {
                        enabled: flag.enabled,
                        off,
                        rollouts: rollouts.into_boxed_slice(),
                    },
                }
            }
            _ => Kind::Variant {
                enabled: flag.enabled,
                default: flag.default_variant.as_ref().map(variant),
                rules: flag
                    .rules
                    .iter()
                    .map(|rule| {
                        let positive: Vec<&grammar::Distribution> = rule
                            .distributions
                            .iter()
                            .filter(|d| d.rollout > 0.0)
                            .collect();
                        let pick = match positive.as_slice() {
                            [] => Pick::Default,
                            [one] => Pick::One(variant(&one.variant)),
                            many => Pick::Split {
                                buckets: hash::buckets(
                                    &many.iter().map(|d| d.rollout).collect::<Vec<_>>(),
                                ),
                                variants: many.iter().map(|d| variant(&d.variant)).collect(),
                            },
                        };
                        Rule {
                            segments: Segments::compile(rule.operator, &rule.segments, metadata),
                            pick,
                        }
                    })
                    .collect(),
            },
        };
        Ok(Flag {
            key: key.clone(),
            crc: hash::KeyCrc::new(key),
            metadata: metadata.clone(),
            kind,
        })
    }

    /// Every attachment, to decode them when a configuration loads as the types they were
    /// read as before.
    pub(crate) fn attachments(&self) -> Vec<&ObjectValue> {
        let Kind::Variant { default, rules, .. } = &self.kind else {
            return Vec::new();
        };
        let picked = rules.iter().flat_map(|rule| match &rule.pick {
            Pick::Default => &[][..],
            Pick::One(variant) => std::slice::from_ref(variant),
            Pick::Split { variants, .. } => variants,
        });
        default
            .iter()
            .chain(picked)
            .filter_map(|variant| variant.attachment.as_deref())
            .collect()
    }

    /// Evaluates the flag for `ctx`: its whole answer, for details.
    pub(crate) fn resolve<'s>(&'s self, ctx: &Context) -> Resolved<'s> {
        let (decision, metadata) = self.decide(ctx);
        let resolution = match decision {
            Decision::Bool(value, reason) => Outcome::Value {
                value: FlagValueRef::Bool(value),
                variant: None,
                reason,
            },
            Decision::Variant(Some(variant), reason) => Outcome::Variant {
                key: &variant.key,
                attachment: variant.attachment.as_deref(),
                reason,
            },
            Decision::Variant(None, reason) => Outcome::CodeDefault { reason },
            Decision::MissingKey => Outcome::Error(self.missing_key()),
        };
        Resolved {
            resolution,
            metadata,
        }
    }

    /// Evaluates the flag for `ctx`: its value only, for reads of values. A percentage
    /// rollout is evaluated here, the other flags out of line.
    pub(crate) fn serve<'s>(&'s self, ctx: &Context) -> Served<'s> {
        match &self.kind {
            Kind::Thresholds {
                enabled,
                thresholds,
            } => match self.split(thresholds, ctx) {
                Ok(Some(value)) => Served::bool(value),
                Ok(None) => Served::bool(*enabled),
                Err(MissingKey) => Served::Default,
            },
            _ => self.serve_decided(ctx),
        }
    }

    #[inline(never)]
    fn serve_decided<'s>(&'s self, ctx: &Context) -> Served<'s> {
        match self.decide(ctx).0 {
            Decision::Bool(value, _) => Served::bool(value),
            Decision::Variant(Some(variant), _) => Served::Variant(variant),
            Decision::Variant(None, _) | Decision::MissingKey => Served::Default,
        }
    }

    /// The value of the first of `thresholds` that the context's entity falls in, if any.
    #[inline(always)]
    fn split(&self, thresholds: &[Threshold], ctx: &Context) -> Result<Option<bool>, MissingKey> {
        for threshold in thresholds {
            match *threshold {
                Threshold::Everyone { value } => return Ok(Some(value)),
                Threshold::Below { below, value } => {
                    let entity = ctx.targeting_key().unwrap_or("");
                    if entity.is_empty() {
                        return Err(MissingKey);
                    }
                    if self.crc.key_last(entity) % 100 < below {
                        return Ok(Some(value));
                    }
                }
            }
        }
        Ok(None)
    }

    /// What the flag decides for `ctx`, and the metadata of the answer: written once for
    /// [`Flag::resolve`] and [`Flag::serve`], and inlined into each (a read of the value
    /// builds no metadata).
    #[inline(always)]
    fn decide<'s>(&'s self, ctx: &Context) -> (Decision<'s>, Meta<'s>) {
        let entity = ctx.targeting_key().unwrap_or("");
        let flag = Meta::Flag(&self.metadata);
        match &self.kind {
            Kind::Thresholds {
                enabled,
                thresholds,
            } => match self.split(thresholds, ctx) {
                Ok(Some(value)) => (Decision::Bool(value, ReasonCode::Split), flag),
                Ok(None) => (Decision::Bool(*enabled, ReasonCode::Default), flag),
                Err(MissingKey) => (Decision::MissingKey, flag),
            },
            Kind::Boolean {
                enabled,
                off,
                rollouts,
            } => {
                if *off {
                    return (Decision::Bool(false, ReasonCode::Disabled), flag);
                }
                for rollout in rollouts {
                    match rollout {
                        Rollout::Threshold(threshold) => {
                            match self.split(std::slice::from_ref(threshold), ctx) {
                                Ok(Some(value)) => {
                                    return (Decision::Bool(value, ReasonCode::Split), flag);
                                }
                                Ok(None) => {}
                                Err(MissingKey) => return (Decision::MissingKey, flag),
                            }
                        }
                        Rollout::Segment { segments, value } => {
                            if let Some(mask) = segments.matches(ctx, entity) {
                                return (
                                    Decision::Bool(*value, ReasonCode::TargetingMatch),
                                    Meta::Segments(&segments.meta, mask),
                                );
                            }
                        }
                    }
                }
                (Decision::Bool(*enabled, ReasonCode::Default), flag)
            }
            Kind::Variant {
                enabled,
                default,
                rules,
            } => {
                let default = default.as_ref();
                if !enabled {
                    return (Decision::Variant(default, ReasonCode::Disabled), flag);
                }
                for rule in rules {
                    let Some(mask) = rule.segments.matches(ctx, entity) else {
                        continue;
                    };
                    let decision = match &rule.pick {
                        Pick::Default => Decision::Variant(default, ReasonCode::TargetingMatch),
                        Pick::One(variant) => {
                            Decision::Variant(Some(variant), ReasonCode::TargetingMatch)
                        }
                        Pick::Split { buckets, variants } => {
                            if entity.is_empty() {
                                Decision::MissingKey
                            } else {
                                let bucket = self.crc.key_first(entity) % 1000;
                                // The last bucket is 1000: every bucket lands on a variant.
                                match variants.get(hash::pick(buckets, bucket)) {
                                    Some(variant) => {
                                        Decision::Variant(Some(variant), ReasonCode::Split)
                                    }
                                    None => Decision::Variant(default, ReasonCode::Default),
                                }
                            }
                        }
                    };
                    return (decision, Meta::Segments(&rule.segments.meta, mask));
                }
                (Decision::Variant(default, ReasonCode::Default), flag)
            }
        }
    }

    #[cold]
    fn missing_key(&self) -> EvaluationError {
        EvaluationError::new(
            ErrorCode::TargetingKeyMissing,
            format!(
                "flag `{}` splits by targeting key, and the context has none",
                self.key
            ),
        )
    }
}
