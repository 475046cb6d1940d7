//! Where the cache reads the time. The providers use the system clock (read coarsely, see
//! `RemoteCache::tick`); tests inject a [`ManualClock`], so that they never sleep.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Where the cache reads the time (injected in tests, so that they never sleep).
pub(crate) trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> Instant;
}

#[cfg_attr(not(test), allow(dead_code))] // used by tests; the providers use the rest
/// A clock that moves only when told to.
#[derive(Debug)]
pub(crate) struct ManualClock {
    start: Instant,
    elapsed_nanos: AtomicU64,
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock {
            start: Instant::now(),
            elapsed_nanos: AtomicU64::new(0),
        }
    }
}

#[cfg_attr(not(test), allow(dead_code))] // used by tests; the providers use the rest
impl ManualClock {
    /// Moves the clock forward.
    pub(crate) fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.elapsed_nanos.fetch_add(nanos, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.start + Duration::from_nanos(self.elapsed_nanos.load(Ordering::SeqCst))
    }
}
