//! Flipt's bucketing: CRC-32 (IEEE) of two strings one after the other, and the cumulative
//! buckets of a rule's distributions.

/// The CRC-32 (IEEE 802.3, reflected, polynomial `0xEDB88320`) lookup table.
const TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

/// CRC-32 (IEEE) of `first` followed by `second`, without joining them.
#[inline]
pub(super) fn crc32(first: &str, second: &str) -> u32 {
    !update(update(!0, first.as_bytes()), second.as_bytes())
}

/// One slice at a time: a chained iterator costs twice the instructions per byte.
#[inline]
fn update(mut crc: u32, bytes: &[u8]) -> u32 {
    for &byte in bytes {
        crc = TABLE[((crc ^ u32::from(byte)) & 0xFF) as usize] ^ (crc >> 8);
    }
    crc
}

/// The cumulative buckets (out of 1,000) of distributions with these positive rollouts, as
/// Flipt's engine computes them in 32-bit floats: each rollout scaled to its share of 100 of
/// their total, the running sum times 10 rounded half away from zero, the last forced to
/// 1,000 so that every entity lands somewhere.
pub(super) fn buckets(rollouts: &[f32]) -> Box<[i32]> {
    let total: f32 = rollouts.iter().fold(0.0, |sum, r| sum + r);
    let mut cumulative = 0.0f32;
    let mut buckets: Box<[i32]> = rollouts
        .iter()
        .map(|rollout| {
            cumulative += (rollout / total) * 100.0;
            // `as` saturates, and maps NaN (an infinite rollout) to 0, as Flipt's engine does.
            (cumulative * 10.0).round() as i32
        })
        .collect();
    if let Some(last) = buckets.last_mut() {
        *last = 1000;
    }
    buckets
}

/// The distribution a bucket (0..1000) falls in: the first cumulative bucket at least
/// `bucket + 1`, found as Flipt's engine finds it, by the standard library's binary search
/// (where boundaries repeat, the entry that search lands on).
#[inline]
pub(super) fn pick(buckets: &[i32], bucket: u32) -> usize {
    let target = bucket as i32 + 1;
    match buckets.binary_search(&target) {
        Ok(index) | Err(index) => index,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_ieee_vectors() {
        assert_eq!(crc32("", ""), 0);
        assert_eq!(crc32("123456789", ""), 0xCBF4_3926);
        assert_eq!(crc32("1234", "56789"), 0xCBF4_3926);
        assert_eq!(
            crc32("The quick brown fox jumps over the lazy dog", ""),
            0x414F_A339
        );
        // The vectors of Flipt's own tests: flag `foo`, entities `1` and `2`.
        assert_eq!(crc32("foo", "1") % 1000, 244);
        assert_eq!(crc32("foo", "2") % 1000, 934);
    }

    #[test]
    fn buckets_cover_a_thousand_and_scale_to_their_total() {
        assert_eq!(&*buckets(&[50.0, 50.0]), [500, 1000]);
        assert_eq!(&*buckets(&[33.34, 33.33, 33.33]), [333, 667, 1000]);
        // Below and above 100: scaled.
        assert_eq!(&*buckets(&[25.0, 25.0]), [500, 1000]);
        assert_eq!(&*buckets(&[100.0, 100.0, 200.0]), [250, 500, 1000]);
        // A share too small for a bucket repeats a boundary.
        assert_eq!(&*buckets(&[0.01, 99.99]), [0, 1000]);
        assert_eq!(pick(&[0, 1000], 0), 1);
        assert_eq!(pick(&[500, 1000], 499), 0);
        assert_eq!(pick(&[500, 1000], 500), 1);
        assert_eq!(pick(&[500, 1000], 999), 1);
    }
}
