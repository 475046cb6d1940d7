//! A global allocator that counts the bytes live in the whole process, for tests that check
//! memory stays flat over a long run. A test binary installs it with
//!
//! ```
//! use flags_test_support::alloc::{LiveBytes, live_bytes};
//!
//! #[global_allocator]
//! static GLOBAL: LiveBytes = LiveBytes;
//!
//! let before = live_bytes();
//! let held = vec![0u8; 4096];
//! assert!(live_bytes() - before >= 4096);
//! drop(held);
//! assert!(live_bytes() - before < 4096);
//! ```
//!
//! and reads [`live_bytes`]. Every thread of the process counts, so such a test is best its
//! own test binary.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI64, Ordering};

/// Forwards to [`System`] and counts the bytes allocated minus the bytes freed.
pub struct LiveBytes;

static LIVE: AtomicI64 = AtomicI64::new(0);

/// Bytes live in the whole process (allocated minus freed since start) when [`LiveBytes`] is
/// the global allocator; 0 otherwise.
pub fn live_bytes() -> i64 {
    LIVE.load(Ordering::Relaxed)
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds `GlobalAlloc`'s
// contract; counting touches only a static atomic, which does not allocate.
unsafe impl GlobalAlloc for LiveBytes {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as i64, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as i64, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
}
