//! The client: typed evaluation against a provider.

use std::borrow::Borrow;
use std::fmt;
use std::sync::Arc;

use std::sync::atomic::{AtomicBool, Ordering};

use arc_swap::{ArcSwap, ArcSwapOption};

use crate::context::Context;
use crate::details::{EvaluationDetails, FlagMetadata, Reason};
use crate::error::Error;
use crate::events::{EventDetails, Events, HandlerId, ProviderEvent, ProviderStatus};
use crate::hooks::{ClientMetadata, EvaluationOptions, Hook, NO_OPTIONS};
use crate::key::Fixed;
use crate::key::{FlagKey, FlagValue};
use crate::provider::memory::InMemory;
use crate::provider::{InProcess, Provider};
use crate::source::Source;

mod as_provider;
mod prefetch;
mod view;

pub(crate) use view::View;

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
    /// Client-level hooks and context (OpenFeature 1.2.1, 3.2.1.1), shared by clones.
    state: Arc<ClientState>,
    /// The event pipeline, when exporters were configured; shared by clones and by clients of
    /// other domains made from this one.
    tracking: Option<Arc<crate::tracking::Tracking>>,
}

/// The client's provider. The runtime's two providers whose reads cost nanoseconds, the
/// in-process engine and a remote provider (its bulk evaluation and cache), are called
/// without a virtual call, through a generic read of one configuration version; every other
/// provider through [`Provider`].
pub(crate) enum Backend {
    InProcess(InProcess),
    #[cfg(feature = "http")]
    Remote(crate::remote::Remote),
    Provider(Arc<dyn Provider>),
}

impl Backend {
    /// The provider, as the trait.
    #[inline]
    pub(crate) fn provider(&self) -> &dyn Provider {
        match self {
            Backend::InProcess(provider) => provider,
            #[cfg(feature = "http")]
            Backend::Remote(provider) => provider,
            Backend::Provider(provider) => &**provider,
        }
    }

    /// The provider's status and handlers.
    pub(crate) fn events(&self) -> &Events {
        self.provider().events()
    }

    /// Hooks the provider brings (OpenFeature 2.3.1).
    fn hooks(&self) -> &[Arc<dyn Hook>] {
        self.provider().hooks()
    }

    /// Whether evaluations of `key` are recorded as evaluation events: not for a GO Feature
    /// Flag flag with `trackEvents: false`; every flag of other providers.
    fn tracks_events(&self, key: &str) -> bool {
        match self {
            Backend::InProcess(provider) => provider.tracks_events(key),
            _ => true,
        }
    }
}

impl crate::api::Registered for Backend {
    fn events(&self) -> &Events {
        self.provider().events()
    }

    fn shutdown(&self) {
        self.provider().shutdown();
    }
}

/// What a client adds to its provider: hooks, context, metadata.
pub(crate) struct ClientState {
    /// Set while the client has hooks or a context, or its provider has hooks: evaluations
    /// then take the path that runs them.
    active: AtomicBool,
    provider_hooks: bool,
    hooks: ArcSwap<Vec<Arc<dyn Hook>>>,
    context: ArcSwapOption<Context>,
    metadata: ClientMetadata,
    /// Serialises changes, so that `active` always reflects the last one.
    changing: std::sync::Mutex<()>,
}

impl ClientState {
    fn new(provider_hooks: bool, metadata: ClientMetadata) -> ClientState {
        ClientState {
            active: AtomicBool::new(provider_hooks),
            provider_hooks,
            hooks: ArcSwap::from_pointee(Vec::new()),
            context: ArcSwapOption::empty(),
            metadata,
            changing: std::sync::Mutex::new(()),
        }
    }

    /// Applies a change to hooks or context, then updates `active`.
    fn change(&self, f: impl FnOnce(&ClientState)) {
        let _changing = self
            .changing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(self);
        let active =
            self.provider_hooks || !self.hooks.load().is_empty() || self.context.load().is_some();
        self.active.store(active, Ordering::Relaxed);
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let provider = self.inner.provider().describe();
        f.debug_struct("Client")
            .field("provider", &provider)
            .field("domain", &self.state.metadata.domain)
            .finish()
    }
}

/// Builds a [`Client`]; see [`Client::builder`].
#[derive(Default)]
#[must_use]
pub struct ClientBuilder {
    source: Option<Box<dyn Source>>,
    #[cfg(feature = "http")]
    remote: Option<Box<dyn crate::remote::sealed::Sealed>>,
    provider: Option<Arc<dyn Provider>>,
    domain: Option<Arc<str>>,
    engine: crate::engine::EngineOptions,
    tracking: crate::tracking::Config,
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

    /// Evaluates remotely, on a flag service (feature `http`): [`remote::ofrep`](crate::remote::ofrep),
    /// [`remote::flagship`](crate::remote::flagship). Building does no network I/O.
    #[cfg(feature = "http")]
    pub fn remote(
        mut self,
        provider: impl crate::remote::RemoteProvider + 'static,
    ) -> ClientBuilder {
        self.remote = Some(Box::new(provider));
        self
    }

    /// Evaluates through `provider`: a provider of your own (see [`crate::provider`]).
    /// [`ClientBuilder::remote`] takes precedence when both are set; this one over
    /// [`ClientBuilder::in_process`].
    pub fn provider(mut self, provider: impl Provider) -> ClientBuilder {
        self.provider = Some(Arc::new(provider));
        self
    }

    /// Names the client's domain, reported to hooks in [`ClientMetadata`].
    pub fn domain(mut self, domain: impl Into<Arc<str>>) -> ClientBuilder {
        self.domain = Some(domain.into());
        self
    }

    /// How the in-process engine evaluates rules, for example which `fractional` bucketing
    /// algorithm it uses (flagd's current one by default).
    ///
    /// ```
    /// use flags_runtime::{Client, EngineOptions, FractionalVersion, source};
    /// let client = Client::builder()
    ///     .in_process(source::json(r#"{"flags": {}}"#))
    ///     .engine(EngineOptions::default().with_fractional(FractionalVersion::V3))
    ///     .build()?;
    /// # Ok::<(), flags_runtime::Error>(())
    /// ```
    pub fn engine(mut self, options: crate::engine::EngineOptions) -> ClientBuilder {
        self.engine = options;
        self
    }

    /// Sends the client's events to `exporter` (several exporters may be added, each with its
    /// own queue): an [`Exporter`](crate::tracking::Exporter) of your own, or a built-in one
    /// such as [`tracking::go_feature_flag`](crate::tracking::go_feature_flag()) (feature
    /// `http`), whose configuration [`build`](ClientBuilder::build) checks. The client then
    /// runs one thread, `flags-events`, that publishes batches (see [`crate::tracking`]).
    pub fn events(mut self, exporter: impl crate::tracking::IntoExporter) -> ClientBuilder {
        self.tracking.exporters.push(exporter.into_exporter());
        self
    }

    /// Writes every event to a crash-safe log in `dir` before [`Client::track`] returns, and
    /// sends what a previous process left unacknowledged there when the client starts (at
    /// least once; event ids let receivers drop duplicates). The promise, exactly: see
    /// [`crate::tracking`]. One client per directory (a second is refused).
    pub fn event_log(mut self, dir: impl Into<std::path::PathBuf>) -> ClientBuilder {
        self.tracking.log = Some(dir.into());
        self
    }

    /// How the event pipeline batches, retries and stops.
    pub fn event_options(mut self, options: crate::tracking::EventOptions) -> ClientBuilder {
        self.tracking.options = options;
        self
    }

    /// Loads the configuration and returns the client; fails when the source cannot be read
    /// or its definitions are invalid.
    ///
    /// # Errors
    ///
    /// [`Error::NoProvider`] when no provider was set, [`Error::TwoProviders`] when more than
    /// one was (`in_process` with `remote`, say: a Flagship app read in process has nothing
    /// for a remote cache to keep); the errors of starting the provider;
    /// [`Error::Exporter`] for an exporter misconfigured, [`Error::EventLog`] for a log
    /// directory that cannot be used (or is used by another client).
    pub fn build(self) -> Result<Client, Error> {
        #[cfg(feature = "http")]
        let remote_set = self.remote.is_some();
        #[cfg(not(feature = "http"))]
        let remote_set = false;
        let set: Vec<&'static str> = [
            ("in_process", self.source.is_some()),
            ("remote", remote_set),
            ("provider", self.provider.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect();
        if let [first, second, ..] = set[..] {
            return Err(Error::TwoProviders { first, second });
        }
        #[cfg(feature = "http")]
        if let Some(remote) = self.remote {
            let remote = Backend::Remote(remote.start()?);
            return ClientBuilder::finish_with(self.domain, remote, self.tracking);
        }
        let backend = match (self.provider, self.source) {
            (Some(provider), _) => Backend::Provider(provider),
            (None, Some(source)) => Backend::InProcess(InProcess::start(source, self.engine)?),
            (None, None) => return Err(Error::NoProvider),
        };
        ClientBuilder::finish_with(self.domain, backend, self.tracking)
    }

    fn finish_with(
        domain: Option<Arc<str>>,
        backend: Backend,
        tracking: crate::tracking::Config,
    ) -> Result<Client, Error> {
        let mut client = Client::from_backend(backend);
        let weak = Arc::downgrade(&client.inner);
        let trackable = move |key: &str| weak.upgrade().is_none_or(|b| b.tracks_events(key));
        if let Some(tracking) = crate::tracking::Tracking::start(tracking, trackable)? {
            let hooked = tracking.hook().is_some();
            client.tracking = Some(Arc::new(tracking));
            if hooked {
                client.state = Arc::new(ClientState::new(true, ClientMetadata::default()));
            }
        }
        if let Some(domain) = domain {
            client = client.with_domain(domain);
        }
        Ok(client)
    }
}

impl Client {
    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    pub(crate) fn from_backend(backend: Backend) -> Client {
        let provider_hooks = !backend.hooks().is_empty();
        let inner = Arc::new(backend);
        let weak: std::sync::Weak<Backend> = Arc::downgrade(&inner);
        crate::api::register(weak);
        Client {
            inner,
            state: Arc::new(ClientState::new(provider_hooks, ClientMetadata::default())),
            tracking: None,
        }
    }

    /// Another client on the same provider, named `domain`, with hooks and context of its own
    /// (none yet).
    #[must_use]
    pub fn with_domain(&self, domain: impl Into<Arc<str>>) -> Client {
        let provider_hooks = self.state.provider_hooks;
        Client {
            inner: self.inner.clone(),
            state: Arc::new(ClientState::new(
                provider_hooks,
                ClientMetadata {
                    domain: Some(domain.into()),
                },
            )),
            tracking: self.tracking.clone(),
        }
    }

    /// The client's metadata.
    pub fn metadata(&self) -> &ClientMetadata {
        &self.state.metadata
    }

    /// Adds a hook run on every evaluation of this client (and its clones), after the API's
    /// hooks and before invocation hooks.
    pub fn add_hook(&self, hook: impl Hook) {
        self.add_shared_hook(Arc::new(hook));
    }

    /// Adds a shared hook; see [`Client::add_hook`].
    pub fn add_shared_hook(&self, hook: Arc<dyn Hook>) {
        self.state.change(|state| {
            state.hooks.rcu(|hooks| {
                let mut next = Vec::clone(hooks);
                next.push(hook.clone());
                next
            });
        });
    }

    /// Removes the client's hooks.
    pub fn clear_hooks(&self) {
        self.state
            .change(|state| state.hooks.store(Arc::new(Vec::new())));
    }

    /// Sets the client's evaluation context: above the API and transaction contexts, below the
    /// invocation's. An empty context unsets it.
    pub fn set_context(&self, context: Context) {
        let context = (!context.is_empty()).then(|| Arc::new(context));
        self.state.change(|state| state.context.store(context));
    }

    /// The client's evaluation context (empty when unset).
    pub fn context(&self) -> Context {
        self.state
            .context
            .load()
            .as_deref()
            .cloned()
            .unwrap_or_default()
    }

    /// `true` when no hook and no context other than the invocation's can apply: the
    /// evaluation then takes the plain path. Two relaxed loads.
    #[inline(always)]
    fn plain(&self) -> bool {
        crate::api::ACTIVE.load(Ordering::Relaxed) == 0
            && !self.state.active.load(Ordering::Relaxed)
    }

    /// Runs `f` on the current configuration, loaded once.
    #[inline]
    fn with_view<R>(&self, f: impl FnOnce(View<'_>) -> R) -> R {
        match &*self.inner {
            Backend::InProcess(provider) => provider.with_view(|view| f(View::Provider(view))),
            #[cfg(feature = "http")]
            Backend::Remote(provider) => provider.with_view(|view| f(View::Provider(view))),
            Backend::Provider(provider) => {
                let mut f = Some(f);
                let mut out = None;
                provider.read(&mut |view| {
                    if let Some(f) = f.take() {
                        out = Some(f(View::Provider(view)));
                    }
                });
                match (out, f) {
                    (Some(out), _) => out,
                    // The provider did not call back: every read answers GENERAL.
                    (None, Some(f)) => f(View::Provider(crate::provider::View::of(&view::Silent))),
                    (None, None) => unreachable!("`f` runs at most once and its result is kept"),
                }
            }
        }
    }

    /// The flag's value for `ctx`, or the key's default when it cannot be evaluated.
    #[inline]
    pub fn value<T: FlagValue>(&self, key: impl Borrow<FlagKey<T>>, ctx: &Context) -> T {
        let key = key.borrow();
        if Fixed::may_be::<T>() {
            // A static `bool`, `i64` or `f64` flag read as its own type, without hooks or
            // contexts but the invocation's: answered from the value the key's slot caches for
            // the snapshot served (a few loads, inlined into the caller); anything else out of
            // line, behind this check.
            if let Backend::InProcess(provider) = &*self.inner
                && let Some(slot) = key.slot()
                && let Some(value) = provider.fixed(slot).exact::<T>()
                && self.plain()
            {
                return value;
            }
            return self.read_value(key, ctx);
        }
        // Other types (decided when `T` is compiled): the read inlined, without that check.
        if self.plain() {
            self.with_view(|view| view.value(key, ctx))
        } else {
            self.hooked_value(key, ctx)
        }
    }

    /// [`Client::value`] through the provider's view.
    #[inline(never)]
    fn read_value<T: FlagValue>(&self, key: &FlagKey<T>, ctx: &Context) -> T {
        if self.plain() {
            self.with_view(|view| view.value(key, ctx))
        } else {
            self.hooked_value(key, ctx)
        }
    }

    #[cold]
    #[inline(never)]
    fn hooked_value<T: FlagValue>(&self, key: &FlagKey<T>, ctx: &Context) -> T {
        if self.has_hooks() {
            return self.details_with(key, ctx, &NO_OPTIONS).value;
        }
        // Contexts only: merge them and read as usual.
        let merged = self.merged_context(ctx);
        self.with_view(|view| view.value(key, &merged))
    }

    /// `true` when hooks are registered on the API, this client or its provider.
    fn has_hooks(&self) -> bool {
        crate::api::ACTIVE.load(Ordering::Relaxed) & crate::api::HOOKS_BIT != 0
            || !self.state.hooks.load().is_empty()
            || self.state.provider_hooks
    }

    /// The flag's value for `ctx` with variant, reason, error and metadata.
    #[inline]
    pub fn details<T: FlagValue>(
        &self,
        key: impl Borrow<FlagKey<T>>,
        ctx: &Context,
    ) -> EvaluationDetails<T> {
        if self.plain() {
            if let Backend::InProcess(provider) = &*self.inner {
                let key = key.borrow();
                // A static flag without metadata, read before from this configuration: built
                // from its key's slot, here, without the snapshot.
                if let Some(slot) = key.slot()
                    && let Some(answer) = provider.answer(slot)
                    && answer.has_details()
                    && let Some(Ok(value)) = answer.read_for(key)
                {
                    return EvaluationDetails {
                        flag_key: key.flag_key(),
                        value,
                        variant: answer.variant(),
                        reason: if answer.stale() {
                            Reason::Stale
                        } else {
                            Reason::Static
                        },
                        error: None,
                        flag_metadata: FlagMetadata::empty(),
                    };
                }
                return provider.details(key, ctx);
            }
            self.with_view(|view| view.details(key.borrow(), ctx))
        } else {
            self.details_with(key, ctx, &NO_OPTIONS)
        }
    }

    /// [`Client::value`] with invocation hooks and hook hints.
    pub fn value_with<T: FlagValue>(
        &self,
        key: impl Borrow<FlagKey<T>>,
        ctx: &Context,
        options: &EvaluationOptions,
    ) -> T {
        self.details_with(key, ctx, options).value
    }

    /// [`Client::details`] with invocation hooks and hook hints.
    pub fn details_with<T: FlagValue>(
        &self,
        key: impl Borrow<FlagKey<T>>,
        ctx: &Context,
        options: &EvaluationOptions,
    ) -> EvaluationDetails<T> {
        let merged = self.merged_context(ctx);
        self.with_view(|view| self.evaluate_hooked(view, key.borrow(), &merged, options))
    }

    /// [`Client::details`] as a future, for async code (OpenFeature 1.4.12). A per-evaluation
    /// remote provider asks its service here, with the context the `before` hooks leave, and
    /// answers within its deadline, retries included (else the caller's default with
    /// `GENERAL`); in bulk mode and in process nothing is waited for.
    pub async fn details_async<T: FlagValue>(
        &self,
        key: impl Borrow<FlagKey<T>>,
        ctx: &Context,
    ) -> EvaluationDetails<T> {
        if let Some(provider) = self.fetching() {
            let key = key.borrow();
            let planned = self.plan_one(key, ctx).fetch(provider).await;
            return self.finish_one(planned, key);
        }
        self.details(key, ctx)
    }

    /// [`Client::value`] as a future; see [`Client::details_async`].
    pub async fn value_async<T: FlagValue>(
        &self,
        key: impl Borrow<FlagKey<T>>,
        ctx: &Context,
    ) -> T {
        self.details_async(key, ctx).await.value
    }

    /// [`Client::flags`] as a future: over a per-evaluation remote provider, every field's
    /// flag is asked for concurrently (identical requests share one call), all within one
    /// deadline; otherwise it is [`Client::flags`].
    pub async fn flags_async<S: Flags>(&self, ctx: &Context) -> S {
        if let Some(provider) = self.fetching() {
            let planned = self.plan_flags::<S>(ctx).fetch(provider).await;
            let merged = self.merged_context_owned(ctx);
            return self.finish_flags(planned, &merged);
        }
        self.flags(ctx)
    }

    pub(crate) fn merged_context_owned(&self, ctx: &Context) -> Context {
        self.merged_context(ctx).into_owned()
    }

    /// The provider, when it asks a service for each evaluation.
    pub(crate) fn fetching(&self) -> Option<&dyn Provider> {
        match &*self.inner {
            #[cfg(feature = "http")]
            Backend::Remote(provider) if provider.fetches() => Some(provider),
            Backend::Provider(provider) if provider.fetches() => Some(&**provider),
            _ => None,
        }
    }

    /// The provider's name, as hooks see it.
    pub(crate) fn provider_name(&self) -> &str {
        self.inner.events().provider_name()
    }

    /// Evaluates `S` against `view` in `ctx`, hooks left to the view.
    pub(crate) fn evaluate_in<S: Flags>(view: View<'_>, ctx: &Context) -> S {
        S::evaluate(&Evaluation::new(view, ctx, None))
    }

    /// Every flag of a `#[derive(Flags)]` struct, all from one configuration version.
    #[inline]
    pub fn flags<S: Flags>(&self, ctx: &Context) -> S {
        // Every field from its key's slot, all cached for the configuration served now: nothing
        // else is read, and the struct is built in the caller's frame.
        if let Backend::InProcess(provider) = &*self.inner
            && self.plain()
        {
            let slots = SlotReads {
                generation: provider.version(),
            };
            return S::read_slots(&slots, || self.read_flags(ctx));
        }
        self.read_flags(ctx)
    }

    /// [`Client::flags`] through the provider's view.
    #[inline(never)]
    fn read_flags<S: Flags>(&self, ctx: &Context) -> S {
        if self.plain() {
            return self.with_view(|view| S::evaluate(&Evaluation::new(view, ctx, None)));
        }
        // Contexts merged once for every field; hooks, if any, run per field.
        let merged = self.merged_context(ctx);
        let client = self.has_hooks().then_some(self);
        self.with_view(|view| S::evaluate(&Evaluation::new(view, &merged, client)))
    }

    /// One evaluation with hooks, against `view`; `merged` is the merged context (API,
    /// transaction, client, invocation).
    #[inline(never)]
    fn evaluate_hooked<T: FlagValue>(
        &self,
        view: View<'_>,
        key: &FlagKey<T>,
        merged: &Context,
        options: &EvaluationOptions,
    ) -> EvaluationDetails<T> {
        let hooks = self.hooks_for(options);
        if hooks.is_empty() {
            return view.details(key, merged);
        }
        crate::hooks::run(
            hooks,
            &crate::hooks::Invocation {
                key,
                context: merged,
                hints: &options.hints,
                client: &self.state.metadata,
                provider: self.inner.events().provider_name(),
            },
            |context| view.details_dyn(key, context, true),
        )
    }

    /// The hooks of one evaluation, in `before` order: API, client, invocation, provider.
    pub(crate) fn hooks_for(&self, options: &EvaluationOptions) -> Vec<Arc<dyn Hook>> {
        let api_hooks = if crate::api::ACTIVE.load(Ordering::Relaxed) & crate::api::HOOKS_BIT != 0 {
            Some(crate::api::hooks())
        } else {
            None
        };
        let client_hooks = self.state.hooks.load();
        let api_hooks = api_hooks.as_deref().map_or(&[][..], Vec::as_slice);
        api_hooks
            .iter()
            .chain(client_hooks.iter())
            .chain(options.hooks.iter())
            .chain(self.inner.hooks().iter())
            .chain(self.tracking.as_ref().and_then(|t| t.hook()))
            .cloned()
            .collect()
    }

    /// The context an evaluation sees before `before` hooks: API, transaction, client and
    /// invocation contexts, lowest precedence first. Borrows `ctx` when no other level is set.
    fn merged_context<'c>(&self, ctx: &'c Context) -> std::borrow::Cow<'c, Context> {
        let levels = [
            crate::api::context(),
            crate::api::transaction_context(),
            self.state.context.load_full(),
        ];
        if levels.iter().all(Option::is_none) {
            return std::borrow::Cow::Borrowed(ctx);
        }
        let mut merged = Context::default();
        for level in levels.iter().flatten() {
            merged.merge_from(level);
        }
        merged.merge_from(ctx);
        std::borrow::Cow::Owned(merged)
    }

    /// Reloads the configuration from the source. On failure the client keeps serving the
    /// last good configuration and the error says what was wrong. A source polled in the
    /// background (HTTP) is fetched now, and this waits for the outcome (at most the source's
    /// timeout, or a remote bulk provider's deadline, after which the fetch still lands when
    /// it arrives); from an event handler of this client, it returns at once and the fetch
    /// follows.
    pub fn refresh(&self) -> Result<(), Error> {
        self.inner.provider().refresh()
    }

    /// The configuration this client serves, as a document its source accepts back as its
    /// bootstrap (`.bootstrap(..)`): the document as the source delivered it, or, for a Flipt
    /// namespace ([`source::flipt`](crate::source::flipt()), or any source read with
    /// [`Format::Flipt`](crate::Format::Flipt) and a namespace), the snapshot Flipt's client
    /// engine exports (snake_case JSON; in standard base64 with padding, it is what Flipt's
    /// client SDKs take as their `snapshot` option). Persist it, ship it with a deployment, or
    /// start another process from it while the service is unreachable. While a source with
    /// [`ErrorStrategy::Fail`](crate::source::ErrorStrategy::Fail) fails, the last good one.
    ///
    /// ```
    /// use flags_runtime::{Client, Context, FlagKey, source};
    /// let text = r#"{"flags": {"beta": {"state": "ENABLED", "variants": {"on": true, "off": false},
    ///     "defaultVariant": "on"}}}"#;
    /// let client = Client::builder().in_process(source::json(text)).build()?;
    /// let copy = Client::builder()
    ///     .in_process(source::file("/nonexistent/flags.json").bootstrap(client.snapshot()?))
    ///     .build()?;
    /// assert!(copy.value(&FlagKey::<bool>::new("beta", false), &Context::anonymous()));
    /// # Ok::<(), flags_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::NotReady`] before the first configuration, [`Error::ShutDown`] after shutdown,
    /// [`Error::Unsupported`] for a provider that evaluates remotely or holds no document (a
    /// test client, a provider of your own that does not implement
    /// [`Provider::snapshot`](crate::provider::Provider::snapshot)).
    pub fn snapshot(&self) -> Result<String, Error> {
        self.inner.provider().snapshot()
    }

    /// Changes the context of a bulk-mode remote provider ([`remote::Ofrep::bulk`](crate::remote::Ofrep::bulk)):
    /// the service evaluates every flag for `context` (a request without `If-None-Match`,
    /// since the held `ETag` belongs to the previous context), and this waits for that
    /// evaluation, at most the provider's deadline (by default its timeout, retries included).
    /// Meanwhile reads answer from the previous
    /// evaluation; the provider reports `RECONCILING`, then `PROVIDER_CONTEXT_CHANGED` (with
    /// the keys whose evaluation differs) and `READY`, or `PROVIDER_ERROR` if the fetch fails
    /// (later polls retry it). After a timeout the evaluation still lands when it arrives.
    /// From an event handler of this client, it returns at once and the fetch follows.
    /// Blocks the calling thread: in async code use [`Client::set_bulk_context_async`].
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] for any other provider; [`Error::Fetch`] when the evaluation
    /// failed or did not arrive in time; [`Error::ShutDown`] after shutdown.
    pub fn set_bulk_context(&self, context: Context) -> Result<(), Error> {
        self.inner.provider().set_context(context)
    }

    /// [`Client::set_bulk_context`] as a future (any executor).
    ///
    /// # Errors
    ///
    /// As [`Client::set_bulk_context`].
    pub async fn set_bulk_context_async(&self, context: Context) -> Result<(), Error> {
        self.inner.provider().set_context_async(context).await
    }

    /// Waits until the provider's first attempt at its source has settled, at most
    /// `timeout`: `Ok` when the provider then serves what its source gave (`READY`, or
    /// `STALE`: its refreshes have failed since), else [`Error::NotReady`] with its
    /// status and the reason (reads meanwhile answer from the bootstrap or persisted
    /// configuration, if any, else the caller's defaults). Sources read in `build()` are
    /// settled already. Blocks the calling thread: not for use inside an async runtime.
    pub fn wait_ready(&self, timeout: std::time::Duration) -> Result<(), Error> {
        self.inner.provider().wait_ready(timeout)
    }

    /// The provider's status. A test client is ready until shut down.
    pub fn status(&self) -> ProviderStatus {
        self.inner.events().status()
    }

    /// Shuts the provider down (OpenFeature 2.5): its background work stops and it reports
    /// `NOT_READY`. Every clone of the client shares the provider. With exporters, the event
    /// pipeline makes a last attempt at what is queued first, waiting at most its
    /// [shutdown timeout](crate::tracking::EventOptions::shutdown_timeout); events tracked
    /// afterwards are dropped.
    pub fn shutdown(&self) {
        if let Some(tracking) = &self.tracking {
            tracking.shutdown();
        }
        self.inner.provider().shutdown();
    }

    /// Records that `name` happened for `ctx` (OpenFeature tracking), with an optional
    /// numeric value and fields, for the client's exporters. Returns at once: the event is
    /// queued (and, with an [event log](ClientBuilder::event_log), written to it) and sent by
    /// the pipeline's thread. Never blocks on the network, never panics; without an exporter
    /// that takes tracking events it does nothing. The context is merged with the API,
    /// transaction and client contexts, as an evaluation's is.
    ///
    /// ```
    /// use flags_runtime::{Client, Context, TrackingDetails, source};
    /// # use flags_runtime::tracking::{Event, ExportError, Exporter};
    /// # struct Recorder;
    /// # impl Exporter for Recorder {
    /// #     fn name(&self) -> &str { "recorder" }
    /// #     fn export(&mut self, _: &[Event]) -> Result<(), ExportError> { Ok(()) }
    /// # }
    /// let client = Client::builder()
    ///     .in_process(source::json(r#"{"flags": {}}"#))
    ///     .events(Recorder)
    ///     .build()?;
    /// let ctx = Context::new("user-1");
    /// client.track("checkout-completed", &ctx, TrackingDetails::value(42.0).with("currency", "EUR"));
    /// client.shutdown(); // a bounded flush
    /// assert_eq!(client.event_stats().map(|s| s.exported), Some(1));
    /// # Ok::<(), flags_runtime::Error>(())
    /// ```
    pub fn track(&self, name: &str, ctx: &Context, details: crate::tracking::TrackingDetails) {
        let Some(tracking) = &self.tracking else {
            return;
        };
        if !tracking.wants_tracking() {
            return;
        }
        // Without API, transaction or client context, the caller's is the merged one (and the
        // three context loads are skipped).
        let merged = if self.plain() {
            ctx.clone()
        } else {
            self.merged_context(ctx).into_owned()
        };
        tracking.track(name, merged, details);
    }

    /// Sends every queued event now and waits, at most `timeout`, until each queue had one
    /// attempt; `true` when that happened in time (a failed attempt counts: its events stay
    /// queued), `false` too without exporters.
    pub fn flush_events(&self, timeout: std::time::Duration) -> bool {
        self.tracking.as_ref().is_some_and(|t| t.flush(timeout))
    }

    /// Syncs the [event log](ClientBuilder::event_log) to disk (`fsync`) before returning:
    /// every event tracked before the call then survives a power cut. `false` without a log.
    pub fn sync_event_log(&self) -> bool {
        self.tracking.as_ref().is_some_and(|t| t.sync_log())
    }

    /// What the event pipeline did so far; `None` without exporters.
    pub fn event_stats(&self) -> Option<crate::tracking::EventStats> {
        self.tracking.as_ref().map(|t| t.stats())
    }

    /// Runs `handler` on every `event` of this client's provider; when the provider is already
    /// in the state the event leads to (for example READY), the handler also runs at once.
    pub fn on(
        &self,
        event: ProviderEvent,
        handler: impl Fn(&EventDetails) + Send + Sync + 'static,
    ) -> HandlerId {
        self.inner.events().add_handler(event, Arc::new(handler))
    }

    /// Removes a handler added with [`Client::on`]; `false` when it was not registered.
    pub fn remove_handler(&self, id: HandlerId) -> bool {
        self.inner.events().remove_handler(id)
    }

    /// What the remote fallback of the client's in-process source did so far (see
    /// [`GoFeatureFlagSource::remote_fallback`](crate::source::GoFeatureFlagSource::remote_fallback)):
    /// reads of flags the engine cannot compile, those answered remotely, requests sent,
    /// failed and over the rate limit. `None` without a remote fallback.
    #[cfg(feature = "http")]
    pub fn remote_fallback_stats(&self) -> Option<crate::remote::FallbackStats> {
        match &*self.inner {
            Backend::InProcess(provider) => provider.fallback_stats(),
            _ => None,
        }
    }

    /// The number of flags in the current configuration (set flags, for a test client).
    pub fn flag_count(&self) -> usize {
        self.inner.provider().flag_count()
    }
}

/// A struct of flags, evaluated together by [`Client::flags`]. Implemented by
/// `#[derive(Flags)]`; implementing it by hand is possible but forgoes the compile-time checks.
pub trait Flags: Sized {
    /// Reads every field from one configuration.
    fn evaluate(evaluation: &Evaluation<'_>) -> Self;

    /// Reads every field from what its key's slot caches for one configuration, if every slot
    /// has its field's value; `None` sends the read through [`Flags::evaluate`]. Generated by
    /// `#[derive(Flags)]`: a struct of static flags is then read without its snapshot.
    #[doc(hidden)]
    fn from_slots(slots: &SlotReads) -> Option<Self> {
        let _ = slots;
        None
    }

    /// [`Flags::from_slots`], else `otherwise`.
    #[doc(hidden)]
    #[inline(always)]
    fn read_slots(slots: &SlotReads, otherwise: impl FnOnce() -> Self) -> Self {
        Self::from_slots(slots).unwrap_or_else(otherwise)
    }
}

/// The struct of static flags a thread read last, with its configuration's generation: what
/// [`SlotReads::memoized`] copies. `#[derive(Flags)]` declares one per struct as a
/// `thread_local!`.
#[doc(hidden)] // generated code names it through `__private`
pub struct SlotMemo<S> {
    generation: std::cell::Cell<u64>,
    last: std::cell::RefCell<Option<S>>,
}

impl<S> SlotMemo<S> {
    /// Empty: the first read on a thread builds its struct.
    #[allow(clippy::new_without_default)] // a `const fn` for `thread_local!`
    pub const fn new() -> SlotMemo<S> {
        SlotMemo {
            generation: std::cell::Cell::new(0),
            last: std::cell::RefCell::new(None),
        }
    }
}

/// The key slots of one configuration, read by [`Flags::from_slots`].
#[doc(hidden)] // generated code names it through `__private`
#[derive(Debug)]
pub struct SlotReads {
    generation: u64,
}

impl SlotReads {
    /// `build`'s struct, or a copy of the one this thread built last for the same
    /// configuration, else `otherwise`'s. A struct read from slots depends on nothing but the
    /// configuration (generations are unique in the process, so the generation alone names
    /// it): the second read of a configuration on a thread is a comparison and a copy. `memo`
    /// holds one struct per type and thread, replaced when the thread builds one for another
    /// configuration, dropped with the thread.
    #[inline(always)]
    pub fn memoized<S: 'static>(
        &self,
        memo: &'static std::thread::LocalKey<SlotMemo<S>>,
        build: impl FnOnce(&SlotReads) -> Option<S>,
        copy: fn(&S) -> S,
        otherwise: impl FnOnce() -> S,
    ) -> S {
        let generation = self.generation;
        let hit = memo.try_with(|memo| {
            if memo.generation.get() == generation
                && let Ok(last) = memo.last.try_borrow()
                && let Some(flags) = &*last
            {
                return Some(copy(flags));
            }
            None
        });
        if let Ok(Some(flags)) = hit {
            return flags;
        }
        match self.memoize(memo, build, copy) {
            Some(flags) => flags,
            None => otherwise(),
        }
    }

    #[inline(never)]
    fn memoize<S: 'static>(
        &self,
        memo: &'static std::thread::LocalKey<SlotMemo<S>>,
        build: impl FnOnce(&SlotReads) -> Option<S>,
        copy: fn(&S) -> S,
    ) -> Option<S> {
        let flags = build(self)?;
        // A thread that is exiting, or a `Clone` of a field that reads this struct again,
        // gets its struct without keeping it.
        let _ = memo.try_with(|memo| {
            if let Ok(mut last) = memo.last.try_borrow_mut() {
                *last = Some(copy(&flags));
                memo.generation.set(self.generation);
            }
        });
        Some(flags)
    }

    /// The value `key`'s slot caches for this configuration: a static flag's, read before.
    #[inline(always)]
    pub fn value<T: FlagValue>(&self, key: &FlagKey<T>) -> Option<T> {
        let slot = key.slot()?;
        if Fixed::may_be::<T>() {
            return slot.fixed(self.generation).exact::<T>();
        }
        slot.value_answer(self.generation)?.read_for(key)?.ok()
    }
}

/// One configuration version and one context, shared by the fields of a [`Flags`] struct.
pub struct Evaluation<'a> {
    view: View<'a>,
    ctx: &'a Context,
    /// Set when hooks or contexts apply: each field then runs them.
    client: Option<&'a Client>,
    /// The generation of the in-process snapshot read, when fields read it plainly (no hooks):
    /// a field whose key's slot caches a fixed scalar for it answers from the slot, without
    /// going through the view. 0 (no snapshot's) otherwise.
    fixed_generation: u64,
}

impl<'a> Evaluation<'a> {
    fn new(view: View<'a>, ctx: &'a Context, client: Option<&'a Client>) -> Evaluation<'a> {
        let fixed_generation = match (client, view) {
            (None, View::Provider(view)) => view.snapshot_generation(),
            _ => 0,
        };
        Evaluation {
            view,
            ctx,
            client,
            fixed_generation,
        }
    }
}

impl Evaluation<'_> {
    /// The flag's value, or the key's default.
    #[inline]
    pub fn value<T: FlagValue>(&self, key: &FlagKey<T>) -> T {
        if self.fixed_generation != 0
            && let Some(slot) = key.slot()
        {
            if Fixed::may_be::<T>() {
                if let Some(value) = slot.fixed(self.fixed_generation).exact::<T>() {
                    return value;
                }
            } else if let Some(answer) = slot.value_answer(self.fixed_generation)
                // Another type a static value reads as (`u32`, `f32`, `Option<bool>`, an enum
                // of a string flag): through serde.
                && let Some(read) = answer.read_for(key)
            {
                return read.unwrap_or_else(|_| key.default_value());
            }
        }
        self.read(key)
    }

    /// [`Evaluation::value`] through the view.
    #[inline(never)]
    fn read<T: FlagValue>(&self, key: &FlagKey<T>) -> T {
        match self.client {
            None => self.view.value(key, self.ctx),
            Some(client) => {
                client
                    .evaluate_hooked(self.view, key, self.ctx, &NO_OPTIONS)
                    .value
            }
        }
    }

    /// The flag's value with details.
    pub fn details<T: FlagValue>(&self, key: &FlagKey<T>) -> EvaluationDetails<T> {
        match self.client {
            None => self.view.details(key, self.ctx),
            Some(client) => client.evaluate_hooked(self.view, key, self.ctx, &NO_OPTIONS),
        }
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

impl InMemory {
    /// A client evaluating these flags. Each call makes a new client (with hooks and context
    /// of its own) on this provider.
    pub fn client(&self) -> Client {
        Client::from_backend(Backend::Provider(Arc::new(self.clone())))
    }
}
