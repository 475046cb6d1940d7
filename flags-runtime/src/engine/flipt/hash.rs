//! Flipt's bucketing: CRC-32 (IEEE) of a flag key and an entity id one after the other, and
//! the cumulative buckets of a rule's distributions.

use crate::crc32::{update, zeros};

/// A flag key's part of the two CRCs Flipt buckets by, computed once: the CRC of the key
/// followed by an entity id (variant flags) continues from the register after the key; the
/// CRC of an entity id followed by the key (boolean thresholds) adds the key's part to the
/// entity's register moved past as many zero bytes (the CRC's register is linear in the
/// bytes and the starting register).
#[derive(Debug, Clone, Copy)]
pub(super) struct KeyCrc {
    /// The register after `!0` and the key.
    prefix: u32,
    /// The register after 0 and the key.
    suffix: u32,
    /// The key's length in bytes.
    len: usize,
}

impl KeyCrc {
    pub(super) fn new(key: &str) -> KeyCrc {
        KeyCrc {
            prefix: update(!0, key.as_bytes()),
            suffix: update(0, key.as_bytes()),
            len: key.len(),
        }
    }

    /// CRC-32 (IEEE) of the key followed by `entity`.
    #[inline]
    pub(super) fn key_first(&self, entity: &str) -> u32 {
        !update(self.prefix, entity.as_bytes())
    }

    /// CRC-32 (IEEE) of `entity` followed by the key.
    #[inline]
    pub(super) fn key_last(&self, entity: &str) -> u32 {
        !(zeros(update(!0, entity.as_bytes()), self.len) ^ self.suffix)
    }
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

    /// CRC-32 (IEEE) bit by bit, the straightforward way.
    fn bitwise(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &byte in bytes {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn crc32_ieee_vectors() {
        assert_eq!(bitwise(b"123456789"), 0xCBF4_3926);
        assert_eq!(KeyCrc::new("").key_first(""), 0);
        assert_eq!(KeyCrc::new("").key_last(""), 0);
        assert_eq!(KeyCrc::new("123456789").key_first(""), 0xCBF4_3926);
        assert_eq!(KeyCrc::new("1234").key_first("56789"), 0xCBF4_3926);
        assert_eq!(KeyCrc::new("56789").key_last("1234"), 0xCBF4_3926);
        assert_eq!(
            KeyCrc::new("").key_last("The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
        // The vectors of Flipt's own tests: flag `foo`, entities `1` and `2`.
        assert_eq!(KeyCrc::new("foo").key_first("1") % 1000, 244);
        assert_eq!(KeyCrc::new("foo").key_first("2") % 1000, 934);
    }

    #[test]
    fn both_orders_agree_with_the_bitwise_crc_of_the_joined_strings() {
        // Every length of key and entity up to three words, over varied bytes (UTF-8 too).
        let text: String = "user-ÿ0123456789abcdefghijklmnopqrstuvwxyz-é-ü-€-\u{10348}"
            .chars()
            .cycle()
            .take(40)
            .collect();
        let cuts: Vec<usize> = (0..=text.len())
            .filter(|&i| text.is_char_boundary(i))
            .collect();
        for &k in &cuts {
            let key = &text[..k];
            let crc = KeyCrc::new(key);
            for &start in cuts.iter().filter(|&&start| text.len() - start <= 30) {
                let entity = &text[start..];
                let first = format!("{key}{entity}");
                let last = format!("{entity}{key}");
                assert_eq!(
                    crc.key_first(entity),
                    bitwise(first.as_bytes()),
                    "{first:?}"
                );
                assert_eq!(crc.key_last(entity), bitwise(last.as_bytes()), "{last:?}");
            }
        }
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
