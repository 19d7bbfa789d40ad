//! The checksum of a multipart object, computed from its parts' checksums.
//!
//! - `COMPOSITE`: the checksum of the concatenated raw part checksums, written
//!   `base64-N` (any algorithm).
//! - `FULL_OBJECT`: the CRC of the whole content, obtained by combining the part
//!   CRCs (CRC32, CRC32C and CRC64NVME only), without reading any data.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::stage::checksum_of;
use crate::types::{ChecksumAlgorithm, ChecksumType};

/// The object checksum from `(base64 checksum, size)` of each part, in order;
/// `None` if a part checksum is malformed or `kind` is impossible for `algorithm`.
pub(super) fn multipart_checksum(
    algorithm: ChecksumAlgorithm,
    kind: ChecksumType,
    parts: &[(&str, u64)],
) -> Option<String> {
    match kind {
        ChecksumType::Composite => {
            let mut raw = Vec::new();
            for (value, _) in parts {
                raw.extend(STANDARD.decode(value).ok()?);
            }
            Some(format!("{}-{}", checksum_of(algorithm, &raw), parts.len()))
        }
        ChecksumType::FullObject => {
            let crc = Crc::of(algorithm)?;
            let mut acc: Option<u64> = None;
            for (value, size) in parts {
                let part = crc.decode(value)?;
                acc = Some(match acc {
                    None => part,
                    Some(prev) => crc.combine(prev, part, *size),
                });
            }
            // An upload of no parts never completes, but the CRC of nothing is 0.
            Some(crc.encode(acc.unwrap_or(0)))
        }
    }
}

/// A reflected CRC with all-ones initial value and final xor, as all three are.
struct Crc {
    /// The reflected polynomial.
    poly: u64,
    width: u32,
}

impl Crc {
    fn of(algorithm: ChecksumAlgorithm) -> Option<Self> {
        let (poly, width) = match algorithm {
            ChecksumAlgorithm::Crc32 => (0xEDB8_8320, 32),
            ChecksumAlgorithm::Crc32c => (0x82F6_3B78, 32),
            ChecksumAlgorithm::Crc64Nvme => (0x9A6C_9329_AC4B_C9B5, 64),
            ChecksumAlgorithm::Sha1 | ChecksumAlgorithm::Sha256 => return None,
        };
        Some(Self { poly, width })
    }

    fn bytes(&self) -> usize {
        self.width as usize / 8
    }

    fn decode(&self, value: &str) -> Option<u64> {
        let raw = STANDARD.decode(value).ok()?;
        (raw.len() == self.bytes()).then(|| raw.iter().fold(0u64, |acc, b| acc << 8 | *b as u64))
    }

    fn encode(&self, crc: u64) -> String {
        STANDARD.encode(&crc.to_be_bytes()[8 - self.bytes()..])
    }

    /// The CRC of `A ++ B` from `crc(A)`, `crc(B)` and `len(B)` (zlib's method:
    /// apply `len(B)` zero bytes to `crc(A)` by repeated squaring of the
    /// one-zero-bit operator over GF(2)).
    fn combine(&self, crc_a: u64, crc_b: u64, len_b: u64) -> u64 {
        if len_b == 0 {
            return crc_a;
        }
        let w = self.width as usize;
        // The operator for one zero bit, then two, then four.
        let mut odd = [0u64; 64];
        odd[0] = self.poly;
        for (n, row) in odd.iter_mut().enumerate().take(w).skip(1) {
            *row = 1 << (n - 1);
        }
        let mut even = [0u64; 64];
        square(&mut even, &odd, w);
        square(&mut odd, &even, w);
        let mut crc = crc_a;
        let mut len = len_b;
        loop {
            // Each pass squares the operator: one zero byte, two, four, ...
            square(&mut even, &odd, w);
            if len & 1 == 1 {
                crc = times(&even, crc);
            }
            len >>= 1;
            if len == 0 {
                break;
            }
            square(&mut odd, &even, w);
            if len & 1 == 1 {
                crc = times(&odd, crc);
            }
            len >>= 1;
            if len == 0 {
                break;
            }
        }
        crc ^ crc_b
    }
}

fn times(mat: &[u64; 64], mut vec: u64) -> u64 {
    let mut sum = 0;
    let mut i = 0;
    while vec != 0 {
        if vec & 1 == 1 {
            sum ^= mat[i];
        }
        vec >>= 1;
        i += 1;
    }
    sum
}

fn square(out: &mut [u64; 64], mat: &[u64; 64], width: usize) {
    for n in 0..width {
        out[n] = times(mat, mat[n]);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn data(len: usize, seed: usize) -> Vec<u8> {
        (0..len)
            .map(|i| ((i * 31 + seed * 7) % 251) as u8)
            .collect()
    }

    #[test]
    fn full_object_crc_equals_crc_of_the_whole() {
        for alg in [
            ChecksumAlgorithm::Crc32,
            ChecksumAlgorithm::Crc32c,
            ChecksumAlgorithm::Crc64Nvme,
        ] {
            let parts = [data(1000, 1), data(1, 2), data(0, 3), data(70_000, 4)];
            let whole: Vec<u8> = parts.concat();
            let sums: Vec<String> = parts.iter().map(|p| checksum_of(alg, p)).collect();
            let input: Vec<(&str, u64)> = sums
                .iter()
                .zip(&parts)
                .map(|(s, p)| (s.as_str(), p.len() as u64))
                .collect();
            assert_eq!(
                multipart_checksum(alg, ChecksumType::FullObject, &input).unwrap(),
                checksum_of(alg, &whole),
                "{alg:?}"
            );
        }
    }

    #[test]
    fn composite_is_checksum_of_checksums() {
        let a = checksum_of(ChecksumAlgorithm::Sha256, b"a");
        let b = checksum_of(ChecksumAlgorithm::Sha256, b"b");
        let mut raw = STANDARD.decode(&a).unwrap();
        raw.extend(STANDARD.decode(&b).unwrap());
        let expected = format!("{}-2", checksum_of(ChecksumAlgorithm::Sha256, &raw));
        assert_eq!(
            multipart_checksum(
                ChecksumAlgorithm::Sha256,
                ChecksumType::Composite,
                &[(&a, 1), (&b, 1)]
            )
            .unwrap(),
            expected
        );
    }
}
