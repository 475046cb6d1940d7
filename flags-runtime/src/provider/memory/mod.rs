//! The in-memory provider (OpenFeature Appendix A): flags given in code, with variants, a
//! default variant and an optional function of the context choosing the variant.
//!
//! `flag.rs` holds the flags and how a version of them answers; this file the provider.

mod flag;

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::events::{EventDetails, Events, ProviderEvent, ProviderStatus};
use crate::hooks::Hook;

use super::seam::Provider;
use super::view::{Kind, View};
use flag::FlagMap;
pub use flag::InMemoryFlag;
pub(crate) use flag::MemoryView;

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

impl Provider for InMemory {
    fn events(&self) -> &Events {
        &self.shared.events
    }

    fn read(&self, read: &mut dyn FnMut(View<'_>)) {
        let flags = self.shared.flags.load();
        read(View(Kind::Memory(MemoryView {
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
