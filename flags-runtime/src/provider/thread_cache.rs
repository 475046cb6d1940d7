//! Per-thread copies of what providers publish (a snapshot, a bulk evaluation), so that a read
//! costs a thread-local access and one atomic load, where `arc-swap`'s `load` registers and
//! clears a debt per read, and no reference count is touched (an `Arc` clone per read would
//! have every thread write one cache line).

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::LocalKey;

/// How many providers' values a thread keeps; more clients than this in one thread still
/// work, through `arc-swap` on a miss.
const PER_THREAD: usize = 4;

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
/// read from within `f`, or one while the thread ends, gets `f` back (`Err`) to run on a value
/// the caller loads itself.
#[inline]
pub(crate) fn with_cached<C, R, F: FnOnce(&C) -> R>(
    slots: &'static LocalKey<Slots<C>>,
    id: usize,
    version: u64,
    load: impl FnOnce() -> C,
    f: F,
) -> Result<R, F> {
    let mut pending = Some(f);
    let mut out = None;
    let _ = slots.try_with(|cell| {
        let Ok(mut cache) = cell.try_borrow_mut() else {
            return;
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
        if let (Some(f), Some((_, _, value))) = (pending.take(), cache.get(index)) {
            out = Some(f(value));
        }
    });
    match (out, pending) {
        (Some(out), _) => Ok(out),
        (None, Some(f)) => Err(f),
        // `f` is taken only together with setting `out`.
        (None, None) => unreachable!("the cached reader ran without a result"),
    }
}
