//! Hooks (OpenFeature specification §4): code that runs around every evaluation.
//!
//! A [`Hook`] has four stages, each optional: `before` (may add to the context), `after` (on
//! success), `error` and `finally` (always). Hooks are registered on the [API](crate::api()),
//! on a [`Client`](crate::Client), for one invocation ([`EvaluationOptions`]) and by a
//! provider. `before` hooks run in that order, the other stages in the reverse order. A hook
//! that fails or panics never breaks an evaluation: a failing `before` or `after` hook turns
//! the result into the caller's default with the hook's error, a failing `error` or `finally`
//! hook is ignored.
//!
//! With no hook and no context registered anywhere, none of this runs: a read costs two
//! relaxed atomic loads more than without hook support.

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::context::Context;
use crate::details::{ErrorCode, EvaluationDetails, EvaluationError, FlagMetadata, Reason};
use crate::key::{FlagKey, FlagType, FlagValue};
use crate::value::Value;

/// Code run around evaluations. Every stage has a default that does nothing; implement the
/// ones you need.
///
/// ```
/// use flags_runtime::{Client, Context, EvaluationDetails, FlagKey, Hook, HookContext, HookHints, Value};
/// use std::sync::{Arc, Mutex};
///
/// struct Audit(Arc<Mutex<Vec<String>>>);
///
/// impl Hook for Audit {
///     fn after(
///         &self,
///         ctx: &mut HookContext<'_>,
///         details: &EvaluationDetails<Value>,
///         _hints: &HookHints,
///     ) -> Result<(), flags_runtime::EvaluationError> {
///         self.0.lock().unwrap().push(format!("{} = {:?}", ctx.flag_key(), details.value));
///         Ok(())
///     }
/// }
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let key = FlagKey::<bool>::new("dark-mode", false);
/// let client = Client::for_tests().set(&key, true);
/// client.add_hook(Audit(seen.clone()));
/// assert!(client.value(&key, &Context::anonymous()));
/// assert_eq!(*seen.lock().unwrap(), ["dark-mode = Bool(true)"]);
/// ```
pub trait Hook: Send + Sync + 'static {
    /// Before the flag is resolved. A context returned here is merged over the evaluation
    /// context, at the highest precedence, and later `before` hooks see it. An error stops the
    /// remaining `before` hooks: the `error` hooks run and the caller gets its default.
    fn before(
        &self,
        ctx: &mut HookContext<'_>,
        hints: &HookHints,
    ) -> Result<Option<Context>, EvaluationError> {
        let _ = (ctx, hints);
        Ok(None)
    }

    /// After a successful resolution. An error stops the remaining `after` hooks: the `error`
    /// hooks run and the caller gets its default.
    fn after(
        &self,
        ctx: &mut HookContext<'_>,
        details: &EvaluationDetails<Value>,
        hints: &HookHints,
    ) -> Result<(), EvaluationError> {
        let _ = (ctx, details, hints);
        Ok(())
    }

    /// When the resolution, a `before` or an `after` hook failed.
    fn error(&self, ctx: &mut HookContext<'_>, error: &EvaluationError, hints: &HookHints) {
        let _ = (ctx, error, hints);
    }

    /// Always, last, with the details returned to the caller.
    fn finally(
        &self,
        ctx: &mut HookContext<'_>,
        details: &EvaluationDetails<Value>,
        hints: &HookHints,
    ) {
        let _ = (ctx, details, hints);
    }
}

/// What a hook knows about the evaluation it runs in: the flag key and type, the merged
/// context, the caller's default, client and provider metadata, and the hook's own
/// [`HookData`].
pub struct HookContext<'a> {
    pub(crate) shared: &'a SharedHookContext<'a>,
    pub(crate) context: &'a Context,
    pub(crate) data: &'a mut HookData,
}

/// The part of a hook context shared by every hook of one evaluation.
pub(crate) struct SharedHookContext<'a> {
    pub(crate) flag_key: &'a str,
    pub(crate) flag_type: Option<FlagType>,
    pub(crate) type_name: &'static str,
    pub(crate) default_value: &'a Value,
    pub(crate) default_any: &'a (dyn Any + Send + Sync),
    pub(crate) client: &'a ClientMetadata,
    pub(crate) provider: ProviderMetadata,
}

impl HookContext<'_> {
    /// The key of the flag being evaluated.
    pub fn flag_key(&self) -> &str {
        self.shared.flag_key
    }

    /// The flag type the caller asked for, inferred from the Rust type it reads the flag as
    /// (`None` for types that do not say, such as enums of a string flag).
    pub fn flag_type(&self) -> Option<FlagType> {
        self.shared.flag_type
    }

    /// The Rust type the caller reads the flag as.
    pub fn type_name(&self) -> &'static str {
        self.shared.type_name
    }

    /// The merged evaluation context (in `before`, with what earlier `before` hooks added).
    pub fn context(&self) -> &Context {
        self.context
    }

    /// The caller's default, as a dynamic value ([`Value::Null`] for Rust types without a
    /// dynamic form, such as user structs: see [`HookContext::default_as`]).
    pub fn default_value(&self) -> &Value {
        self.shared.default_value
    }

    /// The caller's default as its Rust type, when it is `T`.
    pub fn default_as<T: 'static>(&self) -> Option<&T> {
        self.shared.default_any.downcast_ref()
    }

    /// The client's metadata.
    pub fn client_metadata(&self) -> &ClientMetadata {
        self.shared.client
    }

    /// The provider's metadata.
    pub fn provider_metadata(&self) -> &ProviderMetadata {
        &self.shared.provider
    }

    /// This hook's data for this evaluation.
    pub fn data(&self) -> &HookData {
        self.data
    }

    /// This hook's data for this evaluation, to change.
    pub fn data_mut(&mut self) -> &mut HookData {
        self.data
    }
}

impl fmt::Debug for HookContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HookContext")
            .field("flag_key", &self.shared.flag_key)
            .field("flag_type", &self.shared.flag_type)
            .field("context", self.context)
            .field("default_value", &self.shared.default_value)
            .finish_non_exhaustive()
    }
}

/// A client's metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientMetadata {
    /// The client's domain, if it was given one.
    pub domain: Option<Arc<str>>,
}

/// A provider's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProviderMetadata {
    /// The provider's name.
    pub name: Arc<str>,
}

/// Data a hook keeps between the stages of one evaluation (OpenFeature 4.6): each hook has
/// its own, created empty before its first stage, dropped after the evaluation.
#[derive(Default)]
pub struct HookData {
    entries: Option<BTreeMap<String, Box<dyn Any + Send + Sync>>>,
}

impl HookData {
    /// Sets an entry, replacing any previous one.
    pub fn set(&mut self, key: impl Into<String>, value: impl Any + Send + Sync) {
        self.entries
            .get_or_insert_with(BTreeMap::new)
            .insert(key.into(), Box::new(value));
    }

    /// An entry, when it is a `T`.
    pub fn get<T: Any>(&self, key: &str) -> Option<&T> {
        self.entries.as_ref()?.get(key)?.downcast_ref()
    }

    /// Removes an entry; `true` if it was there.
    pub fn remove(&mut self, key: &str) -> bool {
        self.entries
            .as_mut()
            .is_some_and(|e| e.remove(key).is_some())
    }

    /// `true` when there is no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.as_ref().is_none_or(BTreeMap::is_empty)
    }
}

impl fmt::Debug for HookData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.entries.iter().flat_map(|e| e.keys()))
            .finish()
    }
}

/// Hints given to every hook of one evaluation (OpenFeature 4.5): string keys to values,
/// immutable once given. Cheap to clone (shared).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HookHints(Option<Arc<BTreeMap<String, Value>>>);

impl HookHints {
    /// No hints.
    pub const fn new() -> HookHints {
        HookHints(None)
    }

    /// With one more hint.
    #[must_use]
    pub fn with(self, key: impl Into<String>, value: impl Into<Value>) -> HookHints {
        let mut map = self.0.map(Arc::unwrap_or_clone).unwrap_or_default();
        map.insert(key.into(), value.into());
        HookHints(Some(Arc::new(map)))
    }

    /// A hint.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.as_ref()?.get(key)
    }

    /// The hints, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0
            .iter()
            .flat_map(|m| m.iter().map(|(k, v)| (k.as_str(), v)))
    }

    /// `true` when there is no hint.
    pub fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(|m| m.is_empty())
    }
}

/// Options of one evaluation: hooks for this invocation only, and hints for every hook.
///
/// ```
/// use flags_runtime::{Client, Context, EvaluationOptions, FlagKey, HookHints};
/// let key = FlagKey::<i64>::new("upload-limit", 10);
/// let client = Client::for_tests();
/// let options = EvaluationOptions::new().with_hints(HookHints::new().with("route", "/upload"));
/// assert_eq!(client.value_with(&key, &Context::anonymous(), &options), 10);
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct EvaluationOptions {
    pub(crate) hooks: Vec<Arc<dyn Hook>>,
    pub(crate) hints: HookHints,
}

impl EvaluationOptions {
    /// No hooks, no hints.
    pub const fn new() -> EvaluationOptions {
        EvaluationOptions {
            hooks: Vec::new(),
            hints: HookHints::new(),
        }
    }

    /// With a hook for this invocation (after the API's and the client's, before the
    /// provider's).
    pub fn with_hook(mut self, hook: impl Hook) -> EvaluationOptions {
        self.hooks.push(Arc::new(hook));
        self
    }

    /// With a shared hook.
    pub fn with_shared_hook(mut self, hook: Arc<dyn Hook>) -> EvaluationOptions {
        self.hooks.push(hook);
        self
    }

    /// With these hints.
    pub fn with_hints(mut self, hints: HookHints) -> EvaluationOptions {
        self.hints = hints;
        self
    }

    /// The hints.
    pub fn hints(&self) -> &HookHints {
        &self.hints
    }
}

impl fmt::Debug for EvaluationOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EvaluationOptions")
            .field("hooks", &self.hooks.len())
            .field("hints", &self.hints)
            .finish()
    }
}

/// No options.
pub(crate) static NO_OPTIONS: EvaluationOptions = EvaluationOptions::new();

/// A Rust value seen dynamically, for hooks: the common flag types by downcast.
pub(crate) fn dynamic<T: Any>(value: &T) -> Value {
    let any: &dyn Any = value;
    macro_rules! try_as {
        ($($t:ty => |$v:ident| $e:expr),* $(,)?) => {$(
            if let Some($v) = any.downcast_ref::<$t>() {
                return $e;
            }
        )*};
    }
    try_as! {
        bool => |v| Value::Bool(*v),
        i64 => |v| Value::Int(*v),
        i32 => |v| Value::Int(i64::from(*v)),
        u32 => |v| Value::Int(i64::from(*v)),
        u64 => |v| Value::from(*v),
        usize => |v| Value::from(*v),
        i16 => |v| Value::Int(i64::from(*v)),
        u16 => |v| Value::Int(i64::from(*v)),
        i8 => |v| Value::Int(i64::from(*v)),
        u8 => |v| Value::Int(i64::from(*v)),
        f64 => |v| Value::Float(*v),
        f32 => |v| Value::Float(f64::from(*v)),
        String => |v| Value::String(v.clone()),
        Arc<str> => |v| Value::String(v.to_string()),
        Box<str> => |v| Value::String(String::from(&**v)),
        serde_json::Value => |v| Value::from(v.clone()),
        serde_json::Map<String, serde_json::Value> => |v| Value::from(serde_json::Value::Object(v.clone())),
        Option<bool> => |v| Value::from(*v),
        Option<i64> => |v| Value::from(*v),
        Option<f64> => |v| Value::from(*v),
        Option<String> => |v| Value::from(v.clone()),
    }
    Value::Null
}

/// The flag type a Rust type reads, when its dynamic form says.
pub(crate) fn flag_type_of(value: &Value) -> Option<FlagType> {
    match value {
        Value::Bool(_) => Some(FlagType::Boolean),
        Value::Int(_) => Some(FlagType::Integer),
        Value::Float(_) => Some(FlagType::Float),
        Value::String(_) => Some(FlagType::String),
        Value::Map(_) => Some(FlagType::Object),
        _ => None,
    }
}

/// One evaluation that has hooks to run.
pub(crate) struct Invocation<'a, T> {
    pub(crate) key: &'a FlagKey<T>,
    /// API, transaction, client and invocation contexts, merged.
    pub(crate) context: &'a Context,
    pub(crate) hints: &'a HookHints,
    pub(crate) client: &'a ClientMetadata,
    pub(crate) provider: &'a str,
}

/// Evaluates with `hooks` (in `before` order), as OpenFeature 4.4 orders and isolates them.
/// `resolve` resolves the flag for the context the `before` hooks leave.
pub(crate) fn run<T: FlagValue>(
    hooks: Vec<Arc<dyn Hook>>,
    invocation: &Invocation<'_, T>,
    resolve: impl FnOnce(&Context) -> (EvaluationDetails<T>, Option<Value>),
) -> EvaluationDetails<T> {
    let pending = Pending::begin(
        hooks,
        invocation.key,
        invocation.context.clone(),
        invocation.hints.clone(),
        invocation.client.clone(),
        Arc::from(invocation.provider),
    );
    let resolved = pending.context().map(resolve);
    pending.finish(resolved)
}

/// An evaluation with hooks, split where the provider resolves the flag, so that a remote
/// provider can be asked (asynchronously) with the context the `before` hooks left:
/// [`Pending::begin`] runs the `before` stage, the caller resolves the flag for
/// [`Pending::context`], and [`Pending::finish`] runs `after` or `error`, then `finally`.
/// Owns what it needs, so that it can wait across an `await`.
pub(crate) struct Pending<T> {
    hooks: Vec<Arc<dyn Hook>>,
    key: FlagKey<T>,
    hints: HookHints,
    client: ClientMetadata,
    provider: ProviderMetadata,
    default: T,
    default_value: Value,
    flag_type: Option<FlagType>,
    data: Vec<HookData>,
    /// The evaluation context, with what `before` hooks added.
    context: Context,
    failure: Option<EvaluationError>,
}

/// Borrows the parts of a [`Pending`] every hook sees.
macro_rules! shared {
    ($key:expr, $flag_type:expr, $default_value:expr, $default:expr, $client:expr, $provider:expr) => {
        SharedHookContext {
            flag_key: $key.key(),
            flag_type: $flag_type,
            type_name: std::any::type_name::<T>(),
            default_value: $default_value,
            default_any: $default,
            client: $client,
            provider: $provider,
        }
    };
}

impl<T: FlagValue> Pending<T> {
    /// Runs the `before` stage: in order, each hook's context merged over the evaluation
    /// context; the first failure stops the stage (and the flag is not resolved).
    pub(crate) fn begin(
        hooks: Vec<Arc<dyn Hook>>,
        key: &FlagKey<T>,
        context: Context,
        hints: HookHints,
        client: ClientMetadata,
        provider: Arc<str>,
    ) -> Pending<T> {
        let default = key.default_value();
        let default_value = dynamic(&default);
        let mut pending = Pending {
            flag_type: flag_type_of(&default_value),
            data: hooks.iter().map(|_| HookData::default()).collect(),
            hooks,
            key: key.clone(),
            hints,
            client,
            provider: ProviderMetadata { name: provider },
            default,
            default_value,
            context,
            failure: None,
        };
        let Pending {
            hooks,
            key,
            hints,
            client,
            provider,
            default,
            default_value,
            flag_type,
            data,
            context,
            failure,
        } = &mut pending;
        let shared = shared!(
            key,
            *flag_type,
            default_value,
            default,
            client,
            provider.clone()
        );
        for (hook, data) in hooks.iter().zip(data.iter_mut()) {
            let mut hook_ctx = HookContext {
                shared: &shared,
                context,
                data,
            };
            match isolated(|| hook.before(&mut hook_ctx, hints)) {
                Some(Ok(Some(added))) => context.merge_from(&added),
                Some(Ok(None)) => {}
                Some(Err(error)) => {
                    *failure = Some(error);
                    break;
                }
                None => {
                    *failure = Some(panicked("before"));
                    break;
                }
            }
        }
        pending
    }

    /// The context to resolve the flag with; `None` when a `before` hook failed: the flag
    /// is then not resolved, and [`Pending::finish`] takes `None`.
    pub(crate) fn context(&self) -> Option<&Context> {
        self.failure.is_none().then_some(&self.context)
    }

    /// Runs `after` (on success) or `error` (on a resolution or hook error), in reverse
    /// order, then `finally`, and returns the details; `resolved` is the provider's answer
    /// (with the flag's value in dynamic form, when the provider has it).
    pub(crate) fn finish(
        self,
        resolved: Option<(EvaluationDetails<T>, Option<Value>)>,
    ) -> EvaluationDetails<T> {
        let Pending {
            hooks,
            key,
            hints,
            client,
            provider,
            default,
            default_value,
            flag_type,
            mut data,
            context,
            mut failure,
        } = self;
        let shared = shared!(&key, flag_type, &default_value, &default, &client, provider);
        let context = &context;
        let mut details = match &failure {
            None => resolved,
            Some(_) => None,
        };

        // After (on success) or error (on a resolution error), in reverse order.
        let mut dynamic_details = None;
        if let Some((resolved, raw)) = &mut details {
            match resolved.error.clone() {
                Some(error) => failure = Some(error),
                None => {
                    let seen = to_dynamic(resolved, raw.take());
                    for (hook, data) in hooks.iter().zip(data.iter_mut()).rev() {
                        let mut hook_ctx = HookContext {
                            shared: &shared,
                            context,
                            data,
                        };
                        match isolated(|| hook.after(&mut hook_ctx, &seen, &hints)) {
                            Some(Ok(())) => {}
                            Some(Err(error)) => {
                                failure = Some(error);
                                break;
                            }
                            None => {
                                failure = Some(panicked("after"));
                                break;
                            }
                        }
                    }
                    dynamic_details = Some(seen);
                }
            }
        }

        let details = match (details, &failure) {
            // A hook failed: the caller's default, with the hook's error.
            (Some((resolved, _)), Some(error)) if resolved.error.is_none() => {
                dynamic_details = None;
                failed(&key, default.clone(), error.clone())
            }
            (Some((resolved, _)), _) => resolved,
            (None, error) => failed(
                &key,
                default.clone(),
                error.clone().unwrap_or_else(|| panicked("before")),
            ),
        };
        if let Some(error) = &failure {
            for (hook, data) in hooks.iter().zip(data.iter_mut()).rev() {
                let mut hook_ctx = HookContext {
                    shared: &shared,
                    context,
                    data,
                };
                if isolated(|| hook.error(&mut hook_ctx, error, &hints)).is_none() {
                    tracing::warn!(target: "flags", flag = key.key(), "an `error` hook panicked");
                }
            }
        }

        // Finally: always, in reverse order, with the details returned.
        let seen = dynamic_details.unwrap_or_else(|| to_dynamic(&details, None));
        for (hook, data) in hooks.iter().zip(data.iter_mut()).rev() {
            let mut hook_ctx = HookContext {
                shared: &shared,
                context,
                data,
            };
            if isolated(|| hook.finally(&mut hook_ctx, &seen, &hints)).is_none() {
                tracing::warn!(target: "flags", flag = key.key(), "a `finally` hook panicked");
            }
        }
        details
    }
}

fn panicked(stage: &str) -> EvaluationError {
    EvaluationError::new(ErrorCode::General, format!("a `{stage}` hook panicked"))
}

fn failed<T>(key: &FlagKey<T>, default: T, error: EvaluationError) -> EvaluationDetails<T> {
    EvaluationDetails {
        flag_key: key.key_cow().clone(),
        value: default,
        variant: None,
        reason: Reason::Error,
        error: Some(error),
        flag_metadata: FlagMetadata::empty(),
    }
}

/// The details as hooks see them: the value in dynamic form.
fn to_dynamic<T: Any>(
    details: &EvaluationDetails<T>,
    raw: Option<Value>,
) -> EvaluationDetails<Value> {
    EvaluationDetails {
        flag_key: details.flag_key.clone(),
        value: raw.unwrap_or_else(|| dynamic(&details.value)),
        variant: details.variant.clone(),
        reason: details.reason.clone(),
        error: details.error.clone(),
        flag_metadata: details.flag_metadata.clone(),
    }
}

/// Runs user code (a hook, a rule of the in-memory provider), turning a panic into `None`.
pub(crate) fn isolated<R>(f: impl FnOnce() -> R) -> Option<R> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok()
}
