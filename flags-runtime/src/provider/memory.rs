//! The in-memory provider (OpenFeature Appendix A): flags given in code, with variants, a
//! default variant and an optional function of the context choosing the variant.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::context::Context;
use crate::details::{ErrorCode, EvaluationDetails, EvaluationError, FlagMetadata, Reason};
use crate::events::{EventDetails, Events, ProviderEvent, ProviderStatus};
use crate::hooks::Hook;
use crate::key::{FlagKey, FlagValue, FlagValueRef};
use crate::value::Value;

/// Chooses a variant from the context: `None` or an empty name means "the default variant".
type Evaluator = Arc<dyn Fn(&Context) -> Option<String> + Send + Sync>;

/// Chooses a variant (or none: the default variant) and gives the reason.
type Resolver = Arc<dyn Fn(&Context) -> (Option<String>, Reason) + Send + Sync>;

#[derive(Clone)]
enum Rule {
    None,
    Evaluator(Evaluator),
    Resolver(Resolver),
}

/// A flag of an [`InMemory`] provider.
///
/// ```
/// use flags_runtime::{Context, FlagKey, InMemory, InMemoryFlag, Reason};
/// let flags = InMemory::new([(
///     "new-checkout",
///     InMemoryFlag::new([("on", true), ("off", false)])
///         .default_variant("off")
///         .context_evaluator(|ctx| {
///             (ctx.get("plan").and_then(|v| v.as_str()) == Some("premium")).then(|| "on".to_owned())
///         }),
/// )]);
/// let client = flags.client();
/// let key = FlagKey::<bool>::new("new-checkout", false);
/// let premium = Context::new("user-1").with("plan", "premium");
/// let details = client.details(&key, &premium);
/// assert!(details.value);
/// assert_eq!(details.reason, Reason::TargetingMatch);
/// assert!(!client.value(&key, &Context::new("user-2")));
/// ```
#[derive(Clone)]
#[must_use]
pub struct InMemoryFlag {
    variants: Vec<(Arc<str>, MemValue)>,
    default_variant: Option<Arc<str>>,
    disabled: bool,
    rule: Rule,
    metadata: FlagMetadata,
}

impl fmt::Debug for InMemoryFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryFlag")
            .field(
                "variants",
                &self.variants.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("default_variant", &self.default_variant)
            .field("disabled", &self.disabled)
            .field("metadata", &self.metadata)
            .finish_non_exhaustive()
    }
}

/// A variant value, scalars ready to read without allocating.
#[derive(Debug, Clone, PartialEq)]
enum MemValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Arc<str>),
    Json(serde_json::Value),
}

impl MemValue {
    fn new(value: serde_json::Value) -> MemValue {
        use serde_json::Value as J;
        match value {
            J::Bool(b) => MemValue::Bool(b),
            J::Number(n) => match n.as_i64() {
                Some(i) => MemValue::Int(i),
                None => MemValue::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            J::String(s) => MemValue::Str(Arc::from(s)),
            other => MemValue::Json(other),
        }
    }

    fn read<T: FlagValue>(&self) -> Result<T, String> {
        let scalar = match self {
            MemValue::Bool(b) => FlagValueRef::Bool(*b),
            MemValue::Int(i) => FlagValueRef::Int(*i),
            MemValue::Float(f) => FlagValueRef::Float(*f),
            MemValue::Str(s) => FlagValueRef::Str(s),
            MemValue::Json(json) => {
                return T::deserialize(json).map_err(crate::message::bounded);
            }
        };
        crate::key::read(scalar).map_err(|e| e.0.into_owned())
    }

    fn to_value(&self) -> Value {
        match self {
            MemValue::Bool(b) => Value::Bool(*b),
            MemValue::Int(i) => Value::Int(*i),
            MemValue::Float(f) => Value::Float(*f),
            MemValue::Str(s) => Value::String(s.to_string()),
            MemValue::Json(json) => Value::from(json.clone()),
        }
    }
}

impl InMemoryFlag {
    /// A flag with these variants (name, value), enabled, without default variant (it answers
    /// the caller's default, reason `DEFAULT`, until given one).
    pub fn new<N, V>(variants: impl IntoIterator<Item = (N, V)>) -> InMemoryFlag
    where
        N: Into<String>,
        V: Into<serde_json::Value>,
    {
        InMemoryFlag {
            variants: variants
                .into_iter()
                .map(|(n, v)| (Arc::from(n.into()), MemValue::new(v.into())))
                .collect(),
            default_variant: None,
            disabled: false,
            rule: Rule::None,
            metadata: FlagMetadata::empty(),
        }
    }

    /// Serves this variant when no rule chooses one.
    pub fn default_variant(mut self, name: impl Into<String>) -> InMemoryFlag {
        self.default_variant = Some(Arc::from(name.into()));
        self
    }

    /// Disables the flag (or enables it again): a disabled flag answers the caller's default
    /// with reason `DISABLED`.
    pub fn disabled(mut self, disabled: bool) -> InMemoryFlag {
        self.disabled = disabled;
        self
    }

    /// Chooses the variant from the context: a name gives that variant (reason
    /// `TARGETING_MATCH`; a name that is no variant is a `GENERAL` error), `None` or `""` the
    /// default variant (reason `DEFAULT`).
    pub fn context_evaluator(
        mut self,
        evaluator: impl Fn(&Context) -> Option<String> + Send + Sync + 'static,
    ) -> InMemoryFlag {
        self.rule = Rule::Evaluator(Arc::new(evaluator));
        self
    }

    /// Chooses the variant (`None`: the default variant) and the reason reported, for tests
    /// of how code handles reasons such as `SPLIT` or `CACHED`.
    pub fn resolver(
        mut self,
        resolver: impl Fn(&Context) -> (Option<String>, Reason) + Send + Sync + 'static,
    ) -> InMemoryFlag {
        self.rule = Rule::Resolver(Arc::new(resolver));
        self
    }

    /// With flag metadata.
    pub fn metadata(mut self, metadata: FlagMetadata) -> InMemoryFlag {
        self.metadata = metadata;
        self
    }

    fn variant(&self, name: &str) -> Option<&(Arc<str>, MemValue)> {
        self.variants.iter().find(|(n, _)| &**n == name)
    }

    /// Same definition (rules compared by identity).
    fn same(&self, other: &InMemoryFlag) -> bool {
        let rules = match (&self.rule, &other.rule) {
            (Rule::None, Rule::None) => true,
            (Rule::Evaluator(a), Rule::Evaluator(b)) => Arc::ptr_eq(a, b),
            (Rule::Resolver(a), Rule::Resolver(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        rules
            && self.variants == other.variants
            && self.default_variant == other.default_variant
            && self.disabled == other.disabled
            && self.metadata == other.metadata
    }
}

type FlagMap = HashMap<String, InMemoryFlag>;

/// The in-memory provider: flags defined in code, evaluated from memory, replaceable at run
/// time (each change emits `PROVIDER_CONFIGURATION_CHANGED` with the changed keys). Cheap to
/// clone (shared); the clients it makes see every change.
///
/// ```
/// use flags_runtime::{Context, FlagKey, InMemory, InMemoryFlag, ProviderEvent};
/// use std::sync::{Arc, Mutex};
/// let flags = InMemory::new([("limit", InMemoryFlag::new([("low", 10), ("high", 100)]).default_variant("low"))]);
/// let client = flags.client();
/// let limit = FlagKey::<i64>::new("limit", 1);
/// assert_eq!(client.value(&limit, &Context::anonymous()), 10);
///
/// let changed = Arc::new(Mutex::new(Vec::new()));
/// let seen = changed.clone();
/// client.on(ProviderEvent::ConfigurationChanged, move |e| seen.lock().unwrap().extend(e.flags_changed.clone()));
/// flags.set_flag("limit", InMemoryFlag::new([("low", 10), ("high", 100)]).default_variant("high"));
/// assert_eq!(client.value(&limit, &Context::anonymous()), 100);
/// assert_eq!(*changed.lock().unwrap(), ["limit"]);
/// ```
#[derive(Clone)]
pub struct InMemory {
    shared: Arc<Shared>,
}

struct Shared {
    flags: ArcSwap<FlagMap>,
    events: Events,
    hooks: Vec<Arc<dyn Hook>>,
}

impl fmt::Debug for InMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemory")
            .field("flags", &self.len())
            .field("status", &self.shared.events.status())
            .finish()
    }
}

impl InMemory {
    /// A provider serving `flags`, ready.
    pub fn new<K: Into<String>>(flags: impl IntoIterator<Item = (K, InMemoryFlag)>) -> InMemory {
        InMemory::build(flags, ProviderStatus::Ready, Vec::new())
    }

    fn build<K: Into<String>>(
        flags: impl IntoIterator<Item = (K, InMemoryFlag)>,
        status: ProviderStatus,
        hooks: Vec<Arc<dyn Hook>>,
    ) -> InMemory {
        let flags: FlagMap = flags.into_iter().map(|(k, f)| (k.into(), f)).collect();
        InMemory {
            shared: Arc::new(Shared {
                flags: ArcSwap::from_pointee(flags),
                events: Events::new("in-memory", status),
                hooks,
            }),
        }
    }

    /// The same flags in a new provider that starts in `status` instead of `READY`: reads
    /// answer `PROVIDER_NOT_READY` in `NOT_READY` and `PROVIDER_FATAL` in `FATAL`, as
    /// OpenFeature's client short-circuit does.
    #[must_use]
    pub fn with_status(&self, status: ProviderStatus) -> InMemory {
        let flags = FlagMap::clone(&self.shared.flags.load());
        InMemory::build(flags, status, self.shared.hooks.clone())
    }

    /// The same flags in a new provider with a provider hook (run after invocation hooks in
    /// `before`, first in the other stages).
    #[must_use]
    pub fn with_hook(&self, hook: impl Hook) -> InMemory {
        let flags = FlagMap::clone(&self.shared.flags.load());
        let mut hooks = self.shared.hooks.clone();
        hooks.push(Arc::new(hook));
        InMemory::build(flags, self.shared.events.status(), hooks)
    }

    /// Replaces every flag; emits `PROVIDER_CONFIGURATION_CHANGED` with the keys of the old
    /// and the new set (OpenFeature Appendix A).
    pub fn set_flags<K: Into<String>>(&self, flags: impl IntoIterator<Item = (K, InMemoryFlag)>) {
        let next: FlagMap = flags.into_iter().map(|(k, f)| (k.into(), f)).collect();
        let previous = self.shared.flags.swap(Arc::new(next));
        let current = self.shared.flags.load();
        let keys: BTreeSet<String> = previous.keys().chain(current.keys()).cloned().collect();
        self.changed(keys.into_iter().collect());
    }

    /// Adds or replaces one flag; emits `PROVIDER_CONFIGURATION_CHANGED` with its key when its
    /// definition changed.
    pub fn set_flag(&self, key: impl Into<String>, flag: InMemoryFlag) {
        let key = key.into();
        let mut changed = false;
        self.shared.flags.rcu(|current| {
            let mut next = FlagMap::clone(current);
            changed = next.get(&key).is_none_or(|old| !old.same(&flag));
            next.insert(key.clone(), flag.clone());
            next
        });
        if changed {
            self.changed(vec![key]);
        }
    }

    /// Removes one flag; emits `PROVIDER_CONFIGURATION_CHANGED` with its key when it existed.
    pub fn remove_flag(&self, key: &str) {
        let mut removed = false;
        self.shared.flags.rcu(|current| {
            let mut next = FlagMap::clone(current);
            removed = next.remove(key).is_some();
            next
        });
        if removed {
            self.changed(vec![key.to_owned()]);
        }
    }

    fn changed(&self, keys: Vec<String>) {
        self.emit(
            EventDetails::new(ProviderEvent::ConfigurationChanged, "in-memory")
                .with_flags_changed(keys),
        );
    }

    /// Emits an event as the provider (for tests of handlers): the status follows the event
    /// (READY, STALE, ERROR, or FATAL for an error with code `PROVIDER_FATAL`), then the
    /// client and API handlers run.
    pub fn emit(&self, details: EventDetails) {
        self.shared.events.emit(details);
    }

    /// The provider's status.
    pub fn status(&self) -> ProviderStatus {
        self.shared.events.status()
    }

    /// The number of flags.
    pub fn len(&self) -> usize {
        self.shared.flags.load().len()
    }

    /// `true` when there is no flag.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl super::Provider for InMemory {
    fn events(&self) -> &Events {
        &self.shared.events
    }

    fn read(&self, read: &mut dyn FnMut(super::View<'_>)) {
        let flags = self.shared.flags.load();
        read(super::View(super::view::Kind::Memory(MemoryView {
            flags: &flags,
            status: self.shared.events.status(),
        })));
    }

    fn kind(&self) -> &'static str {
        "in-memory flags"
    }

    fn describe(&self) -> String {
        "in-memory flags".to_owned()
    }

    fn hooks(&self) -> &[Arc<dyn Hook>] {
        &self.shared.hooks
    }

    fn flag_count(&self) -> usize {
        self.len()
    }
}

/// One version of an in-memory provider's flags.
#[derive(Clone, Copy)]
pub(crate) struct MemoryView<'a> {
    flags: &'a FlagMap,
    status: ProviderStatus,
}

impl MemoryView<'_> {
    pub(crate) fn details<T: FlagValue>(
        self,
        key: &FlagKey<T>,
        ctx: &Context,
        dynamic: bool,
    ) -> (EvaluationDetails<T>, Option<Value>) {
        let fail = |code: ErrorCode, message: String, metadata: FlagMetadata| {
            (
                EvaluationDetails {
                    flag_key: key.key_cow().clone(),
                    value: key.default_value(),
                    variant: None,
                    reason: Reason::Error,
                    error: Some(EvaluationError::new(code, message)),
                    flag_metadata: metadata,
                },
                None,
            )
        };
        match self.status {
            ProviderStatus::NotReady => {
                return fail(
                    ErrorCode::ProviderNotReady,
                    "the provider is not ready".to_owned(),
                    FlagMetadata::empty(),
                );
            }
            ProviderStatus::Fatal => {
                return fail(
                    ErrorCode::ProviderFatal,
                    "the provider failed for good".to_owned(),
                    FlagMetadata::empty(),
                );
            }
            _ => {}
        }
        let Some(flag) = self.flags.get(key.key()) else {
            return fail(
                ErrorCode::FlagNotFound,
                format!("no flag `{}` in the configuration", key.key()),
                FlagMetadata::empty(),
            );
        };
        let metadata = flag.metadata.clone();
        let code_default = |reason: Reason| {
            (
                EvaluationDetails {
                    flag_key: key.key_cow().clone(),
                    value: key.default_value(),
                    variant: None,
                    reason,
                    error: None,
                    flag_metadata: flag.metadata.clone(),
                },
                None,
            )
        };
        if flag.disabled {
            return code_default(Reason::Disabled);
        }
        // The rule is the user's code: a panic in it is an evaluation error, not the caller's.
        let panicked = || {
            fail(
                ErrorCode::General,
                format!("the rule of flag `{}` panicked", key.key()),
                flag.metadata.clone(),
            )
        };
        let chosen = match &flag.rule {
            Rule::None => None,
            Rule::Evaluator(evaluate) => match crate::hooks::isolated(|| evaluate(ctx)) {
                Some(name) => name
                    .filter(|name| !name.is_empty())
                    .map(|name| (name, Reason::TargetingMatch)),
                None => return panicked(),
            },
            Rule::Resolver(resolve) => match crate::hooks::isolated(|| resolve(ctx)) {
                None => return panicked(),
                Some((Some(name), reason)) if !name.is_empty() => Some((name, reason)),
                Some((_, reason)) => {
                    let Some(name) = &flag.default_variant else {
                        return code_default(reason);
                    };
                    Some((name.to_string(), reason))
                }
            },
        };
        let (name, reason) = match (chosen, &flag.default_variant, &flag.rule) {
            (Some((name, reason)), ..) => (Arc::from(name), reason),
            (None, Some(name), Rule::None) => (name.clone(), Reason::Static),
            (None, Some(name), _) => (name.clone(), Reason::Default),
            (None, None, _) => return code_default(Reason::Default),
        };
        let Some((variant, value)) = flag.variant(&name) else {
            return fail(
                ErrorCode::General,
                format!(
                    "flag `{}` chose `{name}`, which is not a variant",
                    key.key()
                ),
                metadata,
            );
        };
        match value.read::<T>() {
            Ok(v) => (
                EvaluationDetails {
                    flag_key: key.key_cow().clone(),
                    value: v,
                    variant: Some(variant.clone()),
                    reason,
                    error: None,
                    flag_metadata: metadata,
                },
                dynamic.then(|| value.to_value()),
            ),
            Err(error) => fail(
                ErrorCode::TypeMismatch,
                format!(
                    "flag `{}` cannot be read as `{}`: {error}",
                    key.key(),
                    std::any::type_name::<T>()
                ),
                metadata,
            ),
        }
    }
}
