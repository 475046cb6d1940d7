//! The client: typed evaluation against a provider.

use std::borrow::Borrow;
use std::fmt;
use std::sync::Arc;

use crate::context::Context;
use crate::details::{EvaluationDetails, FlagMetadata, Reason};
use crate::engine::{ReasonCode, Resolution, Resolved, Snapshot};
use crate::error::Error;
use crate::key::{FlagKey, FlagValue};
use crate::provider::InProcess;
use crate::source::Source;

/// Evaluates flags. Cheap to clone (shared), `Send + Sync`; evaluation never blocks, never
/// panics and never fails: a problem gives the caller's default with an error code.
///
/// ```
/// use flags_runtime::{Client, Context, FlagKey, source};
/// let client = Client::builder()
///     .in_process(source::json(r#"{"flags": {"upload-limit": {
///         "state": "ENABLED", "variants": {"small": 10, "large": 100}, "defaultVariant": "large"}}}"#))
///     .build()?;
/// let limit = FlagKey::<i64>::new("upload-limit", 5);
/// assert_eq!(client.value(&limit, &Context::new("user-1")), 100);
/// # Ok::<(), flags_runtime::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    provider: InProcess,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("provider", &self.inner.provider.describe())
            .finish()
    }
}

/// Builds a [`Client`]; see [`Client::builder`].
#[derive(Default)]
#[must_use]
pub struct ClientBuilder {
    source: Option<Box<dyn Source>>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("source", &self.source.as_ref().map(|s| s.describe()))
            .finish()
    }
}

impl ClientBuilder {
    /// Evaluates in process, from definitions loaded from `source`
    /// (for example [`source::file`](crate::source::file)).
    pub fn in_process(mut self, source: impl Source) -> ClientBuilder {
        self.source = Some(Box::new(source));
        self
    }

    /// Loads the configuration and returns the client; fails when the source cannot be read
    /// or its definitions are invalid.
    pub fn build(self) -> Result<Client, Error> {
        let source = self.source.ok_or(Error::NoProvider)?;
        let provider = InProcess::start(source)?;
        Ok(Client {
            inner: Arc::new(Inner { provider }),
        })
    }
}

impl Client {
    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The flag's value for `ctx`, or the key's default when it cannot be evaluated.
    #[inline]
    pub fn value<T: FlagValue>(&self, key: impl Borrow<FlagKey<T>>, ctx: &Context) -> T {
        let snapshot = self.inner.provider.snapshot();
        value_in(&snapshot, key.borrow(), ctx)
    }

    /// The flag's value for `ctx` with variant, reason, error and metadata.
    pub fn details<T: FlagValue>(
        &self,
        key: impl Borrow<FlagKey<T>>,
        ctx: &Context,
    ) -> EvaluationDetails<T> {
        let snapshot = self.inner.provider.snapshot();
        details_in(&snapshot, key.borrow(), ctx)
    }

    /// Every flag of a `#[derive(Flags)]` struct, all from one configuration version.
    pub fn flags<S: Flags>(&self, ctx: &Context) -> S {
        let snapshot = self.inner.provider.snapshot();
        S::evaluate(&Evaluation {
            snapshot: &snapshot,
            ctx,
        })
    }

    /// Reloads the configuration from the source. On failure the client keeps serving the
    /// last good configuration and the error says what was wrong.
    pub fn refresh(&self) -> Result<(), Error> {
        self.inner.provider.refresh()
    }

    /// The number of flags in the current configuration.
    pub fn flag_count(&self) -> usize {
        self.inner.provider.snapshot().len()
    }
}

/// A struct of flags, evaluated together by [`Client::flags`]. Implemented by
/// `#[derive(Flags)]`; implementing it by hand is possible but forgoes the compile-time checks.
pub trait Flags: Sized {
    /// Reads every field from one configuration.
    fn evaluate(evaluation: &Evaluation<'_>) -> Self;
}

/// One configuration version and one context, shared by the fields of a [`Flags`] struct.
pub struct Evaluation<'a> {
    snapshot: &'a Snapshot,
    ctx: &'a Context,
}

impl Evaluation<'_> {
    /// The flag's value, or the key's default.
    #[inline]
    pub fn value<T: FlagValue>(&self, key: &FlagKey<T>) -> T {
        value_in(self.snapshot, key, self.ctx)
    }

    /// The flag's value with details.
    pub fn details<T: FlagValue>(&self, key: &FlagKey<T>) -> EvaluationDetails<T> {
        details_in(self.snapshot, key, self.ctx)
    }

    /// The context.
    pub fn context(&self) -> &Context {
        self.ctx
    }
}

impl fmt::Debug for Evaluation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Evaluation")
            .field("flags", &self.snapshot.len())
            .finish_non_exhaustive()
    }
}

#[inline]
fn value_in<T: FlagValue>(snapshot: &Snapshot, key: &FlagKey<T>, ctx: &Context) -> T {
    match snapshot.resolve(key.key(), T::TYPE, ctx).resolution {
        Resolution::Value { value, .. } => {
            T::from_flag_value(value).unwrap_or_else(|| key.default_value())
        }
        Resolution::CodeDefault { .. } | Resolution::Error(_) => key.default_value(),
    }
}

fn details_in<T: FlagValue>(
    snapshot: &Snapshot,
    key: &FlagKey<T>,
    ctx: &Context,
) -> EvaluationDetails<T> {
    let Resolved {
        resolution,
        metadata,
    } = snapshot.resolve(key.key(), T::TYPE, ctx);
    let flag_metadata = metadata.cloned().unwrap_or_else(FlagMetadata::empty);
    let flag_key = key.key_cow().clone();
    match resolution {
        Resolution::Value {
            value,
            variant,
            reason,
        } => match T::from_flag_value(value) {
            Some(v) => EvaluationDetails {
                flag_key,
                value: v,
                variant: variant.cloned(),
                reason: reason.into(),
                error: None,
                flag_metadata,
            },
            None => EvaluationDetails {
                error: Some(crate::engine::type_mismatch(
                    key.key(),
                    value.flag_type(),
                    T::TYPE,
                )),
                flag_key,
                value: key.default_value(),
                variant: None,
                reason: Reason::Error,
                flag_metadata,
            },
        },
        Resolution::CodeDefault { reason } => EvaluationDetails {
            flag_key,
            value: key.default_value(),
            variant: None,
            reason: reason.into(),
            error: None,
            flag_metadata,
        },
        Resolution::Error(error) => EvaluationDetails {
            flag_key,
            value: key.default_value(),
            variant: None,
            reason: Reason::Error,
            error: Some(error),
            flag_metadata,
        },
    }
}

impl From<ReasonCode> for Reason {
    fn from(code: ReasonCode) -> Reason {
        match code {
            ReasonCode::Static => Reason::Static,
            ReasonCode::Default => Reason::Default,
            ReasonCode::Disabled => Reason::Disabled,
        }
    }
}
