//! The global API state (OpenFeature's "API" object): hooks, context and event handlers that
//! apply to every client, and the transaction context of the current thread or task.
//!
//! Nothing here costs anything on the evaluation path while it is unused: a client checks one
//! relaxed atomic word of this module, and its own, before taking the plain fast path.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, Weak};
use std::task::{Context as TaskContext, Poll};

use arc_swap::{ArcSwap, ArcSwapOption};

use crate::context::Context;
use crate::details::ErrorCode;
use crate::events::{EventDetails, Events, Handler, HandlerId, ProviderEvent, ProviderStatus};
use crate::hooks::Hook;

/// Bit 0: API hooks are registered; bit 1: an API context is set; from bit 2 up: the number of
/// transaction scopes open in the process. Zero means none of the machinery is in use.
/// A live client's provider, as the API sees it: for late handlers and [`Api::shutdown`].
pub(crate) trait Registered: Send + Sync {
    /// The provider's status and handlers.
    fn events(&self) -> &Events;
    /// Shuts the provider down.
    fn shutdown(&self);
}

pub(crate) static ACTIVE: AtomicUsize = AtomicUsize::new(0);

pub(crate) const HOOKS_BIT: usize = 1;
const CONTEXT_BIT: usize = 2;
const TRANSACTION_UNIT: usize = 4;

struct ApiState {
    hooks: ArcSwap<Vec<Arc<dyn Hook>>>,
    context: ArcSwapOption<Context>,
    handlers: Mutex<Vec<(HandlerId, ProviderEvent, Handler)>>,
    next_id: AtomicU64,
    /// The providers of the live clients, for late handlers and [`Api::shutdown`].
    providers: Mutex<Vec<Weak<dyn Registered>>>,
    /// Serialises changes of hooks and context, so that `ACTIVE` reflects the last one.
    changing: Mutex<()>,
}

static STATE: LazyLock<ApiState> = LazyLock::new(|| ApiState {
    hooks: ArcSwap::from_pointee(Vec::new()),
    context: ArcSwapOption::empty(),
    handlers: Mutex::new(Vec::new()),
    next_id: AtomicU64::new(1 << 48),
    providers: Mutex::new(Vec::new()),
    changing: Mutex::new(()),
});

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The global API: hooks, evaluation context and event handlers shared by every [`Client`]
/// of the process. Get it with [`api()`].
///
/// ```
/// use flags_runtime::{Context, FlagKey, InMemory, InMemoryFlag, api};
/// let flags = InMemory::new([("eu-banner", InMemoryFlag::new([("on", true), ("off", false)])
///     .default_variant("off")
///     .context_evaluator(|ctx| (ctx.get("region").and_then(|v| v.as_str()) == Some("eu"))
///         .then(|| "on".to_owned())))]);
/// let client = flags.client();
/// let banner = FlagKey::<bool>::new("eu-banner", false);
/// assert!(!client.value(&banner, &Context::new("user-1")));
///
/// // The API context is merged under the invocation context of every evaluation.
/// api().set_context(Context::anonymous().with("region", "eu"));
/// assert!(client.value(&banner, &Context::new("user-1")));
/// api().shutdown(); // providers shut down, API state back to empty
/// ```
///
/// [`Client`]: crate::Client
#[derive(Debug, Clone, Copy)]
pub struct Api {
    _private: (),
}

/// The global API state.
pub fn api() -> &'static Api {
    static API: Api = Api { _private: () };
    &API
}

impl Api {
    /// Adds a hook that runs on every evaluation of every client, first among `before` hooks
    /// and last among the others.
    pub fn add_hook(&self, hook: impl Hook) {
        self.add_shared_hook(Arc::new(hook));
    }

    /// Adds a shared hook.
    pub fn add_shared_hook(&self, hook: Arc<dyn Hook>) {
        let _changing = lock(&STATE.changing);
        STATE.hooks.rcu(|hooks| {
            let mut next = Vec::clone(hooks);
            next.push(hook.clone());
            next
        });
        ACTIVE.fetch_or(HOOKS_BIT, Ordering::Relaxed);
    }

    /// Removes every API hook.
    pub fn clear_hooks(&self) {
        let _changing = lock(&STATE.changing);
        STATE.hooks.store(Arc::new(Vec::new()));
        ACTIVE.fetch_and(!HOOKS_BIT, Ordering::Relaxed);
    }

    /// Sets the global evaluation context, the lowest in precedence; an empty context unsets it.
    pub fn set_context(&self, context: Context) {
        let _changing = lock(&STATE.changing);
        if context.is_empty() {
            STATE.context.store(None);
            ACTIVE.fetch_and(!CONTEXT_BIT, Ordering::Relaxed);
        } else {
            STATE.context.store(Some(Arc::new(context)));
            ACTIVE.fetch_or(CONTEXT_BIT, Ordering::Relaxed);
        }
    }

    /// The global evaluation context (empty when unset).
    pub fn context(&self) -> Context {
        STATE.context.load().as_deref().cloned().unwrap_or_default()
    }

    /// Runs `handler` on every `event` of every provider. A handler added while a provider is
    /// already in the state the event leads to (READY, STALE, ERROR) runs at once for it.
    pub fn on(
        &self,
        event: ProviderEvent,
        handler: impl Fn(&EventDetails) + Send + Sync + 'static,
    ) -> HandlerId {
        let handler: Handler = Arc::new(handler);
        let id = HandlerId::from_raw(STATE.next_id.fetch_add(1, Ordering::Relaxed));
        lock(&STATE.handlers).push((id, event, handler.clone()));
        for backend in live_providers() {
            let events = backend.events();
            if let Some(details) = late_details(event, events) {
                crate::events::run_isolated(&handler, &details);
            }
        }
        id
    }

    /// Removes a handler added with [`Api::on`]; `false` when it was not registered.
    pub fn remove_handler(&self, id: HandlerId) -> bool {
        let mut handlers = lock(&STATE.handlers);
        let before = handlers.len();
        handlers.retain(|(h, ..)| *h != id);
        handlers.len() != before
    }

    /// Shuts down the provider of every live client, then resets the API state: hooks,
    /// context and handlers (OpenFeature 1.6.1, 1.6.2). Clients stay usable; their providers
    /// report `NOT_READY`.
    pub fn shutdown(&self) {
        for backend in live_providers() {
            backend.shutdown();
        }
        self.clear_hooks();
        self.set_context(Context::default());
        lock(&STATE.handlers).clear();
    }
}

/// The details a handler added late gets, if the provider is already in the state `event`
/// leads to; `READY` and `STALE` carry the warnings of the configuration served.
pub(crate) fn late_details(event: ProviderEvent, events: &Events) -> Option<EventDetails> {
    let code = match (event, events.status()) {
        (ProviderEvent::Ready, ProviderStatus::Ready)
        | (ProviderEvent::Stale, ProviderStatus::Stale)
        | (ProviderEvent::Error, ProviderStatus::Error) => None,
        (ProviderEvent::Error, ProviderStatus::Fatal) => Some(ErrorCode::ProviderFatal),
        _ => return None,
    };
    let mut details = EventDetails::new(event, events.provider_name());
    details.error_code = code;
    if matches!(event, ProviderEvent::Ready | ProviderEvent::Stale) {
        details.warnings = events.warnings();
    }
    Some(details)
}

/// Records a client's provider, for API-level late handlers and shutdown.
pub(crate) fn register(provider: Weak<dyn Registered>) {
    let mut providers = lock(&STATE.providers);
    providers.retain(|p| p.strong_count() > 0);
    providers.push(provider);
}

fn live_providers() -> Vec<Arc<dyn Registered>> {
    lock(&STATE.providers)
        .iter()
        .filter_map(Weak::upgrade)
        .collect()
}

/// Runs the API handlers of `details.event`, each isolated from the others.
pub(crate) fn run_handlers(details: &EventDetails) {
    let handlers: Vec<Handler> = lock(&STATE.handlers)
        .iter()
        .filter(|(_, event, _)| *event == details.event)
        .map(|(_, _, handler)| handler.clone())
        .collect();
    for handler in handlers {
        crate::events::run_isolated(&handler, details);
    }
}

/// The API hooks.
pub(crate) fn hooks() -> Arc<Vec<Arc<dyn Hook>>> {
    STATE.hooks.load_full()
}

/// The API context, if set.
pub(crate) fn context() -> Option<Arc<Context>> {
    STATE.context.load_full()
}

thread_local! {
    static TRANSACTION: RefCell<Option<Arc<Context>>> = const { RefCell::new(None) };
}

/// The transaction context of the current thread (or of the task, inside
/// [`with_transaction_context_async`]), if any.
pub fn transaction_context() -> Option<Arc<Context>> {
    TRANSACTION.try_with(|t| t.borrow().clone()).ok().flatten()
}

/// Puts back the transaction context that was current before a scope, even on panic.
struct Restore(Option<Arc<Context>>);

impl Drop for Restore {
    fn drop(&mut self) {
        let previous = self.0.take();
        let _ = TRANSACTION.try_with(|t| *t.borrow_mut() = previous);
        ACTIVE.fetch_sub(TRANSACTION_UNIT, Ordering::Relaxed);
    }
}

fn enter(context: Arc<Context>) -> Restore {
    ACTIVE.fetch_add(TRANSACTION_UNIT, Ordering::Relaxed);
    let previous = TRANSACTION
        .try_with(|t| t.borrow_mut().replace(context))
        .ok()
        .flatten();
    Restore(previous)
}

/// Runs `f` with `context` as the transaction context (OpenFeature 3.3): every evaluation
/// made inside, on this thread, merges it above the API context and below the client's.
///
/// ```
/// use flags_runtime::{Context, with_transaction_context, transaction_context};
/// let request = Context::anonymous().with("request-id", "r-42");
/// with_transaction_context(request, || {
///     let current = transaction_context().unwrap();
///     assert_eq!(current.get("request-id").and_then(|v| v.as_str()), Some("r-42"));
/// });
/// assert!(transaction_context().is_none());
/// ```
pub fn with_transaction_context<R>(context: Context, f: impl FnOnce() -> R) -> R {
    let _restore = enter(Arc::new(context));
    f()
}

/// Runs `future` with `context` as the transaction context of every poll: the async form of
/// [`with_transaction_context`], for tasks that move between threads.
pub fn with_transaction_context_async<F: Future>(
    context: Context,
    future: F,
) -> TransactionScope<F> {
    ACTIVE.fetch_add(TRANSACTION_UNIT, Ordering::Relaxed);
    TransactionScope {
        context: Arc::new(context),
        future: Box::pin(future),
    }
}

/// A future running with a transaction context; see [`with_transaction_context_async`].
#[must_use = "futures do nothing unless polled"]
pub struct TransactionScope<F> {
    context: Arc<Context>,
    future: Pin<Box<F>>,
}

impl<F> std::fmt::Debug for TransactionScope<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransactionScope")
            .field("context", &self.context)
            .finish_non_exhaustive()
    }
}

impl<F: Future> Future for TransactionScope<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let context = self.context.clone();
        let _restore = enter(context);
        // `enter` counted one more scope; the scope itself is counted from creation to drop.
        ACTIVE.fetch_sub(TRANSACTION_UNIT, Ordering::Relaxed);
        let poll = self.future.as_mut().poll(cx);
        ACTIVE.fetch_add(TRANSACTION_UNIT, Ordering::Relaxed);
        poll
    }
}

impl<F> Drop for TransactionScope<F> {
    fn drop(&mut self) {
        ACTIVE.fetch_sub(TRANSACTION_UNIT, Ordering::Relaxed);
    }
}
