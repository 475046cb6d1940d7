//! Per-thread copies of what providers publish (a snapshot, a bulk evaluation), so that a read
//! costs a thread-local access and one atomic load, where `arc-swap`'s `load` registers and
//! clears a debt per read, and no reference count is touched (an `Arc` clone per read would
//! have every thread write one cache line).
//!
//! Memory bound: each thread keeps at most [`PER_THREAD`] values (4), one per provider, each a
//! reference to what the provider published (an `Arc` of a snapshot or of a bulk evaluation;
//! a slot itself is 24 bytes). A thread holds on to its copy of an older version until it reads
//! that provider again, or until reads of four other providers push it out, or until the
//! thread ends: in the worst case a process keeps, beside the current configuration, one older
//! configuration per thread that read it and has not read it since (a client dropped included).
//! Nothing grows with the number of reads, swaps or clients. `tests` below drives it past the
//! bound.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::LocalKey;

/// How many providers' values a thread keeps; more clients than this in one thread still
/// work, through `arc-swap` on a miss. The cache's memory bound (see the module's docs).
pub(crate) const PER_THREAD: usize = 4;

/// Per thread: `(provider id, version, value)`, most recently used last. A thread keeps its
/// last copy of a provider's value until it reads that provider again (or the thread ends).
pub(crate) type Slots<C> = RefCell<Vec<(usize, u64, C)>>;

/// A process-unique provider id for [`with_cached`].
pub(crate) fn next_id() -> usize {
    static IDS: AtomicUsize = AtomicUsize::new(0);
    IDS.fetch_add(1, Ordering::Relaxed)
}

/// Runs `f` on this thread's copy of provider `id`'s value, first replacing it with `load()`
/// when the copy is older than `version`. `f` runs while the thread's slots are borrowed; a
/// read from within `f`, or one while the thread ends, hands `f` to `otherwise`, which runs it
/// on a value the caller loads itself.
///
/// `f`'s result is returned as it is, not through an `Option` or a `Result`: a large one (the
/// details of an evaluation) is then built where the caller wants it, not copied out.
#[inline]
pub(crate) fn with_cached<C, R, F: FnOnce(&C) -> R>(
    slots: &'static LocalKey<Slots<C>>,
    id: usize,
    version: u64,
    load: impl FnOnce() -> C,
    f: F,
    otherwise: impl FnOnce(F) -> R,
) -> R {
    let mut pending = Some((f, otherwise));
    // The closure returns `R` itself (a `Result` around it adds no tag when `R` has a niche):
    // wrapped in an `Option`, it would be copied out.
    let read = slots.try_with(|cell| {
        let Some((f, otherwise)) = pending.take() else {
            unreachable!("`try_with` runs its closure at most once")
        };
        let Ok(mut cache) = cell.try_borrow_mut() else {
            return otherwise(f);
        };
        let index = match cache.iter().position(|(i, ..)| *i == id) {
            Some(i) if cache[i].1 == version => i,
            found => {
                if let Some(i) = found {
                    cache.remove(i);
                } else if cache.len() == PER_THREAD {
                    cache.remove(0);
                }
                cache.push((id, version, load()));
                cache.len() - 1
            }
        };
        match cache.get(index) {
            Some((_, _, value)) => f(value),
            None => {
                drop(cache);
                otherwise(f)
            }
        }
    });
    match read {
        Ok(out) => out,
        // The thread is ending: its slots are gone, and the closure did not run.
        Err(_) => match pending.take() {
            Some((f, otherwise)) => otherwise(f),
            None => unreachable!("`try_with` failed without running its closure"),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::sync::{Arc, Weak};

    use super::{PER_THREAD, Slots, with_cached};

    thread_local! {
        static VALUES: Slots<Arc<u64>> = const { RefCell::new(Vec::new()) };
    }

    fn read(id: usize, version: u64, value: &Arc<u64>) -> u64 {
        with_cached(
            &VALUES,
            id,
            version,
            || value.clone(),
            |v: &Arc<u64>| **v,
            |_| panic!("the cache was busy"),
        )
    }

    fn slots() -> usize {
        VALUES.with(|cell| cell.borrow().len())
    }

    /// Ten times more providers than slots, each with many versions: the thread keeps at most
    /// `PER_THREAD` values, and every value it lets go is released (its count back to one).
    #[test]
    fn a_thread_keeps_at_most_per_thread_values_and_releases_the_others() {
        let providers = 10 * PER_THREAD;
        let ids: Vec<usize> = (0..providers).map(|_| super::next_id()).collect();
        let mut published: Vec<Arc<u64>> = (0..providers as u64).map(Arc::new).collect();
        let mut every: Vec<Weak<u64>> = published.iter().map(Arc::downgrade).collect();
        for round in 0..50u64 {
            for (i, id) in ids.iter().enumerate() {
                // Every other round, the provider publishes a new version.
                if round % 2 == 1 {
                    published[i] = Arc::new(round * 1000 + i as u64);
                    every.push(Arc::downgrade(&published[i]));
                }
                let version = round / 2;
                assert_eq!(read(*id, version, &published[i]), *published[i]);
                assert!(slots() <= PER_THREAD);
            }
            let held = published
                .iter()
                .filter(|v| Arc::strong_count(v) > 1)
                .count();
            assert_eq!(held, PER_THREAD, "round {round}: values held by the cache");
            let live = every.iter().filter(|v| v.strong_count() > 0).count();
            assert_eq!(live, providers, "round {round}: no older value is kept");
        }
        // A new version of a cached provider replaces its old value at the next read.
        let last = *ids.last().unwrap();
        let old = published.last().unwrap().clone();
        let new = Arc::new(7);
        assert_eq!(read(last, 1000, &new), 7);
        assert_eq!(Arc::strong_count(&new), 2);
        assert_eq!(
            Arc::strong_count(&old),
            2,
            "only `published` and `old` hold it"
        );
        assert_eq!(slots(), PER_THREAD);
    }

    /// A read from within a read finds the cache busy and is handed back its function, which
    /// neither grows nor clears the cache.
    #[test]
    fn a_nested_read_is_handed_back() {
        let (outer, inner) = (super::next_id(), super::next_id());
        let value = Arc::new(1);
        let nested = with_cached(
            &VALUES,
            outer,
            0,
            || value.clone(),
            |_| {
                with_cached(
                    &VALUES,
                    inner,
                    0,
                    || value.clone(),
                    |_: &Arc<u64>| "cached",
                    |f| {
                        // Handed back: run it on a value loaded here.
                        assert_eq!(f(&Arc::new(2)), "cached");
                        "handed back"
                    },
                )
            },
            |_| panic!("the outer read finds the cache free"),
        );
        assert_eq!(nested, "handed back");
        assert_eq!(slots(), 1);
    }
}
