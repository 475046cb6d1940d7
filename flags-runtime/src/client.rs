//! The client: typed evaluation against a provider.

use std::borrow::Borrow;
use std::fmt;
use std::sync::Arc;

use crate::context::Context;
use crate::details::{EvaluationDetails, FlagMetadata, Reason};
use crate::engine::{Resolution, Resolved, Snapshot};
use crate::error::Error;
use crate::events::{EventDetails, HandlerId, ProviderEvent, ProviderStatus};
use crate::key::{FlagKey, FlagValue};
use crate::provider::InProcess;
use crate::source::Source;
use crate::testing::{TestClient, TestRead, TestValues};

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
    inner: Arc<Backend>,
}

pub(crate) enum Backend {
    InProcess(InProcess),
    Test(Arc<TestValues>),
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let provider = match &*self.inner {
            Backend::InProcess(p) => p.describe(),
            Backend::Test(_) => "test values".to_owned(),
        };
        f.debug_struct("Client")
            .field("provider", &provider)
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
    /// (for example [`source::file`](crate::source::file())).
    pub fn in_process(mut self, source: impl Source) -> ClientBuilder {
        self.source = Some(Box::new(source));
        self
    }

    /// Loads the configuration and returns the client; fails when the source cannot be read
    /// or its definitions are invalid.
    pub fn build(self) -> Result<Client, Error> {
        let source = self.source.ok_or(Error::NoProvider)?;
        let provider = InProcess::start(source)?;
        Ok(Client::from_backend(Backend::InProcess(provider)))
    }
}

/// What evaluation reads from: one configuration version.
#[derive(Clone, Copy)]
pub(crate) enum View<'a> {
    Snapshot(&'a Snapshot),
    Test(&'a crate::testing::Values),
}

impl Client {
    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client for unit tests: every flag answers its code default (reason `DEFAULT`) until
    /// set, with typed keys and values, so tests stay compile-checked.
    ///
    /// ```
    /// # use flags_runtime::{Client, Context, FlagKey};
    /// let enabled = FlagKey::<bool>::new("new-checkout", false);
    /// let client = Client::for_tests().set(&enabled, true);
    /// assert!(client.value(&enabled, &Context::anonymous()));
    /// ```
    pub fn for_tests() -> TestClient {
        TestClient::new()
    }

    pub(crate) fn from_backend(backend: Backend) -> Client {
        Client {
            inner: Arc::new(backend),
        }
    }

    /// Runs `f` on the current configuration, loaded once.
    #[inline]
    fn with_view<R>(&self, f: impl FnOnce(View<'_>) -> R) -> R {
        match &*self.inner {
            Backend::InProcess(provider) => provider.with_snapshot(|s| f(View::Snapshot(s))),
            Backend::Test(values) => f(View::Test(&values.load())),
        }
    }

    /// The flag's value for `ctx`, or the key's default when it cannot be evaluated.
    #[inline]
    pub fn value<T: FlagValue>(&self, key: impl Borrow<FlagKey<T>>, ctx: &Context) -> T {
        self.with_view(|view| view.value(key.borrow(), ctx))
    }

    /// The flag's value for `ctx` with variant, reason, error and metadata.
    pub fn details<T: FlagValue>(
        &self,
        key: impl Borrow<FlagKey<T>>,
        ctx: &Context,
    ) -> EvaluationDetails<T> {
        self.with_view(|view| view.details(key.borrow(), ctx))
    }

    /// Every flag of a `#[derive(Flags)]` struct, all from one configuration version.
    pub fn flags<S: Flags>(&self, ctx: &Context) -> S {
        self.with_view(|view| S::evaluate(&Evaluation { view, ctx }))
    }

    /// Reloads the configuration from the source. On failure the client keeps serving the
    /// last good configuration and the error says what was wrong. A source polled in the
    /// background (HTTP) is fetched now, and this waits for the outcome (at most the source's
    /// timeout); from an event handler of this client, it returns at once and the fetch follows.
    pub fn refresh(&self) -> Result<(), Error> {
        match &*self.inner {
            Backend::InProcess(provider) => provider.refresh(),
            Backend::Test(_) => Err(Error::Unsupported {
                operation: "refresh",
                provider: "test values",
            }),
        }
    }

    /// Stops the provider's background work (file watching, polling) within about a second
    /// and returns it to `NOT_READY`: reads answer the caller's default with
    /// `PROVIDER_NOT_READY`. Dropping the last clone of a client stops the background work
    /// too. Idempotent; a test client is not affected.
    pub fn shutdown(&self) {
        if let Backend::InProcess(provider) = &*self.inner {
            provider.shutdown();
        }
    }

    /// Waits until the provider's first attempt at its source has settled, at most
    /// `timeout`: `Ok` when the provider is then `READY`, else [`Error::NotReady`] with its
    /// status and the reason (reads meanwhile answer from the bootstrap or persisted
    /// configuration, if any, else the caller's defaults). Sources read in `build()` are
    /// settled already. Blocks the calling thread: not for use inside an async runtime.
    pub fn wait_ready(&self, timeout: std::time::Duration) -> Result<(), Error> {
        match &*self.inner {
            Backend::InProcess(provider) => provider.wait_ready(timeout),
            Backend::Test(_) => Ok(()),
        }
    }

    /// The provider's status. A test client is always ready.
    pub fn status(&self) -> ProviderStatus {
        match &*self.inner {
            Backend::InProcess(provider) => provider.events().status(),
            Backend::Test(_) => ProviderStatus::Ready,
        }
    }

    /// Runs `handler` on every `event` of this client's provider; when the provider is already
    /// in the state the event leads to (for example READY), the handler also runs at once.
    pub fn on(
        &self,
        event: ProviderEvent,
        handler: impl Fn(&EventDetails) + Send + Sync + 'static,
    ) -> HandlerId {
        match &*self.inner {
            Backend::InProcess(provider) => provider.events().add_handler(event, Arc::new(handler)),
            Backend::Test(values) => values.events().add_handler(event, Arc::new(handler)),
        }
    }

    /// Removes a handler added with [`Client::on`]; `false` when it was not registered.
    pub fn remove_handler(&self, id: HandlerId) -> bool {
        match &*self.inner {
            Backend::InProcess(provider) => provider.events().remove_handler(id),
            Backend::Test(values) => values.events().remove_handler(id),
        }
    }

    /// The number of flags in the current configuration (set flags, for a test client).
    pub fn flag_count(&self) -> usize {
        match &*self.inner {
            Backend::InProcess(provider) => provider.snapshot().len(),
            Backend::Test(values) => values.load().len(),
        }
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
    view: View<'a>,
    ctx: &'a Context,
}

impl Evaluation<'_> {
    /// The flag's value, or the key's default.
    #[inline]
    pub fn value<T: FlagValue>(&self, key: &FlagKey<T>) -> T {
        self.view.value(key, self.ctx)
    }

    /// The flag's value with details.
    pub fn details<T: FlagValue>(&self, key: &FlagKey<T>) -> EvaluationDetails<T> {
        self.view.details(key, self.ctx)
    }

    /// The context.
    pub fn context(&self) -> &Context {
        self.ctx
    }
}

impl fmt::Debug for Evaluation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Evaluation")
            .field("context", self.ctx)
            .finish_non_exhaustive()
    }
}

impl View<'_> {
    #[inline]
    fn value<T: FlagValue>(self, key: &FlagKey<T>, ctx: &Context) -> T {
        match self {
            View::Snapshot(snapshot) => match snapshot.resolve(key, ctx).resolution {
                Resolution::Value { value, .. } => {
                    crate::key::read(value).unwrap_or_else(|_| key.default_value())
                }
                Resolution::CodeDefault { .. } | Resolution::Error(_) => key.default_value(),
            },
            View::Test(values) => values.value(key),
        }
    }

    fn details<T: FlagValue>(self, key: &FlagKey<T>, ctx: &Context) -> EvaluationDetails<T> {
        match self {
            View::Snapshot(snapshot) => details_in(snapshot, key, ctx),
            View::Test(values) => values.details(key),
        }
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
    } = snapshot.resolve(key, ctx);
    let flag_metadata = metadata.cloned().unwrap_or_else(FlagMetadata::empty);
    let flag_key = key.key_cow().clone();
    let (value, variant, reason, error) = match resolution {
        Resolution::Value {
            value,
            variant,
            reason,
        } => match crate::key::read::<T>(value) {
            Ok(v) => (v, variant.cloned(), snapshot.reason(reason), None),
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
        Resolution::CodeDefault { reason } => {
            (key.default_value(), None, snapshot.reason(reason), None)
        }
        Resolution::Error(error) => (key.default_value(), None, Reason::Error, Some(error)),
    };
    EvaluationDetails {
        flag_key,
        value,
        variant,
        reason,
        error,
        flag_metadata,
    }
}
