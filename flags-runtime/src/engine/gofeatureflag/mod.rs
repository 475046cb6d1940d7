//! GO Feature Flag's flags, compiled once when a configuration loads and evaluated per read as
//! its engine (`go-feature-flag/modules/core`, shipped as WASI in its providers) evaluates them.
//!
//! | file | job |
//! | --- | --- |
//! | `mod.rs` | the compiled flag: scheduled phases, rules in order, the default rule, reasons |
//! | `query.rs` | the query language (`flags_schema::gofeatureflag::query`) |
//! | `fast.rs` | the specialised form of a one-comparison string query |
//! | `jsonlogic.rs` | JSON Logic queries, as its Go JSON Logic library answers them |
//! | `time.rs` | RFC 3339 instants, and "now" for one evaluation |
//!
//! A flag is compiled into one phase per scheduled step (the flag with the steps up to it
//! overlaid); a read picks the phase of "now". "Now" is the context attribute
//! `gofeatureflag.currentDateTime` when it is an RFC 3339 instant, else the engine's clock
//! ([`EngineOptions::clock`](super::EngineOptions::clock)), read at most once per read, only by
//! flags whose answer depends on time.
//!
//! The relay's `evaluationContextEnrichment` is laid over the caller's context as the engine
//! does: attribute by attribute (a map replaced whole), never as the targeting key, after the
//! phase and the experimentation window are chosen with the caller's "now" (a progressive
//! rollout reads "now" from the enriched context).
//!
//! Bucketing: FNV-1a-32 of the flag key followed by the bucketing value, modulo the sum of the
//! percentages × 1000, buckets in reverse-lexicographic order of variation name; a progressive
//! rollout on a 100,000 scale.

use std::collections::BTreeMap;
use std::sync::Arc;

use flags_schema::MetadataValue;
use flags_schema::gofeatureflag::query::{self as grammar, Query};
use serde_json::{Map, Value as Json};

use super::value::CompiledValue;
use super::{Clock, ReasonCode};
use crate::context::Context;
use crate::details::{ErrorCode, FlagMetadata};
use crate::flag_value::Decoders;
use crate::value::Value;

mod fast;
#[cfg(test)]
mod fast_tests;
mod jsonlogic;
mod query;
#[cfg(fuzzing)]
mod specialised_check;
mod time;

#[cfg(fuzzing)]
pub(crate) use specialised_check::check_specialised;

/// A compiled GO Feature Flag flag.
#[derive(Debug)]
pub(crate) struct Flag {
    /// `phases[i]` applies from `dates[i - 1]` (the first always).
    phases: Box<[Phase]>,
    /// The dates of the scheduled steps, in nanoseconds since the epoch, sorted.
    dates: Box<[i128]>,
    /// Whether some rule of some phase splits: then a bucketing value is required.
    needs_bucketing: bool,
    /// Whether the answer depends on "now".
    uses_time: bool,
    /// The relay's `evaluationContextEnrichment`: attributes laid over the caller's for
    /// targeting and bucketing (not for "now", and never as the targeting key).
    enrichment: Option<Context>,
    /// Whether the flag is one enabled phase whose answer depends on its rules' conditions
    /// alone: no time, window, enrichment or bucketing, every rule and the default rule
    /// serving a variation ([`Flag::decide_simple`]).
    simple: bool,
}

#[derive(Debug)]
struct Phase {
    disabled: bool,
    /// The experimentation window, both ends included (outside: DISABLED).
    window: Option<(Option<i128>, Option<i128>)>,
    bucketing_key: Option<Box<str>>,
    rules: Box<[Rule]>,
    default: Option<Rule>,
    /// The variations of the phase that have a value, sorted by name (one without, or a name
    /// that is not a variation, serves the caller's default).
    values: Box<[(Arc<str>, CompiledValue)]>,
    metadata: FlagMetadata,
}

#[derive(Debug)]
struct Rule {
    disabled: bool,
    condition: Condition,
    serve: Serve,
    metadata: FlagMetadata,
    /// The metadata of a split, with GO Feature Flag's own reason.
    split_metadata: FlagMetadata,
}

#[derive(Debug)]
enum Condition {
    Always,
    Never,
    Query(grammar::Expr),
    /// A query of one comparison with a string literal, specialised (`fast.rs`).
    Text(Box<fast::Clause>),
    /// JSON Logic with the operators of `jsonlogic.rs`, evaluated as the engine does.
    Logic(Json),
    /// JSON Logic with other operators, left to flagd's evaluator.
    JsonLogic(Box<super::flagd::Rule>),
}

#[derive(Debug)]
enum Serve {
    Variation(Target),
    Percentage {
        /// (variation, start, end) in reverse-lexicographic order of name.
        buckets: Box<[(Target, f64, f64)]>,
        max: u32,
        /// Whether the answer is a split: not when some variation gets exactly 100 (then the
        /// engine reports the rule's plain reason).
        dynamic: bool,
    },
    Progressive {
        initial: Target,
        end: Target,
        start_s: i64,
        end_s: i64,
        from: f64,
        to: f64,
        start: i128,
        stop: i128,
    },
    /// Nothing can be served (a rule without variation, an invalid rollout).
    Invalid,
    /// A percentage whose shares are all 0: a targeting rule that matches with it fails the
    /// evaluation (the engine's error), a default rule serves nothing.
    NoShare,
}

/// A variation a rule serves, by name, and where its value is in the phase's
/// [`Phase::values`] (`None`: a variation without value or not a variation).
#[derive(Debug)]
struct Target {
    name: Box<str>,
    slot: Option<usize>,
}

impl Target {
    fn new(name: &str) -> Target {
        Target {
            name: Box::from(name),
            slot: None,
        }
    }

    fn resolve(&mut self, values: &[(Arc<str>, CompiledValue)]) {
        self.slot = values
            .binary_search_by(|(name, _)| (**name).cmp(&*self.name))
            .ok();
    }
}

impl Serve {
    /// Points each variation served at its value in `values`.
    fn resolve(&mut self, values: &[(Arc<str>, CompiledValue)]) {
        match self {
            Serve::Variation(target) => target.resolve(values),
            Serve::Percentage { buckets, .. } => {
                buckets.iter_mut().for_each(|(t, ..)| t.resolve(values));
            }
            Serve::Progressive { initial, end, .. } => {
                initial.resolve(values);
                end.resolve(values);
            }
            Serve::Invalid | Serve::NoShare => {}
        }
    }
}

/// What a flag answers for a context.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Decision<'r> {
    /// Serve this variation, with its value at the evaluation's "now".
    Serve {
        value: &'r (Arc<str>, CompiledValue),
        reason: ReasonCode,
        metadata: &'r FlagMetadata,
    },
    /// The caller's default, successfully (disabled, or a variation without value).
    CodeDefault {
        reason: ReasonCode,
        metadata: &'r FlagMetadata,
    },
    /// The caller's default with an error.
    Error {
        code: ErrorCode,
        message: &'static str,
        metadata: &'r FlagMetadata,
    },
}

/// Compiles the targeting `{"flag": <flag>}` of flag `key`.
pub(crate) fn compile(
    key: &Arc<str>,
    targeting: &Json,
    options: &super::EngineOptions,
    decoders: &Arc<Decoders>,
) -> Result<Flag, String> {
    let Some(Json::Object(flag)) = targeting.get("flag") else {
        return Err("the rule holds no `flag` object".to_owned());
    };
    let mut steps: Vec<(i128, &Map<String, Json>)> = match flag.get("scheduledRollout") {
        Some(Json::Array(steps)) => steps
            .iter()
            .filter_map(|s| {
                let s = s.as_object()?;
                Some((time::parse(s.get("date")?.as_str()?)?, s))
            })
            .collect(),
        _ => Vec::new(),
    };
    steps.sort_by_key(|(date, _)| *date);
    let mut current = flag.clone();
    let version = flag.get("version");
    let mut phases = vec![phase(key, &current, version, options, decoders)?];
    for (_, step) in &steps {
        overlay(&mut current, step);
        phases.push(phase(key, &current, version, options, decoders)?);
    }
    let needs_bucketing = phases.iter().any(|p| {
        p.rules.iter().chain(&p.default).any(|r| {
            matches!(
                r.serve,
                Serve::Percentage { .. } | Serve::Progressive { .. }
            )
        })
    }) || splits_json(flag);
    let uses_time = !steps.is_empty()
        || phases.iter().any(|p| {
            p.window.is_some()
                || p.rules
                    .iter()
                    .chain(&p.default)
                    .any(|r| matches!(r.serve, Serve::Progressive { .. }))
        });
    let enrichment = enrichment(targeting);
    let simple = match phases.as_slice() {
        [phase] => {
            let variation = |rule: &Rule| matches!(rule.serve, Serve::Variation(_));
            !uses_time
                && !needs_bucketing
                && enrichment.is_none()
                && !phase.disabled
                && phase.window.is_none()
                && phase.bucketing_key.is_none()
                && phase.rules.iter().all(variation)
                && phase.default.as_ref().is_some_and(variation)
        }
        _ => false,
    };
    Ok(Flag {
        phases: phases.into_boxed_slice(),
        dates: steps.iter().map(|(d, _)| *d).collect(),
        needs_bucketing,
        uses_time,
        enrichment,
        simple,
    })
}

/// The attributes of the relay's `evaluationContextEnrichment` beside the flag, as the engine
/// merges them: each replaces the caller's attribute of that name whole (no deep merge); a
/// `targetingKey` is not one (the engine's evaluation context keeps the caller's key apart).
fn enrichment(targeting: &Json) -> Option<Context> {
    let Some(Json::Object(attributes)) = targeting.get("evaluationContextEnrichment") else {
        return None;
    };
    let mut context = Context::anonymous();
    for (name, value) in attributes
        .iter()
        .filter(|(name, _)| *name != "targetingKey")
    {
        context.set(name.clone(), Value::from(value.clone()));
    }
    (!context.is_empty()).then_some(context)
}

/// Whether the engine reports serving `serve` as a split.
fn splits(serve: &Serve) -> bool {
    matches!(
        serve,
        Serve::Percentage { dynamic: true, .. } | Serve::Progressive { .. }
    )
}

/// Whether a rule of the flag as written splits (also a rollout that cannot be compiled).
fn splits_json(flag: &Map<String, Json>) -> bool {
    let rule_splits = |r: &Json| {
        r.get("percentage").is_some_and(|p| !p.is_null())
            || r.get("progressiveRollout").is_some_and(|p| !p.is_null())
    };
    let rules = flag
        .get("targeting")
        .and_then(Json::as_array)
        .is_some_and(|rules| rules.iter().any(rule_splits));
    let steps = flag
        .get("scheduledRollout")
        .and_then(Json::as_array)
        .is_some_and(|steps| steps.iter().filter_map(Json::as_object).any(splits_json));
    rules || flag.get("defaultRule").is_some_and(rule_splits) || steps
}

/// Overlays a scheduled step on the flag: variations, metadata and the default rule merged
/// deeply, targeting rules by name (merged deeply; new ones appended), anything else replaced.
fn overlay(flag: &mut Map<String, Json>, step: &Map<String, Json>) {
    for (field, value) in step {
        match (field.as_str(), flag.get_mut(field), value) {
            ("date", ..) => {}
            (
                "variations" | "defaultRule" | "metadata",
                Some(Json::Object(old)),
                Json::Object(new),
            ) => merge(old, new),
            ("targeting", Some(Json::Array(old)), Json::Array(new)) => {
                for rule in new {
                    let name = rule.get("name").and_then(Json::as_str);
                    let found = name.and_then(|n| {
                        old.iter_mut()
                            .find(|r| r.get("name").and_then(Json::as_str) == Some(n))
                    });
                    match (found, rule) {
                        (Some(Json::Object(old)), Json::Object(new)) => merge(old, new),
                        _ => old.push(rule.clone()),
                    }
                }
            }
            _ => {
                flag.insert(field.clone(), value.clone());
            }
        }
    }
}

/// Merges `new` into `old` deeply: objects field by field (a rule's `percentage` keeps the
/// shares the step does not name), anything else replaced.
fn merge(old: &mut Map<String, Json>, new: &Map<String, Json>) {
    for (k, v) in new {
        match (old.get_mut(k), v) {
            (Some(Json::Object(old)), Json::Object(new)) => merge(old, new),
            _ => {
                old.insert(k.clone(), v.clone());
            }
        }
    }
}

fn phase(
    key: &Arc<str>,
    flag: &Map<String, Json>,
    version: Option<&Json>,
    options: &super::EngineOptions,
    decoders: &Arc<Decoders>,
) -> Result<Phase, String> {
    let mut metadata: BTreeMap<String, MetadataValue> = BTreeMap::new();
    if let Some(Json::Object(m)) = flag.get("metadata") {
        for (k, v) in m {
            if let Some(v) = MetadataValue::from_json(v) {
                metadata.insert(k.clone(), v);
            }
        }
    }
    // The flag's own version: a scheduled step's does not change what the engine reports.
    if let Some(Json::String(version)) = version
        && !version.is_empty()
    {
        metadata
            .entry("version".to_owned())
            .or_insert_with(|| MetadataValue::String(version.clone()));
    }
    let rule_of = |value: &Json, default: bool| -> Result<Rule, String> {
        rule(key, value, default, &metadata, options)
    };
    let rules = match flag.get("targeting") {
        Some(Json::Array(rules)) => rules
            .iter()
            .map(|r| rule_of(r, false))
            .collect::<Result<Vec<_>, _>>()?,
        _ => Vec::new(),
    };
    let default = match flag.get("defaultRule") {
        Some(r @ Json::Object(_)) => Some(rule_of(r, true)?),
        _ => None,
    };
    let window = match flag.get("experimentation") {
        Some(Json::Object(w)) => Some((
            w.get("start").and_then(Json::as_str).and_then(time::parse),
            w.get("end").and_then(Json::as_str).and_then(time::parse),
        )),
        _ => None,
    };
    let mut values: Vec<(Arc<str>, CompiledValue)> = match flag.get("variations") {
        Some(Json::Object(variations)) => variations
            .iter()
            .filter(|(_, value)| !value.is_null())
            .map(|(name, value)| {
                let value = CompiledValue::variant(value, key, decoders);
                (Arc::from(name.as_str()), value)
            })
            .collect(),
        _ => Vec::new(),
    };
    values.sort_by(|a, b| a.0.cmp(&b.0));
    let mut rules = rules;
    let mut default = default;
    for rule in rules.iter_mut().chain(default.as_mut()) {
        rule.serve.resolve(&values);
    }
    Ok(Phase {
        disabled: flag.get("disable") == Some(&Json::Bool(true)),
        window,
        bucketing_key: flag
            .get("bucketingKey")
            .and_then(Json::as_str)
            .filter(|k| !k.is_empty())
            .map(Box::from),
        rules: rules.into_boxed_slice(),
        default,
        values: values.into_boxed_slice(),
        metadata: FlagMetadata::new(metadata),
    })
}

fn rule(
    _key: &str,
    value: &Json,
    default: bool,
    base: &BTreeMap<String, MetadataValue>,
    options: &super::EngineOptions,
) -> Result<Rule, String> {
    let mut metadata = base.clone();
    if let Some(Json::String(name)) = value.get("name")
        && !default
    {
        metadata.insert(
            "evaluatedRuleName".to_owned(),
            MetadataValue::String(name.clone()),
        );
    }
    let mut split_metadata = metadata.clone();
    split_metadata.insert(
        "gofeatureflagReason".to_owned(),
        MetadataValue::String("TARGETING_MATCH_SPLIT".to_owned()),
    );
    let condition = match value.get("query") {
        None | Some(Json::Null) => Condition::Always,
        Some(Json::String(q)) => match grammar::json_logic(q) {
            Some(logic) if jsonlogic::supported(&logic) => Condition::Logic(logic),
            // An operator the engine's library lacks: its WASI build traps, its relay takes
            // the rule for not matching.
            Some(logic) if !jsonlogic::known(&logic) => Condition::Never,
            Some(mut logic) => {
                targeting_key_as_key(&mut logic);
                match super::flagd::Rule::compile(&logic, &BTreeMap::new(), options) {
                    Ok(rule) => Condition::JsonLogic(Box::new(rule)),
                    Err(_) => Condition::Never,
                }
            }
            None => match grammar::parse(q) {
                Query::Always => Condition::Always,
                Query::Never => Condition::Never,
                Query::Expr(expr) => match fast::Clause::new(&expr) {
                    Some(clause) => Condition::Text(Box::new(clause)),
                    None => Condition::Query(expr),
                },
            },
        },
        Some(_) => Condition::Never,
    };
    Ok(Rule {
        disabled: value.get("disable") == Some(&Json::Bool(true)),
        condition,
        serve: serve(value),
        metadata: FlagMetadata::new(metadata),
        split_metadata: FlagMetadata::new(split_metadata),
    })
}

/// GO Feature Flag's JSON Logic names the targeting key `key`; flagd's, `targetingKey`.
fn targeting_key_as_key(logic: &mut Json) {
    match logic {
        Json::Object(map) => {
            if let Some(var) = map.get_mut("var") {
                match var {
                    Json::String(name) if name == "key" => *name = "targetingKey".to_owned(),
                    Json::Array(items) => {
                        if let Some(Json::String(name)) = items.first_mut()
                            && name == "key"
                        {
                            *name = "targetingKey".to_owned();
                        }
                    }
                    _ => {}
                }
            }
            map.values_mut().for_each(targeting_key_as_key);
        }
        Json::Array(items) => items.iter_mut().for_each(targeting_key_as_key),
        _ => {}
    }
}

fn serve(rule: &Json) -> Serve {
    if let Some(Json::Object(p)) = rule.get("progressiveRollout") {
        return progressive(p).unwrap_or(Serve::Invalid);
    }
    if let Some(Json::Object(p)) = rule.get("percentage")
        && !p.is_empty()
    {
        let mut entries: Vec<(&String, f64)> = p
            .iter()
            .map(|(k, v)| (k, v.as_f64().unwrap_or(0.0)))
            .collect();
        entries.sort_by(|a, b| b.0.cmp(a.0));
        let mut start = 0.0;
        let mut buckets = Vec::with_capacity(entries.len());
        let mut sum = 0.0;
        for (name, p) in &entries {
            sum += p;
            let end = start + p * 1000.0;
            buckets.push((Target::new(name), start, end));
            start = end;
        }
        let max = (sum * 1000.0) as u32;
        if max == 0 {
            return Serve::NoShare;
        }
        return Serve::Percentage {
            buckets: buckets.into_boxed_slice(),
            max,
            dynamic: !entries.iter().any(|(_, p)| *p == 100.0),
        };
    }
    match rule.get("variation") {
        Some(Json::String(name)) => Serve::Variation(Target::new(name)),
        _ => Serve::Invalid,
    }
}

fn progressive(p: &Map<String, Json>) -> Option<Serve> {
    let step = |field: &str| -> Option<(Target, i128, Option<f64>)> {
        let s = p.get(field)?.as_object()?;
        Some((
            Target::new(s.get("variation")?.as_str()?),
            time::parse(s.get("date")?.as_str()?)?,
            s.get("percentage").and_then(Json::as_f64),
        ))
    };
    let (initial, start, from) = step("initial")?;
    let (end, stop, to) = step("end")?;
    if stop <= start {
        return None;
    }
    Some(Serve::Progressive {
        initial,
        end,
        start_s: time::unix_seconds(start),
        end_s: time::unix_seconds(stop),
        from: from.unwrap_or(0.0) * 1000.0,
        to: to.unwrap_or(100.0) * 1000.0,
        start,
        stop,
    })
}

/// FNV-1a, 32 bits, of the concatenation of `parts`.
pub(crate) fn fnv1a32(parts: &[&[u8]]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for part in parts {
        for byte in *part {
            hash ^= u32::from(*byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
    }
    hash
}

impl Flag {
    /// The variant the flag always serves, with its metadata, when it has nothing that depends
    /// on the context or the time: one phase, enabled, no window, no targeting rule, no
    /// bucketing key (whose absence is an error), a default rule serving a variation with a
    /// value (reason STATIC).
    pub(crate) fn constant(&self) -> Option<(&(Arc<str>, CompiledValue), &FlagMetadata)> {
        let [phase] = &*self.phases else {
            return None;
        };
        if self.uses_time
            || self.needs_bucketing
            || phase.disabled
            || phase.window.is_some()
            || phase.bucketing_key.is_some()
            || !phase.rules.is_empty()
        {
            return None;
        }
        let default = phase.default.as_ref()?;
        let Serve::Variation(target) = &default.serve else {
            return None;
        };
        Some((phase.values.get(target.slot?)?, &default.metadata))
    }

    /// What the flag answers for `ctx`.
    #[inline]
    pub(crate) fn decide(&self, flag_key: &str, ctx: &Context, clock: Clock) -> Decision<'_> {
        if self.simple
            && let Some(decision) = self.decide_simple(flag_key, ctx)
        {
            return decision;
        }
        self.decide_general(flag_key, ctx, clock)
    }

    /// [`Flag::decide`] of a [`Flag::simple`] flag: the phase is the only one, the bucketing
    /// value is never missing (no rule splits, no bucketing key), nothing is disabled but
    /// rules, and every rule serves a variation. `None` for a flag of another shape.
    #[inline]
    fn decide_simple(&self, flag_key: &str, ctx: &Context) -> Option<Decision<'_>> {
        let [phase] = &*self.phases else {
            return None;
        };
        let scope = query::Scope {
            ctx,
            enrichment: None,
        };
        for rule in &phase.rules {
            if rule.disabled {
                continue;
            }
            // The specialised query inline; anything else through `applies`.
            let holds = match &rule.condition {
                Condition::Text(clause) => match clause.test(ctx) {
                    Some(holds) => holds,
                    None => query::matches(&clause.expr, scope),
                },
                _ => rule.applies(flag_key, scope),
            };
            if !holds {
                continue;
            }
            let Serve::Variation(target) = &rule.serve else {
                return None;
            };
            return Some(phase.serve(target, ReasonCode::TargetingMatch, &rule.metadata));
        }
        let default = phase.default.as_ref()?;
        let Serve::Variation(target) = &default.serve else {
            return None;
        };
        let reason = if phase.rules.is_empty() {
            ReasonCode::Static
        } else {
            ReasonCode::Default
        };
        Some(phase.serve(target, reason, &default.metadata))
    }

    /// [`Flag::decide`] of a flag of any shape, out of line.
    #[inline(never)]
    fn decide_general(&self, flag_key: &str, ctx: &Context, clock: Clock) -> Decision<'_> {
        // "Now" is the context's instant, else the clock's (read at most once). The engine
        // picks the scheduled phase and checks the experimentation window with the caller's
        // context, then lays the enrichment over it: a progressive rollout reads "now" from
        // the enriched context.
        let enriched;
        let (ctx, now, rollout_now) = match &self.enrichment {
            None => {
                let now = if self.uses_time {
                    time::of_context(ctx).unwrap_or_else(|| time::read(clock))
                } else {
                    0
                };
                (ctx, now, now)
            }
            Some(enrichment) => {
                // A copy of the context per read, only for a relay that sends an enrichment.
                enriched = ctx.merged(enrichment);
                let (now, rollout_now) = if self.uses_time {
                    let mut wall = None;
                    let mut instant = |of: Option<i128>| {
                        of.unwrap_or_else(|| *wall.get_or_insert_with(|| time::read(clock)))
                    };
                    (
                        instant(time::of_context(ctx)),
                        instant(time::of_context(&enriched)),
                    )
                } else {
                    (0, 0)
                };
                (&enriched, now, rollout_now)
            }
        };
        let scope = query::Scope {
            ctx,
            enrichment: self.enrichment.as_ref(),
        };
        let index = self.dates.partition_point(|date| *date <= now);
        let Some(phase) = self.phases.get(index) else {
            // Unreachable: one phase per date, plus the first.
            return Decision::Error {
                code: ErrorCode::General,
                message: "no phase",
                metadata: &EMPTY,
            };
        };
        // A bucketing key must name a string attribute (empty is fine); without one, the
        // targeting key is needed (non-empty) only by a flag that splits.
        let bucketing = match &phase.bucketing_key {
            Some(attribute) => match ctx.get(attribute) {
                Some(Value::String(s)) if !s.is_empty() || !self.needs_bucketing => {
                    Some(s.as_str())
                }
                _ => None,
            },
            None => match ctx.targeting_key() {
                Some(key) if !key.is_empty() => Some(key),
                _ if self.needs_bucketing => None,
                _ => Some(""),
            },
        };
        let Some(bucketing) = bucketing else {
            return Decision::Error {
                code: ErrorCode::TargetingKeyMissing,
                message: "the flag needs a targeting or bucketing key, which the context lacks",
                metadata: &phase.metadata,
            };
        };
        let outside = phase.window.is_some_and(|(start, end)| {
            start.is_some_and(|s| now < s) || end.is_some_and(|e| now > e)
        });
        if phase.disabled || outside {
            return Decision::CodeDefault {
                reason: ReasonCode::Disabled,
                metadata: &phase.metadata,
            };
        }
        for rule in &phase.rules {
            if rule.disabled || !rule.applies(flag_key, scope) {
                continue;
            }
            if matches!(rule.serve, Serve::NoShare) {
                return Decision::Error {
                    code: ErrorCode::General,
                    message: "the matching rule's percentages are all 0",
                    metadata: &phase.metadata,
                };
            }
            let Some(target) = rule.serve.pick(flag_key, bucketing, rollout_now) else {
                continue;
            };
            let (reason, metadata) = if splits(&rule.serve) {
                (ReasonCode::Split, &rule.split_metadata)
            } else {
                (ReasonCode::TargetingMatch, &rule.metadata)
            };
            return phase.serve(target, reason, metadata);
        }
        let Some(default) = &phase.default else {
            return Decision::Error {
                code: ErrorCode::General,
                message: "the flag has no default rule",
                metadata: &phase.metadata,
            };
        };
        match default.serve.pick(flag_key, bucketing, rollout_now) {
            Some(target) => {
                let reason = if splits(&default.serve) {
                    ReasonCode::Split
                } else if phase.rules.is_empty() {
                    ReasonCode::Static
                } else {
                    ReasonCode::Default
                };
                phase.serve(target, reason, &default.metadata)
            }
            None => Decision::Error {
                code: ErrorCode::General,
                message: "the default rule serves no variation",
                metadata: &phase.metadata,
            },
        }
    }
}

static EMPTY: FlagMetadata = FlagMetadata::empty();

impl Phase {
    fn serve<'r>(
        &'r self,
        target: &Target,
        reason: ReasonCode,
        metadata: &'r FlagMetadata,
    ) -> Decision<'r> {
        match target.slot.and_then(|i| self.values.get(i)) {
            Some(value) => Decision::Serve {
                value,
                reason,
                metadata,
            },
            None => Decision::CodeDefault { reason, metadata },
        }
    }
}

impl Rule {
    fn applies(&self, flag_key: &str, scope: query::Scope<'_>) -> bool {
        let ctx = scope.ctx;
        match &self.condition {
            Condition::Always => true,
            Condition::Never => false,
            Condition::Query(expr) => query::matches(expr, scope),
            Condition::Text(clause) => clause
                .test(ctx)
                .unwrap_or_else(|| query::matches(&clause.expr, scope)),
            Condition::Logic(logic) => jsonlogic::matches(logic, ctx),
            Condition::JsonLogic(rule) => rule
                .evaluate(flag_key, ctx, &super::EngineOptions::default())
                .is_ok_and(|v| super::flagd::truthy(&v)),
        }
    }
}

impl Serve {
    fn pick(&self, flag_key: &str, bucketing: &str, now: i128) -> Option<&Target> {
        match self {
            Serve::Variation(target) => Some(target),
            Serve::Invalid | Serve::NoShare => None,
            Serve::Percentage { buckets, max, .. } => {
                let hash = f64::from(fnv1a32(&[flag_key.as_bytes(), bucketing.as_bytes()]) % max);
                buckets
                    .iter()
                    .find(|(_, start, end)| hash >= *start && hash < *end)
                    .map(|(target, ..)| target)
            }
            Serve::Progressive {
                initial,
                end,
                start_s,
                end_s,
                from,
                to,
                start,
                stop,
            } => {
                if now < *start {
                    return Some(initial);
                }
                // After the end, the split stays at the end's share.
                let now = now.min(*stop);
                let hash = fnv1a32(&[flag_key.as_bytes(), bucketing.as_bytes()]) % 100_000;
                let per_second = (to - from) / (end_s - start_s) as f64;
                let elapsed = time::unix_seconds(now) - start_s;
                let current = elapsed as f64 * per_second + from;
                Some(if f64::from(hash) < current.trunc() {
                    end
                } else {
                    initial
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fnv1a32_as_the_engine() {
        // The vector of GO Feature Flag's documentation.
        assert_eq!(super::fnv1a32(&[b"my-flag", b"user-1"]) % 100_000, 33_501);
        assert_eq!(super::fnv1a32(&[]), 0x811c_9dc5);
    }
}
