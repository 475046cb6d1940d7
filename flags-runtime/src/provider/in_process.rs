//! The in-process provider: evaluates locally from a compiled snapshot.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use arc_swap::ArcSwap;

use crate::engine::{Decoders, Snapshot};
use crate::error::Error;
use crate::events::{EventDetails, Events, ProviderEvent, ProviderStatus};
use crate::source::Source;

/// Holds the current snapshot; swapped whole when a new configuration compiles.
pub(crate) struct InProcess {
    source: Box<dyn Source>,
    decoders: Arc<Decoders>,
    snapshot: ArcSwap<Snapshot>,
    /// Unique among the providers of this process, for the per-thread cache.
    id: usize,
    /// Bumped after every swap: a thread whose cached snapshot carries an older version
    /// loads the current one.
    version: AtomicU64,
    /// Status and event handlers.
    events: Arc<Events>,
}

/// How many providers' snapshots a thread keeps; more clients than this in one thread still
/// work, through `arc-swap` on a miss.
const THREAD_CACHE: usize = 4;

thread_local! {
    /// Per thread: `(provider id, version, snapshot)`, most recently used last. Reading through
    /// it costs a thread-local access and one atomic load, where `arc-swap`'s `load` registers
    /// and clears a debt per read. A thread keeps its last snapshot of a provider until it reads
    /// that provider again (or the thread ends): at most `THREAD_CACHE` snapshots per thread.
    static SNAPSHOTS: RefCell<Vec<(usize, u64, Arc<Snapshot>)>> = const { RefCell::new(Vec::new()) };
}

impl InProcess {
    /// Loads and compiles the source's configuration.
    pub(crate) fn start(source: Box<dyn Source>) -> Result<InProcess, Error> {
        let decoders = Arc::new(Decoders::default());
        let snapshot = load(&*source, &decoders)?;
        static IDS: AtomicUsize = AtomicUsize::new(0);
        Ok(InProcess {
            source,
            decoders,
            snapshot: ArcSwap::from_pointee(snapshot),
            id: IDS.fetch_add(1, Ordering::Relaxed),
            version: AtomicU64::new(0),
            events: Arc::new(Events::new("in-process", ProviderStatus::Ready)),
        })
    }

    /// The current snapshot. Lock-free.
    #[inline]
    pub(crate) fn snapshot(&self) -> arc_swap::Guard<Arc<Snapshot>> {
        self.snapshot.load()
    }

    /// Runs `f` on the current snapshot, through this thread's cache when it can. `f` runs
    /// while the cache is borrowed, so that no reference count is touched (an `Arc` clone per
    /// read would have every thread write one cache line); a read from within `f` finds the
    /// cache busy and goes through `arc-swap`.
    #[inline]
    pub(crate) fn with_snapshot<R>(&self, f: impl FnOnce(&Snapshot) -> R) -> R {
        let version = self.version.load(Ordering::Acquire);
        let mut pending = Some(f);
        let mut out = None;
        let _ = SNAPSHOTS.try_with(|cell| {
            let Ok(mut cache) = cell.try_borrow_mut() else {
                return;
            };
            let index = match cache.iter().position(|(id, ..)| *id == self.id) {
                Some(i) if cache[i].1 == version => i,
                found => {
                    if let Some(i) = found {
                        cache.remove(i);
                    } else if cache.len() == THREAD_CACHE {
                        cache.remove(0);
                    }
                    cache.push((self.id, version, self.snapshot.load_full()));
                    cache.len() - 1
                }
            };
            if let (Some(f), Some((_, _, snapshot))) = (pending.take(), cache.get(index)) {
                out = Some(f(snapshot));
            }
        });
        match (out, pending) {
            (Some(out), _) => out,
            (None, Some(f)) => f(&self.snapshot.load()),
            // `f` is taken only together with setting `out`.
            (None, None) => unreachable!("the snapshot reader ran without a result"),
        }
    }

    /// Reloads the source; on failure the current snapshot stays.
    pub(crate) fn refresh(&self) -> Result<(), Error> {
        let snapshot = match load(&*self.source, &self.decoders) {
            Ok(snapshot) => snapshot,
            Err(error) => {
                self.events.emit(
                    EventDetails::new(ProviderEvent::Error, self.events.provider_name())
                        .with_message(error.to_string())
                        .with_error_code(crate::details::ErrorCode::General),
                );
                return Err(error);
            }
        };
        self.snapshot.store(Arc::new(snapshot));
        self.version.fetch_add(1, Ordering::Release);
        // TODO(sources): the exact changed keys, by content comparison.
        self.events.emit(EventDetails::new(
            ProviderEvent::ConfigurationChanged,
            self.events.provider_name(),
        ));
        Ok(())
    }

    /// The provider's status and event handlers.
    pub(crate) fn events(&self) -> &Arc<Events> {
        &self.events
    }

    pub(crate) fn describe(&self) -> String {
        self.source.describe()
    }
}

fn load(source: &dyn Source, decoders: &Arc<Decoders>) -> Result<Snapshot, Error> {
    let manifest = source.load().map_err(|error| Error::Load {
        origin: source.describe(),
        error: Box::new(error),
    })?;
    Snapshot::compile(
        &manifest,
        decoders,
        &crate::engine::EngineOptions::default(),
    )
    .map_err(|error| Error::Compile {
        origin: source.describe(),
        error: Box::new(error),
    })
}
