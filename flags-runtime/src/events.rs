//! Provider status and events (OpenFeature specification §5).
//!
//! A provider reports what happens to it (ready, error, stale, configuration changed) through
//! its [`Events`]; the status is updated before any handler runs, and a handler added while
//! the provider is already in the state it listens for runs at once.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::details::ErrorCode;

/// Something in a configuration that loaded but is probably not what was meant: a malformed
/// operator call in a targeting rule (which evaluates to null, as in flagd), an unknown operator
/// or a `$ref` to no evaluator (that flag answers `PARSE_ERROR`; the others serve), a flag
/// whose variants or metadata flagd tolerates. Carried by the `READY` and
/// `CONFIGURATION_CHANGED` events ([`EventDetails::warnings`]) and logged (`tracing`, target
/// `flags`) when the configuration loads; `flags check` reports the same as a lint.
pub use flags_schema::Warning as LoadWarning;
pub use flags_schema::WarningKind;

/// The status of a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProviderStatus {
    /// Not initialised yet, or shut down: reads answer `PROVIDER_NOT_READY`.
    NotReady,
    /// Serving a current configuration.
    Ready,
    /// Serving a configuration that may be out of date (the source is failing).
    Stale,
    /// In error; reads go on with the last good configuration, if any.
    Error,
    /// Failed for good (for example, credentials refused): reads answer `PROVIDER_FATAL`.
    Fatal,
    /// Re-evaluating for a new static context (bulk mode); reads go on with the evaluation
    /// of the previous context until the new one arrives.
    Reconciling,
}

impl ProviderStatus {
    /// The OpenFeature name: `NOT_READY`, `READY`, `STALE`, `ERROR`, `FATAL`, `RECONCILING`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderStatus::NotReady => "NOT_READY",
            ProviderStatus::Ready => "READY",
            ProviderStatus::Stale => "STALE",
            ProviderStatus::Error => "ERROR",
            ProviderStatus::Fatal => "FATAL",
            ProviderStatus::Reconciling => "RECONCILING",
        }
    }

    fn to_u8(self) -> u8 {
        match self {
            ProviderStatus::NotReady => 0,
            ProviderStatus::Ready => 1,
            ProviderStatus::Stale => 2,
            ProviderStatus::Error => 3,
            ProviderStatus::Fatal => 4,
            ProviderStatus::Reconciling => 5,
        }
    }

    fn from_u8(n: u8) -> ProviderStatus {
        match n {
            1 => ProviderStatus::Ready,
            2 => ProviderStatus::Stale,
            3 => ProviderStatus::Error,
            4 => ProviderStatus::Fatal,
            5 => ProviderStatus::Reconciling,
            _ => ProviderStatus::NotReady,
        }
    }
}

impl fmt::Display for ProviderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kinds of provider event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProviderEvent {
    /// The provider is ready to serve (after initialisation, or on recovery).
    Ready,
    /// The provider failed; with `PROVIDER_FATAL` as error code it will not recover.
    Error,
    /// The provider's configuration may be out of date.
    Stale,
    /// The configuration changed; [`EventDetails::flags_changed`] lists the keys.
    ConfigurationChanged,
    /// The provider started re-evaluating for a new static context (bulk mode).
    Reconciling,
    /// The evaluation for a new static context arrived (bulk mode);
    /// [`EventDetails::flags_changed`] lists the keys whose evaluation differs.
    ContextChanged,
}

impl ProviderEvent {
    /// The OpenFeature name: `PROVIDER_READY`, `PROVIDER_ERROR`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderEvent::Ready => "PROVIDER_READY",
            ProviderEvent::Error => "PROVIDER_ERROR",
            ProviderEvent::Stale => "PROVIDER_STALE",
            ProviderEvent::ConfigurationChanged => "PROVIDER_CONFIGURATION_CHANGED",
            ProviderEvent::Reconciling => "PROVIDER_RECONCILING",
            ProviderEvent::ContextChanged => "PROVIDER_CONTEXT_CHANGED",
        }
    }
}

/// What a handler receives.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct EventDetails {
    /// The event.
    pub event: ProviderEvent,
    /// The provider's name.
    pub provider_name: String,
    /// The keys of the flags that changed (added, removed or modified), in key order.
    pub flags_changed: Vec<String>,
    /// What happened, for people.
    pub message: Option<String>,
    /// The error code of an error event.
    pub error_code: Option<ErrorCode>,
    /// What the configuration just loaded has that is probably not what was meant, flag by
    /// flag (events that report a configuration: `READY`, `CONFIGURATION_CHANGED`, and `STALE`
    /// when a persisted copy is served); empty otherwise.
    pub warnings: Vec<LoadWarning>,
}

impl EventDetails {
    /// Details of `event` from the provider `provider_name`, without changed flags, message or
    /// error code.
    pub fn new(event: ProviderEvent, provider_name: impl Into<String>) -> EventDetails {
        EventDetails {
            event,
            provider_name: provider_name.into(),
            flags_changed: Vec::new(),
            message: None,
            error_code: None,
            warnings: Vec::new(),
        }
    }

    /// With the keys of the flags that changed.
    #[must_use]
    pub fn with_flags_changed(mut self, keys: Vec<String>) -> EventDetails {
        self.flags_changed = keys;
        self
    }

    /// With a message.
    #[must_use]
    pub fn with_message(mut self, message: impl Into<String>) -> EventDetails {
        self.message = Some(message.into());
        self
    }

    /// With an error code.
    #[must_use]
    pub fn with_error_code(mut self, code: ErrorCode) -> EventDetails {
        self.error_code = Some(code);
        self
    }

    /// With the warnings of the configuration it reports.
    #[must_use]
    pub fn with_warnings(mut self, warnings: Vec<LoadWarning>) -> EventDetails {
        self.warnings = warnings;
        self
    }
}

/// An event handler.
pub type Handler = Arc<dyn Fn(&EventDetails) + Send + Sync>;

/// Identifies a registered handler, to remove it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HandlerId(u64);

impl HandlerId {
    pub(crate) fn from_raw(id: u64) -> HandlerId {
        HandlerId(id)
    }
}

/// One provider's status and event handlers: a [`Provider`](crate::provider::Provider) owns one,
/// moves its status and emits its events through it; clients register their handlers on it.
pub struct Events {
    provider_name: String,
    status: AtomicU8,
    handlers: Mutex<Vec<(HandlerId, ProviderEvent, Handler)>>,
    next_id: AtomicU64,
    /// The warnings of the configuration served, for handlers added late.
    warnings: Mutex<Vec<LoadWarning>>,
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events")
            .field("provider_name", &self.provider_name)
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

impl Events {
    /// The events of the provider named `provider_name`, starting in `status`.
    pub fn new(provider_name: impl Into<String>, status: ProviderStatus) -> Events {
        Events {
            provider_name: provider_name.into(),
            status: AtomicU8::new(status.to_u8()),
            handlers: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
            warnings: Mutex::new(Vec::new()),
        }
    }

    /// The warnings of the configuration served.
    pub fn warnings(&self) -> Vec<LoadWarning> {
        self.warnings
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Records the warnings of the configuration now served (handlers added later see them
    /// in their READY details).
    pub fn set_warnings(&self, warnings: Vec<LoadWarning>) {
        *self
            .warnings
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = warnings;
    }

    /// The provider's name.
    pub fn provider_name(&self) -> &str {
        &self.provider_name
    }

    /// The provider's status.
    pub fn status(&self) -> ProviderStatus {
        ProviderStatus::from_u8(self.status.load(Ordering::Acquire))
    }

    /// Sets the status without an event (shutdown returns a provider to `NOT_READY`).
    pub fn set_status(&self, status: ProviderStatus) {
        self.status.store(status.to_u8(), Ordering::Release);
    }

    /// Updates the status the event implies, then runs the handlers of its kind, each isolated:
    /// a panicking handler does not stop the others. Handlers run on the calling thread, outside
    /// any lock.
    pub fn emit(&self, details: EventDetails) {
        let status = match details.event {
            ProviderEvent::Ready => Some(ProviderStatus::Ready),
            ProviderEvent::Stale => Some(ProviderStatus::Stale),
            ProviderEvent::Error if details.error_code == Some(ErrorCode::ProviderFatal) => {
                Some(ProviderStatus::Fatal)
            }
            ProviderEvent::Error => Some(ProviderStatus::Error),
            ProviderEvent::ConfigurationChanged => None,
            ProviderEvent::Reconciling => Some(ProviderStatus::Reconciling),
            ProviderEvent::ContextChanged => Some(ProviderStatus::Ready),
        };
        if let Some(status) = status {
            self.status.store(status.to_u8(), Ordering::Release);
        }
        let handlers: Vec<Handler> = self
            .lock()
            .iter()
            .filter(|(_, event, _)| *event == details.event)
            .map(|(_, _, handler)| handler.clone())
            .collect();
        for handler in handlers {
            run_isolated(&handler, &details);
        }
        crate::api::run_handlers(&details);
    }

    /// Adds a handler for `event`. When the provider is already in the state the event leads
    /// to (READY, STALE, ERROR), the handler runs at once.
    pub(crate) fn add_handler(&self, event: ProviderEvent, handler: Handler) -> HandlerId {
        let id = HandlerId(self.next_id.fetch_add(1, Ordering::Relaxed));
        self.lock().push((id, event, handler.clone()));
        if let Some(details) = crate::api::late_details(event, self) {
            run_isolated(&handler, &details);
        }
        id
    }

    /// Removes a handler; `false` when it was not registered.
    pub(crate) fn remove_handler(&self, id: HandlerId) -> bool {
        let mut handlers = self.lock();
        let before = handlers.len();
        handlers.retain(|(h, ..)| *h != id);
        handlers.len() != before
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(HandlerId, ProviderEvent, Handler)>> {
        self.handlers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

pub(crate) fn run_isolated(handler: &Handler, details: &EventDetails) {
    if catch_unwind(AssertUnwindSafe(|| handler(details))).is_err() {
        tracing::warn!(target: "flags", event = details.event.as_str(), "an event handler panicked");
    }
}
