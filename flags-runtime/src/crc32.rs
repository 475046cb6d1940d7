//! CRC-32 (IEEE 802.3, the checksum of zip and Ethernet), slice-by-8: Flipt's bucketing
//! (`engine/flipt/hash.rs`) and the frames of the event log (`tracking/log.rs`). A leaf: it
//! imports nothing of the crate.

/// Slice-by-8 tables of CRC-32 (IEEE 802.3, reflected, polynomial `0xEDB88320`):
/// `TABLES[k][b]` is the register after byte `b` followed by `k` zero bytes, from 0.
static TABLES: [[u32; 256]; 8] = {
    let mut tables = [[0u32; 256]; 8];
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
        tables[0][i] = crc;
        i += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            let previous = tables[k - 1][i];
            tables[k][i] = (previous >> 8) ^ tables[0][(previous & 0xFF) as usize];
            i += 1;
        }
        k += 1;
    }
    tables
};

/// The register after `bytes`, eight at a time.
#[inline]
pub(crate) fn update(mut crc: u32, bytes: &[u8]) -> u32 {
    let t = &TABLES;
    let (words, rest) = bytes.as_chunks::<8>();
    for word in words {
        let x = u64::from_le_bytes(*word) ^ u64::from(crc);
        crc = t[7][(x & 0xFF) as usize]
            ^ t[6][((x >> 8) & 0xFF) as usize]
            ^ t[5][((x >> 16) & 0xFF) as usize]
            ^ t[4][((x >> 24) & 0xFF) as usize]
            ^ t[3][((x >> 32) & 0xFF) as usize]
            ^ t[2][((x >> 40) & 0xFF) as usize]
            ^ t[1][((x >> 48) & 0xFF) as usize]
            ^ t[0][(x >> 56) as usize];
    }
    for &byte in rest {
        crc = t[0][((crc ^ u32::from(byte)) & 0xFF) as usize] ^ (crc >> 8);
    }
    crc
}

/// The register after `n` zero bytes: each byte of the register looked up once per eight.
#[inline]
pub(crate) fn zeros(mut crc: u32, mut n: usize) -> u32 {
    let t = &TABLES;
    let byte = |crc: u32, i: u32| ((crc >> (8 * i)) & 0xFF) as usize;
    while n >= 8 {
        crc = t[7][byte(crc, 0)] ^ t[6][byte(crc, 1)] ^ t[5][byte(crc, 2)] ^ t[4][byte(crc, 3)];
        n -= 8;
    }
    if n >= 4 {
        // Four to seven zero bytes: the register's four bytes are all shifted out.
        crc = t[n - 1][byte(crc, 0)]
            ^ t[n - 2][byte(crc, 1)]
            ^ t[n - 3][byte(crc, 2)]
            ^ t[n - 4][byte(crc, 3)];
    } else {
        for _ in 0..n {
            crc = t[0][byte(crc, 0)] ^ (crc >> 8);
        }
    }
    crc
}

/// CRC-32 (IEEE) of `bytes`.
pub(crate) fn checksum(bytes: &[u8]) -> u32 {
    !update(!0, bytes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_answers() {
        assert_eq!(super::checksum(b""), 0);
        assert_eq!(super::checksum(b"123456789"), 0xCBF4_3926);
        assert_eq!(
            super::checksum(b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
    }
}
