//! The rollout bucket: `murmur3(String(attribute), seed)` mapped to [0, 100), or a random one
//! for a context without the attribute (the data plane's behaviour: not sticky).

use std::cell::Cell;
use std::hash::BuildHasher as _;

use super::eval::Attr;
use super::{MissingRolloutKey, Split};
use crate::engine::murmur3::murmur3;

/// `ceil(2^32 / 100)`: the hash's quotient by 100 divided by this is the bucket's fraction.
const QUOTIENT_RANGE: f64 = 42_949_673.0;

/// Whether a matching rule's rollout keeps the context.
pub(super) enum Bucket {
    In { split: bool },
    Out,
}

/// The rollout's verdict for the attribute it buckets by (`None`: missing).
#[inline]
pub(super) fn bucket_of(
    attr: Option<Attr<'_>>,
    split: &Split,
    missing: MissingRolloutKey,
) -> Bucket {
    // A list or a map is no key, whatever the percentage.
    if attr.is_some_and(|a| !a.is_null() && !a.is_scalar()) {
        return Bucket::Out;
    }
    let Split::Part { percentage, seed } = split else {
        return Bucket::In { split: false };
    };
    let bucket = match attr.and_then(Attr::text) {
        Some(text) => bucket(murmur3(&[text.as_str().as_bytes()], *seed)),
        None => match missing {
            MissingRolloutKey::RandomBucket => random_bucket(),
            MissingRolloutKey::NotInRollout => return Bucket::Out,
        },
    };
    if bucket < *percentage {
        Bucket::In { split: true }
    } else {
        Bucket::Out
    }
}

/// `(h % 100) + floor(h / 100) / ceil(2^32 / 100)`: in [0, 100).
#[inline]
pub(super) fn bucket(hash: u32) -> f64 {
    f64::from(hash % 100) + f64::from(hash / 100) / QUOTIENT_RANGE
}

/// A uniform bucket in [0, 100) from a per-thread xorshift generator seeded by the standard
/// library's per-process random keys.
fn random_bucket() -> f64 {
    thread_local! {
        static STATE: Cell<u64> = const { Cell::new(0) };
    }
    STATE
        .try_with(|state| {
            let mut x = state.get();
            if x == 0 {
                x = std::collections::hash_map::RandomState::new().hash_one(0x5eed_u64) | 1;
            }
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            state.set(x);
            (x >> 11) as f64 / (1u64 << 53) as f64 * 100.0
        })
        // During thread teardown: any bucket is one the data plane could draw.
        .unwrap_or(50.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_stay_below_100() {
        assert_eq!(bucket(0), 0.0);
        assert!(bucket(u32::MAX) < 100.0);
        assert!(bucket(99) >= 99.0);
        for _ in 0..1000 {
            let b = random_bucket();
            assert!((0.0..100.0).contains(&b), "{b}");
        }
    }
}
