//! The in-process provider: evaluates locally from a compiled snapshot.

use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::engine::{Decoders, Snapshot};
use crate::error::Error;
use crate::source::Source;

/// Holds the current snapshot; swapped whole when a new configuration compiles.
pub(crate) struct InProcess {
    source: Box<dyn Source>,
    decoders: Arc<Decoders>,
    snapshot: ArcSwap<Snapshot>,
}

impl InProcess {
    /// Loads and compiles the source's configuration.
    pub(crate) fn start(source: Box<dyn Source>) -> Result<InProcess, Error> {
        let decoders = Arc::new(Decoders::default());
        let snapshot = load(&*source, &decoders)?;
        Ok(InProcess {
            source,
            decoders,
            snapshot: ArcSwap::from_pointee(snapshot),
        })
    }

    /// The current snapshot. Lock-free.
    #[inline]
    pub(crate) fn snapshot(&self) -> arc_swap::Guard<Arc<Snapshot>> {
        self.snapshot.load()
    }

    /// Reloads the source; on failure the current snapshot stays.
    pub(crate) fn refresh(&self) -> Result<(), Error> {
        let snapshot = load(&*self.source, &self.decoders)?;
        self.snapshot.store(Arc::new(snapshot));
        Ok(())
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
    Snapshot::compile(&manifest, decoders).map_err(|error| Error::Compile {
        origin: source.describe(),
        error: Box::new(error),
    })
}
