//! What a provider hands the client for one read: a configuration version, read as the
//! caller's type. The runtime's providers are read through borrowing paths that allocate
//! nothing for scalars (the engine's snapshot, a remote provider's bulk evaluation or cache,
//! in-memory flags, a test client's values); any other provider through [`Configuration`].

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use crate::context::Context;
use crate::details::{
    ErrorCode, EvaluationDetails, EvaluationError, FlagMetadata, Reason, VariantName,
};
use crate::engine::{Outcome as EngineAnswer, Resolved, Served, Snapshot, WholeRule};
use crate::key::{FlagKey, FlagValue};
use crate::value::Value;

use super::memory::MemoryView;
use super::resolution::Resolution;

/// One configuration version of a provider, handed to the client by [`Provider::read`]
/// (see [`View::of`]).
///
/// [`Provider::read`]: super::Provider::read
#[derive(Clone, Copy)]
pub struct View<'a>(pub(crate) Kind<'a>);

#[derive(Clone, Copy)]
pub(crate) enum Kind<'a> {
    /// The in-process engine's snapshot, and what answers the flags it cannot compile, if
    /// anything.
    Snapshot(&'a Snapshot, Option<&'a Fallback>),
    Test(TestView<'a>),
    Memory(MemoryView<'a>),
    #[cfg(feature = "http")]
    Remote(crate::remote::RemoteView<'a>),
    /// A multi-provider: its members, in order.
    Multi(&'a super::multi::Shared),
    /// Any other provider.
    Configuration(&'a dyn Configuration),
}

impl<'a> View<'a> {
    /// The view of a provider that answers through [`Configuration`].
    pub fn of(configuration: &'a dyn Configuration) -> View<'a> {
        View(Kind::Configuration(configuration))
    }

    pub(crate) fn multi(members: &'a super::multi::Shared) -> View<'a> {
        View(Kind::Multi(members))
    }

    pub(crate) fn snapshot(snapshot: &'a Snapshot, fallback: Option<&'a Fallback>) -> View<'a> {
        View(Kind::Snapshot(snapshot, fallback))
    }

    /// The generation of the in-process snapshot this view reads, 0 for any other view (no
    /// snapshot's): what key slots cache fixed values under.
    #[inline]
    pub(crate) fn snapshot_generation(self) -> u64 {
        match self.0 {
            Kind::Snapshot(snapshot, _) => snapshot.generation(),
            _ => 0,
        }
    }

    /// The flag's value for `ctx`, or the key's default.
    #[inline]
    pub(crate) fn value<T: FlagValue>(self, key: &FlagKey<T>, ctx: &Context) -> T {
        match self.0 {
            Kind::Snapshot(snapshot, fallback) => snapshot_value(snapshot, fallback, key, ctx),
            Kind::Test(values) => values.value(key),
            Kind::Memory(memory) => memory.details(key, ctx, false).0.value,
            #[cfg(feature = "http")]
            Kind::Remote(remote) => remote.value(key, ctx),
            Kind::Multi(members) => members.details_dyn(key, ctx, false).0.value,
            Kind::Configuration(configuration) => {
                configuration.resolve(key.key(), ctx).to_details(key).value
            }
        }
    }

    /// The details (without the value as the provider holds it, which only hooks need).
    #[inline]
    pub(crate) fn details<T: FlagValue>(
        self,
        key: &FlagKey<T>,
        ctx: &Context,
    ) -> EvaluationDetails<T> {
        match self.0 {
            Kind::Snapshot(snapshot, fallback) => {
                snapshot_details_only(snapshot, fallback, key, ctx)
            }
            _ => self.details_dyn(key, ctx, false).0,
        }
    }

    /// The details, and with `dynamic`, the flag's value as the provider holds it (when the
    /// value came from the flag), for hooks.
    #[inline]
    pub(crate) fn details_dyn<T: FlagValue>(
        self,
        key: &FlagKey<T>,
        ctx: &Context,
        dynamic: bool,
    ) -> (EvaluationDetails<T>, Option<Value>) {
        match self.0 {
            Kind::Snapshot(snapshot, fallback) => {
                snapshot_details(snapshot, fallback, key, ctx, dynamic)
            }
            Kind::Test(values) => (values.details(key), None),
            Kind::Memory(memory) => memory.details(key, ctx, dynamic),
            #[cfg(feature = "http")]
            Kind::Remote(remote) => remote.details(key, ctx, dynamic),
            Kind::Multi(members) => members.details_dyn(key, ctx, dynamic),
            Kind::Configuration(configuration) => {
                let resolution = configuration.resolve(key.key(), ctx);
                let raw = if dynamic {
                    resolution.raw_value()
                } else {
                    None
                };
                (resolution.to_details(key), raw)
            }
        }
    }
}

/// What answers the flags an in-process snapshot cannot compile: a source's remote fallback
/// (feature `http`), read on the error path only.
#[cfg(feature = "http")]
pub(crate) use crate::remote::RemoteFallback as Fallback;

/// What answers the flags an in-process snapshot cannot compile: nothing without the feature
/// `http`.
#[cfg(not(feature = "http"))]
pub(crate) enum Fallback {}

#[cfg(not(feature = "http"))]
impl Fallback {
    fn resolve(&self, _: &str, _: TypeId, _: &Context) -> Result<Arc<Resolution>, String> {
        match *self {}
    }
}

/// A value read from the engine's snapshot.
#[inline]
pub(crate) fn snapshot_value<T: FlagValue>(
    snapshot: &Snapshot,
    fallback: Option<&Fallback>,
    key: &FlagKey<T>,
    ctx: &Context,
) -> T {
    // A static `bool`, `i64` or `f64` flag read as its own type through a generated key
    // constant: the value its slot caches for this snapshot.
    if crate::key::Fixed::may_be::<T>()
        && let Some(slot) = key.slot()
        && let Some(value) = slot.fixed(snapshot.generation()).exact::<T>()
    {
        return value;
    }
    let Some(flag) = snapshot.find(key) else {
        // Not found, or the provider is not serving: the default, whatever the fallback.
        return key.default_value();
    };
    // A static flag's value, of any type, without resolving the flag.
    if let Some(value) = flag.static_value() {
        return crate::flag_value::read(value).unwrap_or_else(|_| key.default_value());
    }
    match snapshot.resolve_flag(flag, ctx).resolution {
        EngineAnswer::Value { value, .. } => {
            crate::flag_value::read(value).unwrap_or_else(|_| key.default_value())
        }
        EngineAnswer::Deferred(rule) => deferred_value(rule, key, ctx),
        EngineAnswer::Error(error) if let Some(fallback) = fallback => {
            fallback_value(snapshot, fallback, key, ctx, &error)
        }
        EngineAnswer::Variant { .. }
        | EngineAnswer::CodeDefault { .. }
        | EngineAnswer::Error(_) => key.default_value(),
    }
}

/// The remote fallback's answer to a read of a flag the snapshot cannot compile (`PARSE_ERROR`);
/// `None` for any other error, or when the fallback has no answer (yet).
fn fallback_answer<T: FlagValue>(
    snapshot: &Snapshot,
    fallback: &Fallback,
    key: &FlagKey<T>,
    ctx: &Context,
    error: &EvaluationError,
) -> Option<Result<Arc<Resolution>, String>> {
    (error.code == ErrorCode::ParseError && snapshot.cannot_compile(key))
        .then(|| fallback.resolve(key.key(), TypeId::of::<T>(), ctx))
}

/// A value read from a flag that failed, with a remote fallback: its answer, if it has one.
#[cold]
#[inline(never)]
fn fallback_value<T: FlagValue>(
    snapshot: &Snapshot,
    fallback: &Fallback,
    key: &FlagKey<T>,
    ctx: &Context,
    error: &EvaluationError,
) -> T {
    match fallback_answer(snapshot, fallback, key, ctx, error) {
        Some(Ok(answer)) => answer.to_details(key).value,
        _ => key.default_value(),
    }
}

/// Details read from a flag that failed, with a remote fallback: its answer, or the error
/// with what the fallback did about it.
#[cold]
#[inline(never)]
fn fallback_details<T: FlagValue>(
    snapshot: &Snapshot,
    fallback: &Fallback,
    key: &FlagKey<T>,
    ctx: &Context,
    resolved: Resolved<'_>,
    dynamic: bool,
) -> (EvaluationDetails<T>, Option<Value>) {
    let EngineAnswer::Error(error) = &resolved.resolution else {
        return details_of(snapshot, key, resolved, dynamic);
    };
    match fallback_answer(snapshot, fallback, key, ctx, error) {
        Some(Ok(answer)) => {
            let raw = if dynamic { answer.raw_value() } else { None };
            (answer.to_details(key), raw)
        }
        Some(Err(note)) => {
            let error = EvaluationError::new(error.code, format!("{}; {note}", error.message));
            let resolved = Resolved {
                resolution: EngineAnswer::Error(error),
                metadata: resolved.metadata,
            };
            details_of(snapshot, key, resolved, dynamic)
        }
        None => details_of(snapshot, key, resolved, dynamic),
    }
}

/// A value read from a flag whose rule decides the whole read (Flipt's), out of line.
#[inline(never)]
fn deferred_value<T: FlagValue>(rule: &dyn WholeRule, key: &FlagKey<T>, ctx: &Context) -> T {
    let boolean = |value| {
        crate::flag_value::read(crate::flag_value::FlagValueRef::Bool(value))
            .unwrap_or_else(|_| key.default_value())
    };
    match rule.serve(ctx) {
        Served::True => boolean(true),
        Served::False => boolean(false),
        Served::Variant(variant) => {
            crate::flag_value::read_variant(&variant.key, variant.attachment.as_deref())
                .ok()
                .flatten()
                .unwrap_or_else(|| key.default_value())
        }
        Served::Default => key.default_value(),
    }
}

/// Details read from the engine's snapshot, without the value hooks see: a static flag's
/// built in place (its metadata shared, a short variant name copied, nothing allocated for a
/// key with a `'static` name), any other's through [`snapshot_details`].
#[inline]
pub(crate) fn snapshot_details_only<T: FlagValue>(
    snapshot: &Snapshot,
    fallback: Option<&Fallback>,
    key: &FlagKey<T>,
    ctx: &Context,
) -> EvaluationDetails<T> {
    if let Some(flag) = snapshot.find(key)
        && let Some((value, variant, metadata)) = flag.static_answer()
        // A value that does not fit `T` is reported by the general path.
        && let Ok(value) = crate::flag_value::read::<T>(value)
    {
        return EvaluationDetails {
            flag_key: key.flag_key(),
            value,
            variant: variant.map(VariantName::from),
            reason: snapshot.reason(crate::engine::ReasonCode::Static),
            error: None,
            flag_metadata: metadata.clone(),
        };
    }
    snapshot_details(snapshot, fallback, key, ctx, false).0
}

/// Details read from the engine's snapshot.
#[inline]
pub(crate) fn snapshot_details<T: FlagValue>(
    snapshot: &Snapshot,
    fallback: Option<&Fallback>,
    key: &FlagKey<T>,
    ctx: &Context,
    dynamic: bool,
) -> (EvaluationDetails<T>, Option<Value>) {
    match snapshot.resolve(key, ctx) {
        Resolved {
            resolution: EngineAnswer::Deferred(rule),
            ..
        } => deferred_details(snapshot, key, rule, ctx, dynamic),
        resolved @ Resolved {
            resolution: EngineAnswer::Error(_),
            ..
        } if let Some(fallback) = fallback => {
            fallback_details(snapshot, fallback, key, ctx, resolved, dynamic)
        }
        resolved => details_of(snapshot, key, resolved, dynamic),
    }
}

/// Details read from a flag whose rule decides the whole read (Flipt's), out of line.
#[inline(never)]
fn deferred_details<T: FlagValue>(
    snapshot: &Snapshot,
    key: &FlagKey<T>,
    rule: &dyn WholeRule,
    ctx: &Context,
    dynamic: bool,
) -> (EvaluationDetails<T>, Option<Value>) {
    details_of(snapshot, key, rule.resolve(ctx), dynamic)
}

/// The details of a resolution (inlined into the read of every flag but Flipt's).
#[inline(always)]
fn details_of<T: FlagValue>(
    snapshot: &Snapshot,
    key: &FlagKey<T>,
    resolved: Resolved<'_>,
    dynamic: bool,
) -> (EvaluationDetails<T>, Option<Value>) {
    let Resolved {
        resolution,
        metadata,
    } = resolved;
    let flag_metadata = metadata.to_metadata();
    let flag_key = key.key_cow().clone();
    let mut raw = None;
    let (value, variant, reason, error) = match resolution {
        EngineAnswer::Value {
            value,
            variant,
            reason,
        } => match crate::flag_value::read::<T>(value) {
            Ok(v) => {
                if dynamic {
                    raw = Some(Value::from(value.to_json()));
                }
                (
                    v,
                    variant.map(VariantName::from),
                    snapshot.reason(reason),
                    None,
                )
            }
            Err(error) => (
                key.default_value(),
                None,
                Reason::Error,
                Some(crate::engine::type_mismatch(
                    key.key(),
                    std::any::type_name::<T>(),
                    &error,
                )),
            ),
        },
        EngineAnswer::Variant {
            key: name,
            attachment,
            reason,
        } => match crate::flag_value::read_variant::<T>(name, attachment) {
            Ok(read) => {
                let structured = crate::flag_value::reads_structured::<T>();
                if dynamic && (read.is_some()) {
                    raw = Some(Value::from(match attachment {
                        Some(attachment) if structured => attachment.json().clone(),
                        _ => serde_json::Value::from(&**name),
                    }));
                }
                let value = read.unwrap_or_else(|| key.default_value());
                (
                    value,
                    Some(VariantName::from(name)),
                    snapshot.reason(reason),
                    None,
                )
            }
            Err(error) => (
                key.default_value(),
                None,
                Reason::Error,
                Some(crate::engine::type_mismatch(
                    key.key(),
                    std::any::type_name::<T>(),
                    &error,
                )),
            ),
        },
        EngineAnswer::CodeDefault { reason } => {
            (key.default_value(), None, snapshot.reason(reason), None)
        }
        // Resolved by `snapshot_details`.
        EngineAnswer::Deferred(_) => (key.default_value(), None, Reason::Unknown, None),
        EngineAnswer::Error(error) => (key.default_value(), None, Reason::Error, Some(error)),
    };
    (
        EvaluationDetails {
            flag_key,
            value,
            variant,
            reason,
            error,
            flag_metadata,
        },
        raw,
    )
}

/// One configuration version of a provider, read through the owned [`Resolution`] it
/// answers: the simple way to implement [`Provider::read`](crate::provider::Provider::read) (see the [module example](super)).
/// The runtime's own providers read through faster, borrowing paths.
pub trait Configuration {
    /// The answer for flag `flag` in `ctx`. The client reads the value as the caller's type
    /// (a value that does not fit answers `TYPE_MISMATCH` with the caller's default).
    fn resolve(&self, flag: &str, ctx: &Context) -> Resolution;
}

/// The values set on a test client, by key.
pub(crate) type Values = HashMap<Cow<'static, str>, Arc<dyn Any + Send + Sync>>;

/// One version of a test client's values, read by the client.
#[derive(Clone, Copy)]
pub(crate) struct TestView<'a>(pub(super) &'a Values);

impl TestView<'_> {
    pub(crate) fn value<T: FlagValue>(&self, key: &FlagKey<T>) -> T {
        match self.0.get(key.key()).map(|v| v.downcast_ref::<T>()) {
            Some(Some(value)) => value.clone(),
            _ => key.default_value(),
        }
    }

    pub(crate) fn details<T: FlagValue>(&self, key: &FlagKey<T>) -> EvaluationDetails<T> {
        let (value, reason, error) = match self.0.get(key.key()).map(|v| v.downcast_ref::<T>()) {
            Some(Some(value)) => (value.clone(), Reason::Static, None),
            Some(None) => (
                key.default_value(),
                Reason::Error,
                Some(EvaluationError::new(
                    ErrorCode::TypeMismatch,
                    format!(
                        "flag `{}` was set to a value of another type than `{}`",
                        key.key(),
                        std::any::type_name::<T>()
                    ),
                )),
            ),
            None => (key.default_value(), Reason::Default, None),
        };
        EvaluationDetails {
            flag_key: key.key_cow().clone(),
            value,
            variant: None,
            reason,
            error,
            flag_metadata: FlagMetadata::empty(),
        }
    }
}
