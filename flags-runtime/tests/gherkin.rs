//! The OpenFeature specification's Gherkin conformance suites (`tests/gherkin/`, copied from
//! the spec repository with its licence), run against this crate: every scenario and every
//! outline row, with the flags of `test-flags.json` served by `InMemory`.
//!
//! A small Gherkin reader of our own handles what these files use: tags, `Feature`,
//! `Background`, `Scenario`, `Scenario Outline` with tagged `Examples`, data tables and doc
//! strings. An unknown step fails the run, and the number of cases per file is asserted.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::Path;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll, Waker};

use flags_runtime::{
    Client, Context, EvaluationDetails, EvaluationError, EvaluationOptions, EventDetails, FlagKey,
    FlagMetadata, FlagValue, Hook, HookContext, HookHints, InMemory, InMemoryFlag, MetadataValue,
    ProviderEvent, ProviderStatus, Reason, Value, api, with_transaction_context,
};

// ---------------------------------------------------------------------------------------------
// Reading Gherkin

#[derive(Debug, Clone)]
struct Step {
    text: String,
    table: Vec<Vec<String>>,
    doc: Option<String>,
}

#[derive(Debug, Default)]
struct Examples {
    tags: Vec<String>,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

#[derive(Debug, Default)]
struct ScenarioDef {
    name: String,
    tags: Vec<String>,
    outline: bool,
    steps: Vec<Step>,
    examples: Vec<Examples>,
}

#[derive(Debug, Default)]
struct Feature {
    name: String,
    background: Vec<Step>,
    scenarios: Vec<ScenarioDef>,
}

/// One runnable case: a scenario, or one row of an outline, with the background first.
#[derive(Debug)]
struct Case {
    name: String,
    tags: Vec<String>,
    steps: Vec<Step>,
}

/// A table cell: trimmed, with Gherkin's escapes `\|`, `\\` and `\n`.
fn cell(raw: &str) -> String {
    let mut out = String::new();
    let mut chars = raw.trim().chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('|') => out.push('|'),
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn row(line: &str) -> Vec<String> {
    // Split on unescaped pipes.
    let inner = line.trim().trim_start_matches('|');
    let mut cells = Vec::new();
    let mut current = String::new();
    let mut escaped = false;
    for c in inner.chars() {
        if escaped {
            current.push('\\');
            current.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '|' {
            cells.push(cell(&current));
            current.clear();
        } else {
            current.push(c);
        }
    }
    cells
}

const STEP_KEYWORDS: [&str; 6] = ["Given ", "When ", "Then ", "And ", "But ", "* "];

fn parse(text: &str) -> Feature {
    enum Target {
        None,
        Background,
        Scenario,
        Examples,
    }
    let mut feature = Feature::default();
    let mut tags: Vec<String> = Vec::new();
    let mut target = Target::None;
    let mut lines = text.lines().enumerate();
    while let Some((number, raw)) = lines.next() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('@') {
            tags.extend(line.split_whitespace().map(str::to_owned));
        } else if let Some(name) = line.strip_prefix("Feature:") {
            feature.name = name.trim().to_owned();
            tags.clear();
        } else if line.starts_with("Background:") {
            target = Target::Background;
            tags.clear();
        } else if let Some((outline, name)) = line
            .strip_prefix("Scenario Outline:")
            .map(|n| (true, n))
            .or_else(|| line.strip_prefix("Scenario Template:").map(|n| (true, n)))
            .or_else(|| line.strip_prefix("Scenario:").map(|n| (false, n)))
            .or_else(|| line.strip_prefix("Example:").map(|n| (false, n)))
        {
            feature.scenarios.push(ScenarioDef {
                name: name.trim().to_owned(),
                tags: std::mem::take(&mut tags),
                outline,
                ..ScenarioDef::default()
            });
            target = Target::Scenario;
        } else if line.starts_with("Examples:") || line.starts_with("Scenarios:") {
            let scenario = feature
                .scenarios
                .last_mut()
                .unwrap_or_else(|| panic!("line {}: `Examples` outside a scenario", number + 1));
            scenario.examples.push(Examples {
                tags: std::mem::take(&mut tags),
                ..Examples::default()
            });
            target = Target::Examples;
        } else if line.starts_with('|') {
            let cells = row(line);
            match target {
                Target::Examples => {
                    let examples = feature
                        .scenarios
                        .last_mut()
                        .and_then(|s| s.examples.last_mut())
                        .expect("examples");
                    if examples.header.is_empty() {
                        examples.header = cells;
                    } else {
                        assert_eq!(
                            cells.len(),
                            examples.header.len(),
                            "line {}: row width",
                            number + 1
                        );
                        examples.rows.push(cells);
                    }
                }
                Target::Background => feature
                    .background
                    .last_mut()
                    .expect("a table follows a step")
                    .table
                    .push(cells),
                Target::Scenario => feature
                    .scenarios
                    .last_mut()
                    .and_then(|s| s.steps.last_mut())
                    .expect("a table follows a step")
                    .table
                    .push(cells),
                Target::None => panic!("line {}: table outside a scenario", number + 1),
            }
        } else if line.starts_with("\"\"\"") || line.starts_with("```") {
            let fence = &line[..3];
            let indent = raw.len() - raw.trim_start().len();
            let mut doc = Vec::new();
            for (_, raw) in lines.by_ref() {
                if raw.trim() == fence {
                    break;
                }
                doc.push(raw.get(indent..).unwrap_or(raw.trim_start()).to_owned());
            }
            let step = match target {
                Target::Background => feature.background.last_mut(),
                Target::Scenario => feature
                    .scenarios
                    .last_mut()
                    .and_then(|s| s.steps.last_mut()),
                _ => None,
            };
            step.expect("a doc string follows a step").doc = Some(doc.join("\n"));
        } else if let Some(text) = STEP_KEYWORDS.iter().find_map(|k| line.strip_prefix(k)) {
            let step = Step {
                text: text.trim().to_owned(),
                table: Vec::new(),
                doc: None,
            };
            match target {
                Target::Background => feature.background.push(step),
                Target::Scenario => feature
                    .scenarios
                    .last_mut()
                    .expect("scenario")
                    .steps
                    .push(step),
                _ => panic!("line {}: step outside a scenario: {line}", number + 1),
            }
        } else {
            panic!("line {}: not understood: {line}", number + 1);
        }
    }
    feature
}

fn substitute(text: &str, header: &[String], row: &[String]) -> String {
    let mut out = text.to_owned();
    for (name, value) in header.iter().zip(row) {
        out = out.replace(&format!("<{name}>"), value);
    }
    out
}

fn cases(feature: &Feature) -> Vec<Case> {
    let mut out = Vec::new();
    for scenario in &feature.scenarios {
        if !scenario.outline {
            out.push(Case {
                name: scenario.name.clone(),
                tags: scenario.tags.clone(),
                steps: feature
                    .background
                    .iter()
                    .chain(&scenario.steps)
                    .cloned()
                    .collect(),
            });
            continue;
        }
        assert!(
            !scenario.examples.is_empty(),
            "outline `{}` has no examples",
            scenario.name
        );
        for examples in &scenario.examples {
            for (i, values) in examples.rows.iter().enumerate() {
                let steps = feature
                    .background
                    .iter()
                    .chain(&scenario.steps)
                    .map(|step| Step {
                        text: substitute(&step.text, &examples.header, values),
                        table: step
                            .table
                            .iter()
                            .map(|r| {
                                r.iter()
                                    .map(|c| substitute(c, &examples.header, values))
                                    .collect()
                            })
                            .collect(),
                        doc: step
                            .doc
                            .as_ref()
                            .map(|d| substitute(d, &examples.header, values)),
                    })
                    .collect();
                out.push(Case {
                    name: format!("{} #{} {:?}", scenario.name, i + 1, values),
                    tags: scenario
                        .tags
                        .iter()
                        .chain(&examples.tags)
                        .cloned()
                        .collect(),
                    steps,
                });
            }
        }
    }
    out
}

/// Matches `text` against `pattern`, where each `{}` captures text up to the pattern's next
/// literal part (the last one: up to the literal ending the pattern).
fn matches(text: &str, pattern: &str) -> Option<Vec<String>> {
    let parts: Vec<&str> = pattern.split("{}").collect();
    let mut rest = text.strip_prefix(parts[0])?;
    let mut captures = Vec::new();
    for (i, literal) in parts.iter().enumerate().skip(1) {
        let last = i == parts.len() - 1;
        let end = if last {
            if !rest.ends_with(literal) {
                return None;
            }
            rest.len() - literal.len()
        } else {
            rest.find(literal)?
        };
        captures.push(rest[..end].to_owned());
        rest = &rest[end + literal.len()..];
    }
    (rest.is_empty()).then_some(captures)
}

/// A quoted step argument with `\"` unescaped.
fn unquote(s: &str) -> String {
    s.replace("\\\"", "\"")
}

// ---------------------------------------------------------------------------------------------
// The flags of test-flags.json

/// The `contextEvaluator` CEL expressions of `test-flags.json`, as Rust.
fn evaluator(cel: &str) -> impl Fn(&Context) -> Option<String> + Send + Sync + 'static {
    let email = |ctx: &Context| ctx.get("email").and_then(Value::as_str).map(str::to_owned);
    match cel {
        "email == 'ballmer@macrosoft.com' ? 'zero' : ''" => Box::new(move |ctx: &Context| {
            (email(ctx).as_deref() == Some("ballmer@macrosoft.com")).then(|| "zero".to_owned())
        })
            as Box<dyn Fn(&Context) -> Option<String> + Send + Sync>,
        "!customer && email == 'ballmer@macrosoft.com' && age > 10 ? 'internal' : ''" => {
            Box::new(move |ctx: &Context| {
                let customer = ctx.get("customer").and_then(Value::as_bool);
                let age = ctx.get("age").and_then(Value::as_f64);
                (customer == Some(false)
                    && email(ctx).as_deref() == Some("ballmer@macrosoft.com")
                    && age.is_some_and(|a| a > 10.0))
                .then(|| "internal".to_owned())
            })
        }
        other => panic!("no Rust form for the CEL expression `{other}`"),
    }
}

/// The provider of the suites: `test-flags.json`. It caches resolutions as providers may
/// (the `CACHED` scenario expects a second evaluation of a static flag to say so): a static
/// flag resolved again for the same context reports `CACHED`.
fn test_flags() -> InMemory {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/gherkin/test-flags.json");
    let text = std::fs::read_to_string(&path).expect("test-flags.json");
    let json: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&text).expect("test-flags.json is JSON");
    let mut flags = Vec::new();
    for (key, def) in json {
        let variants = def["variants"].as_object().expect("variants").clone();
        let mut flag = InMemoryFlag::new(variants);
        if let Some(name) = def.get("defaultVariant").and_then(|v| v.as_str()) {
            flag = flag.default_variant(name);
        }
        if def.get("disabled").and_then(|v| v.as_bool()) == Some(true) {
            flag = flag.disabled(true);
        }
        if let Some(metadata) = def.get("flagMetadata").and_then(|m| m.as_object()) {
            let map: BTreeMap<String, MetadataValue> = metadata
                .iter()
                .map(|(k, v)| (k.clone(), MetadataValue::from_json(v).expect("metadata")))
                .collect();
            flag = flag.metadata(FlagMetadata::new(map));
        }
        match def.get("contextEvaluator").and_then(|v| v.as_str()) {
            Some(cel) => flag = flag.context_evaluator(evaluator(cel)),
            None if def.get("defaultVariant").is_some_and(|v| v.is_string()) => {
                let seen: Mutex<Vec<Context>> = Mutex::new(Vec::new());
                flag = flag.resolver(move |ctx| {
                    let mut seen = seen.lock().unwrap();
                    if seen.contains(ctx) {
                        (None, Reason::Cached)
                    } else {
                        seen.push(ctx.clone());
                        (None, Reason::Static)
                    }
                });
            }
            None => {}
        }
        flags.push((key, flag));
    }
    assert_eq!(flags.len(), 25, "test-flags.json has 25 flags");
    InMemory::new(flags)
}

// ---------------------------------------------------------------------------------------------
// Running

/// What a recording hook saw: stage names, and the details given to `after` and `finally`.
#[derive(Default)]
struct Recorded {
    stages: Vec<String>,
    details: HashMap<String, EvaluationDetails<Value>>,
}

struct Recorder {
    name: &'static str,
    log: Arc<Mutex<Recorded>>,
}

impl Hook for Recorder {
    fn before(
        &self,
        _ctx: &mut HookContext<'_>,
        _hints: &HookHints,
    ) -> Result<Option<Context>, EvaluationError> {
        self.log
            .lock()
            .unwrap()
            .stages
            .push(format!("{}before", self.name));
        Ok(None)
    }

    fn after(
        &self,
        _ctx: &mut HookContext<'_>,
        details: &EvaluationDetails<Value>,
        _hints: &HookHints,
    ) -> Result<(), EvaluationError> {
        let mut log = self.log.lock().unwrap();
        log.stages.push(format!("{}after", self.name));
        log.details
            .insert(format!("{}after", self.name), details.clone());
        Ok(())
    }

    fn error(&self, _ctx: &mut HookContext<'_>, _error: &EvaluationError, _hints: &HookHints) {
        self.log
            .lock()
            .unwrap()
            .stages
            .push(format!("{}error", self.name));
    }

    fn finally(
        &self,
        _ctx: &mut HookContext<'_>,
        details: &EvaluationDetails<Value>,
        _hints: &HookHints,
    ) {
        let mut log = self.log.lock().unwrap();
        log.stages.push(format!("{}finally", self.name));
        log.details
            .insert(format!("{}finally", self.name), details.clone());
    }
}

/// A hook adding a context in `before`.
struct AddContext(Context);

impl Hook for AddContext {
    fn before(
        &self,
        _ctx: &mut HookContext<'_>,
        _hints: &HookHints,
    ) -> Result<Option<Context>, EvaluationError> {
        Ok(Some(self.0.clone()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Boolean,
    String,
    Integer,
    Float,
    Object,
}

impl Kind {
    fn parse(name: &str) -> Kind {
        match name.to_ascii_lowercase().as_str() {
            "boolean" => Kind::Boolean,
            "string" => Kind::String,
            "integer" => Kind::Integer,
            "float" => Kind::Float,
            "object" => Kind::Object,
            other => panic!("unknown flag type `{other}`"),
        }
    }

    /// A value of this kind written in a step, as JSON.
    fn value(self, text: &str) -> serde_json::Value {
        match self {
            Kind::Boolean => serde_json::Value::Bool(text.parse().expect("a boolean")),
            Kind::String => serde_json::Value::String(text.to_owned()),
            Kind::Integer => serde_json::Value::from(text.parse::<i64>().expect("an integer")),
            Kind::Float => serde_json::Value::from(text.parse::<f64>().expect("a float")),
            Kind::Object => serde_json::from_str(&unquote(text)).expect("a JSON object"),
        }
    }
}

type Object = serde_json::Map<String, serde_json::Value>;

/// The details of a typed evaluation, with the value as JSON for comparison.
fn to_json<T: serde::Serialize>(d: EvaluationDetails<T>) -> EvaluationDetails<serde_json::Value> {
    EvaluationDetails {
        flag_key: d.flag_key,
        value: serde_json::to_value(&d.value).expect("serializable"),
        variant: d.variant,
        reason: d.reason,
        error: d.error,
        flag_metadata: d.flag_metadata,
    }
}

/// Polls a future once: in-process evaluation is ready at once. `None` if it was not.
fn poll_once<F: Future>(future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut TaskContext::from_waker(Waker::noop()))
    {
        Poll::Ready(out) => Some(out),
        Poll::Pending => None,
    }
}

const LEVELS: [&str; 5] = ["API", "Transaction", "Client", "Invocation", "Before Hooks"];

#[derive(Default)]
struct World {
    provider: Option<InMemory>,
    client: Option<Client>,
    flag: Option<(Kind, String, String)>,
    context: Context,
    saved_context: Option<Context>,
    details: Option<EvaluationDetails<serde_json::Value>>,
    options: Option<EvaluationOptions>,
    log: Arc<Mutex<Recorded>>,
    ready_at_once: bool,
    /// contextMerging: the context the provider saw, and the levels.
    seen: Arc<Mutex<Option<Context>>>,
    transaction: Option<Context>,
    before_hooks: Option<Context>,
    levels: Vec<String>,
}

impl World {
    fn client(&self) -> &Client {
        self.client.as_ref().expect("a provider step comes first")
    }

    fn provider(&mut self, provider: InMemory) {
        self.client = Some(provider.client());
        self.provider = Some(provider);
    }

    fn evaluate<T: FlagValue + serde::Serialize>(
        &self,
        key: &str,
        default: serde_json::Value,
        options: &EvaluationOptions,
    ) -> EvaluationDetails<serde_json::Value> {
        let default: T = serde_json::from_value(default).expect("the default fits its type");
        let key = FlagKey::<T>::new(key.to_owned(), default);
        to_json(self.client().details_with(&key, &self.context, options))
    }

    fn evaluate_flag(&mut self, options: &EvaluationOptions) {
        let (kind, key, default) = self.flag.clone().expect("a flag step comes first");
        let default = kind.value(&default);
        self.details = Some(match kind {
            Kind::Boolean => self.evaluate::<bool>(&key, default, options),
            Kind::String => self.evaluate::<String>(&key, default, options),
            Kind::Integer => self.evaluate::<i64>(&key, default, options),
            Kind::Float => self.evaluate::<f64>(&key, default, options),
            Kind::Object => self.evaluate::<Object>(&key, default, options),
        });
    }

    fn details(&self) -> &EvaluationDetails<serde_json::Value> {
        self.details
            .as_ref()
            .expect("an evaluation step comes first")
    }

    fn add_to_level(&mut self, level: &str, key: &str, value: &str) {
        match level {
            "API" => api().set_context(api().context().with(key, value)),
            "Transaction" => {
                self.transaction =
                    Some(self.transaction.take().unwrap_or_default().with(key, value));
            }
            "Client" => {
                let client = self.client();
                client.set_context(client.context().with(key, value));
            }
            "Invocation" => self.context = std::mem::take(&mut self.context).with(key, value),
            "Before Hooks" => {
                self.before_hooks = Some(
                    self.before_hooks
                        .take()
                        .unwrap_or_default()
                        .with(key, value),
                );
            }
            other => panic!("unknown level `{other}`"),
        }
    }
}

/// Runs one step; `Err` for a step this runner does not know.
fn step(world: &mut World, step: &Step) -> Result<(), String> {
    let text = step.text.as_str();
    let arg = |pattern: &str| matches(text, pattern);

    if text == "a stable provider" {
        world.provider(test_flags());
    } else if text == "a stable provider with retrievable context is registered" {
        let seen = world.seen.clone();
        let provider = test_flags();
        provider.set_flag(
            "context-flag",
            InMemoryFlag::new([("on", true), ("off", false)])
                .default_variant("off")
                .context_evaluator(move |ctx| {
                    *seen.lock().unwrap() = Some(ctx.clone());
                    None
                }),
        );
        world.provider(provider);
    } else if let Some(a) = arg("a {} provider") {
        let provider = test_flags();
        let provider = match a[0].as_str() {
            "not ready" => provider.with_status(ProviderStatus::NotReady),
            "error" => {
                provider.emit(
                    EventDetails::new(ProviderEvent::Error, "in-memory")
                        .with_error_code(flags_runtime::ErrorCode::General),
                );
                provider
            }
            "fatal" => {
                provider.emit(
                    EventDetails::new(ProviderEvent::Error, "in-memory")
                        .with_error_code(flags_runtime::ErrorCode::ProviderFatal),
                );
                provider
            }
            "stale" => {
                provider.emit(EventDetails::new(ProviderEvent::Stale, "in-memory"));
                provider
            }
            other => return Err(format!("unknown provider state `{other}`")),
        };
        world.provider(provider);
    } else if let Some(a) = arg("a {}-flag with key \"{}\" and a fallback value \"{}\"") {
        world.flag = Some((Kind::parse(&a[0]), a[1].clone(), a[2].clone()));
    } else if let Some(a) =
        arg("a context containing a key \"{}\", with type \"{}\" and with value \"{}\"")
    {
        let value = match a[1].as_str() {
            "String" => Value::from(a[2].as_str()),
            "Integer" => Value::Int(a[2].parse().map_err(|e| format!("{e}"))?),
            "Float" => Value::Float(a[2].parse().map_err(|e| format!("{e}"))?),
            "Boolean" => Value::Bool(a[2].parse().map_err(|e| format!("{e}"))?),
            other => return Err(format!("unknown context type `{other}`")),
        };
        world.context.set(a[0].clone(), value);
    } else if let Some(a) = arg("a context containing a key \"{}\" with null value") {
        world.context.set(a[0].clone(), Value::Null);
    } else if text == "the flag was evaluated with details" {
        world.evaluate_flag(&EvaluationOptions::new());
    } else if text == "the flag was evaluated with details using the evaluation options" {
        let options = world.options.clone().expect("options");
        world.evaluate_flag(&options);
    } else if text == "the flag was evaluated with details asynchronously" {
        let (kind, key, default) = world.flag.clone().expect("a flag step comes first");
        let client = world.client().clone();
        let ctx = world.context.clone();
        let default = kind.value(&default);
        macro_rules! run {
            ($t:ty) => {{
                let key = FlagKey::<$t>::new(key, serde_json::from_value(default).unwrap());
                poll_once(client.details_async(&key, &ctx)).map(to_json)
            }};
        }
        let details = match kind {
            Kind::Boolean => run!(bool),
            Kind::String => run!(String),
            Kind::Integer => run!(i64),
            Kind::Float => run!(f64),
            Kind::Object => run!(Object),
        };
        world.ready_at_once = details.is_some();
        world.details = details;
    } else if text == "the evaluation should complete without blocking" {
        assert!(
            world.ready_at_once,
            "the future was not ready at its first poll"
        );
    } else if let Some(a) = arg("the resolved details value should be \"{}\"") {
        let (kind, ..) = world.flag.clone().expect("flag");
        assert_eq!(world.details().value, kind.value(&a[0]), "value");
    } else if let Some(a) = arg("the reason should be \"{}\"") {
        assert_eq!(world.details().reason.as_str(), a[0], "reason");
    } else if let Some(a) = arg("the error-code should be \"{}\"") {
        assert_eq!(
            world.details().error_code().map(|c| c.as_str()),
            Some(a[0].as_str()),
            "error code"
        );
    } else if let Some(a) = arg("the flag key should be \"{}\"") {
        assert_eq!(world.details().flag_key, a[0], "flag key");
    } else if let Some(a) = arg("the variant should be \"{}\"") {
        assert_eq!(
            world.details().variant.as_deref(),
            Some(a[0].as_str()),
            "variant"
        );
    } else if text == "the resolved metadata should contain" {
        let metadata = &world.details().flag_metadata;
        for row in step.table.iter().skip(1) {
            let (key, kind, value) = (&row[0], &row[1], &row[2]);
            let expected = match kind.as_str() {
                "String" => MetadataValue::String(value.clone()),
                "Integer" => MetadataValue::Int(value.parse().unwrap()),
                "Float" => MetadataValue::Float(value.parse().unwrap()),
                "Boolean" => MetadataValue::Bool(value.parse().unwrap()),
                other => return Err(format!("unknown metadata type `{other}`")),
            };
            assert_eq!(metadata.get(key), Some(&expected), "metadata `{key}`");
        }
        assert_eq!(metadata.len(), step.table.len() - 1, "metadata size");
    } else if text == "the resolved metadata is empty" {
        assert!(
            world.details().flag_metadata.is_empty(),
            "metadata not empty"
        );
    } else if let Some(a) = arg("the provider status should be \"{}\"") {
        assert_eq!(world.client().status().as_str(), a[0], "status");
    } else if text == "evaluation options containing specific hooks" {
        world.options = Some(
            EvaluationOptions::new()
                .with_hook(Recorder {
                    name: "first ",
                    log: world.log.clone(),
                })
                .with_hook(Recorder {
                    name: "second ",
                    log: world.log.clone(),
                }),
        );
    } else if text == "the specified hooks should execute during evaluation" {
        let log = world.log.lock().unwrap();
        for stage in ["before", "after", "finally"] {
            for hook in ["first ", "second "] {
                assert!(
                    log.stages.contains(&format!("{hook}{stage}")),
                    "{hook}{stage} missing from {:?}",
                    log.stages
                );
            }
        }
    } else if text == "the hook order should be maintained" {
        let log = world.log.lock().unwrap();
        assert_eq!(
            log.stages,
            [
                "first before",
                "second before",
                "second after",
                "first after",
                "second finally",
                "first finally"
            ]
        );
    } else if text == "an evaluation context with modifiable data" {
        world.context = Context::new("user-1")
            .with("list", vec!["a", "b"])
            .with("n", 1);
        world.saved_context = Some(world.context.clone());
    } else if text == "the original evaluation context should remain unmodified" {
        assert_eq!(Some(&world.context), world.saved_context.as_ref());
    } else if text == "the evaluation details should be immutable" {
        // Details are an owned value: changing the caller's context afterwards, or evaluating
        // again, leaves them as they were.
        let before = world.details().clone();
        world.context.set("n", 2);
        world.evaluate_flag(&EvaluationOptions::new());
        let again = world.details.replace(before.clone()).unwrap();
        assert_eq!(world.details(), &before);
        assert_eq!(again.value, before.value);
    } else if text == "a client with added hook" {
        world.client().add_hook(Recorder {
            name: "",
            log: world.log.clone(),
        });
    } else if let Some(a) = arg("the \"{}\" hook should have been executed") {
        let log = world.log.lock().unwrap();
        assert!(
            log.stages.contains(&a[0]),
            "{} not in {:?}",
            a[0],
            log.stages
        );
    } else if let Some(a) = arg("the \"{}\" hooks should be called with evaluation details") {
        let log = world.log.lock().unwrap();
        for stage in a[0].split(", ") {
            let details = log
                .details
                .get(stage)
                .ok_or_else(|| format!("no details given to `{stage}`"))?;
            for row in step.table.iter().skip(1) {
                let (kind, key, value) = (&row[0], &row[1], &row[2]);
                let expected = (value != "null").then(|| value.clone());
                match key.as_str() {
                    "flag_key" => assert_eq!(details.flag_key, *value),
                    "value" => {
                        let expected = match kind.as_str() {
                            "boolean" => Value::Bool(value.parse().unwrap()),
                            "string" => Value::from(value.as_str()),
                            "integer" => Value::Int(value.parse().unwrap()),
                            "float" => Value::Float(value.parse().unwrap()),
                            other => return Err(format!("unknown data type `{other}`")),
                        };
                        assert_eq!(details.value, expected, "{stage}: value");
                    }
                    "variant" => assert_eq!(
                        details.variant.as_deref().map(str::to_owned),
                        expected,
                        "{stage}: variant"
                    ),
                    "reason" => assert_eq!(details.reason.as_str(), value, "{stage}: reason"),
                    "error_code" => assert_eq!(
                        details.error_code().map(|c| c.as_str().to_owned()),
                        expected,
                        "{stage}: error code"
                    ),
                    other => return Err(format!("unknown details field `{other}`")),
                }
            }
        }
    } else if let Some(a) =
        arg("A context entry with key \"{}\" and value \"{}\" is added to the \"{}\" level")
    {
        world.add_to_level(&a[2], &a[0], &a[1]);
    } else if text == "A table with levels of increasing precedence" {
        world.levels = step.table.iter().map(|r| r[0].clone()).collect();
        for level in &world.levels {
            if !LEVELS.contains(&level.as_str()) {
                return Err(format!("unknown level `{level}`"));
            }
        }
    } else if let Some(a) = arg(
        "Context entries for each level from API level down to the \"{}\" level, with key \"{}\" and value \"{}\"",
    ) {
        let (target, key, value) = (&a[0], &a[1], &a[2]);
        let upto = world
            .levels
            .iter()
            .position(|l| l == target)
            .ok_or_else(|| format!("level `{target}` not in the table"))?;
        // Each lower level gets its own name as value, so that only precedence decides.
        let levels = world.levels.clone();
        for level in &levels[..upto] {
            world.add_to_level(level, key, level);
        }
        world.add_to_level(target, key, value);
    } else if text == "Some flag was evaluated" {
        let mut options = EvaluationOptions::new();
        if let Some(ctx) = world.before_hooks.clone() {
            options = options.with_hook(AddContext(ctx));
        }
        let key = FlagKey::<bool>::new("context-flag", true);
        let client = world.client().clone();
        let ctx = world.context.clone();
        let details = match world.transaction.clone() {
            Some(tx) => with_transaction_context(tx, || client.details_with(&key, &ctx, &options)),
            None => client.details_with(&key, &ctx, &options),
        };
        assert_eq!(details.error, None);
    } else if let Some(a) =
        arg("The merged context contains an entry with key \"{}\" and value \"{}\"")
    {
        let seen = world.seen.lock().unwrap();
        let seen = seen.as_ref().ok_or("the provider saw no context")?;
        assert_eq!(
            seen.get(&a[0]).and_then(Value::as_str),
            Some(a[1].as_str()),
            "merged context: {seen:?}"
        );
    } else {
        return Err(format!("unknown step: {text}"));
    }
    Ok(())
}

fn run_feature(file: &str, expected_cases: usize) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/gherkin")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    let feature = parse(&text);
    let cases = cases(&feature);
    assert_eq!(
        cases.len(),
        expected_cases,
        "{file} ({}): cases",
        feature.name
    );
    let mut failures = Vec::new();
    for case in &cases {
        // Each case starts from a clean API: no hooks, context or handlers.
        api().shutdown();
        let mut world = World::default();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            for s in &case.steps {
                step(&mut world, s)?;
            }
            Ok::<(), String>(())
        }));
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                failures.push(format!("{} [{}]: {error}", case.name, case.tags.join(" ")))
            }
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                failures.push(format!(
                    "{} [{}]: {message}",
                    case.name,
                    case.tags.join(" ")
                ));
            }
        }
    }
    api().shutdown();
    assert!(
        failures.is_empty(),
        "{file}: {} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// One test, so that the cases, which use the global API, run one after the other.
#[test]
fn openfeature_gherkin_suites() {
    run_feature("evaluation_v2.feature", 82);
    run_feature("contextMerging.feature", 29);
    run_feature("hooks.feature", 3);
    run_feature("metadata.feature", 5);
}

#[test]
fn the_reader_reads_what_the_suites_use() {
    let feature = parse(
        "@f\nFeature: F\n  Background:\n    Given a\n  @s\n  Scenario Outline: O\n    When <x> is \"<y>\"\n      | h |\n      | <x> |\n      \"\"\"\n      doc <x>\n      \"\"\"\n    @e\n    Examples:\n      | x | y |\n      | 1 | a \\| b |\n\n      | 2 | c |\n  Scenario: P\n    Then z\n",
    );
    let cases = cases(&feature);
    assert_eq!(cases.len(), 3);
    assert_eq!(cases[0].steps[0].text, "a");
    assert_eq!(cases[0].steps[1].text, "1 is \"a | b\"");
    assert_eq!(cases[0].steps[1].table, [["h"], ["1"]]);
    assert_eq!(cases[0].steps[1].doc.as_deref(), Some("doc 1"));
    assert_eq!(cases[1].tags, ["@s", "@e"]);
    assert_eq!(cases[2].steps.len(), 2);
    assert_eq!(
        matches(
            "a x-flag with key \"k\" and",
            "a {}-flag with key \"{}\" and"
        ),
        Some(vec!["x".to_owned(), "k".to_owned()])
    );
    assert_eq!(matches("something else", "a {} provider"), None);
}
