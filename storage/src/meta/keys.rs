//! Order-preserving encodings of the metadata row keys.
//!
//! All integers are big-endian so that RocksDB's bytewise order equals numeric
//! order, and object keys keep their raw UTF-8 bytes so that iteration yields S3's
//! binary key order.
//!
//! - `current`:  bucket id (8) ++ key bytes
//! - `versions`: bucket id (8) ++ escape(key) ++ `00 01` ++ !sequence (8)
//! - `uploads`:  bucket id (8) ++ escape(key) ++ `00 01` ++ sequence (8)
//! - `parts`:    upload sequence (8) ++ part number (4)
//!
//! In the version key, each `00` byte of the object key is written as `00 FF` and
//! the key is closed by the terminator `00 01`. Since `01 < FF` and every other
//! byte of an escaped key is non-zero, escaped keys compare exactly like the raw
//! keys, and all versions of one key form one contiguous run, newest first.

/// Length of the bucket id prefix of every object row key.
pub const BUCKET_ID_LEN: usize = 8;

const ESCAPE: u8 = 0x00;
const ESCAPED_ZERO: u8 = 0xFF;
const TERMINATOR: [u8; 2] = [0x00, 0x01];

/// The prefix shared by every `current` and `versions` row of a bucket.
pub fn bucket_prefix(bucket_id: u64) -> [u8; BUCKET_ID_LEN] {
    bucket_id.to_be_bytes()
}

/// The `current` row that closes bucket `bucket_id` to object writes while
/// (and after) it is deleted on a store shared by gateways: the row of the
/// empty object key, which no object can have (see `engine::bucket`).
pub fn bucket_closed_key(bucket_id: u64) -> [u8; BUCKET_ID_LEN] {
    bucket_prefix(bucket_id)
}

/// Whether `raw`, a `current` row key, is a bucket's closing row rather
/// than an object's.
pub fn is_bucket_closed_key(raw: &[u8]) -> bool {
    raw.len() == BUCKET_ID_LEN
}

/// `current` row key of `key` in bucket `bucket_id`.
pub fn current_key(bucket_id: u64, key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(BUCKET_ID_LEN + key.len());
    out.extend_from_slice(&bucket_prefix(bucket_id));
    out.extend_from_slice(key);
    out
}

/// Splits a `current` row key into bucket id and object key bytes.
#[cfg_attr(not(test), allow(dead_code))] // for consistency checks and tooling
pub fn split_current_key(raw: &[u8]) -> Option<(u64, &[u8])> {
    let (id, key) = raw.split_first_chunk::<BUCKET_ID_LEN>()?;
    Some((u64::from_be_bytes(*id), key))
}

/// The prefix shared by all `versions` (or `uploads`) rows of the keys that start
/// with `key_prefix`: escaping maps each byte on its own, so it keeps prefixes.
pub fn escaped_key_prefix(bucket_id: u64, key_prefix: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(BUCKET_ID_LEN + key_prefix.len() + 2 + 8);
    out.extend_from_slice(&bucket_prefix(bucket_id));
    for &b in key_prefix {
        out.push(b);
        if b == ESCAPE {
            out.push(ESCAPED_ZERO);
        }
    }
    out
}

/// The prefix shared by all `versions` rows of one key (and of no other key).
pub fn version_key_prefix(bucket_id: u64, key: &[u8]) -> Vec<u8> {
    let mut out = escaped_key_prefix(bucket_id, key);
    out.extend_from_slice(&TERMINATOR);
    out
}

/// `versions` row key of version `seq` of `key`: higher sequences sort first.
pub fn version_key(bucket_id: u64, key: &[u8], seq: u64) -> Vec<u8> {
    let mut out = version_key_prefix(bucket_id, key);
    out.extend_from_slice(&(!seq).to_be_bytes());
    out
}

/// `uploads` row key of the upload with sequence `seq` to `key`: uploads of one
/// key list oldest first, as ListMultipartUploads orders them.
pub fn upload_key(bucket_id: u64, key: &[u8], seq: u64) -> Vec<u8> {
    let mut out = version_key_prefix(bucket_id, key);
    out.extend_from_slice(&seq.to_be_bytes());
    out
}

/// Splits an `uploads` row key into bucket id, object key bytes and sequence.
pub fn split_upload_key(raw: &[u8]) -> Option<(u64, Vec<u8>, u64)> {
    let (id, key, inv_seq) = split_version_key(raw)?;
    Some((id, key, !inv_seq))
}

/// `parts` row key of part `number` of the upload with sequence `upload_seq`.
pub fn part_key(upload_seq: u64, number: u32) -> [u8; 12] {
    let mut out = [0u8; 12];
    out[..8].copy_from_slice(&upload_seq.to_be_bytes());
    out[8..].copy_from_slice(&number.to_be_bytes());
    out
}

/// Splits a `parts` row key into upload sequence and part number.
pub fn split_part_key(raw: &[u8]) -> Option<(u64, u32)> {
    let (seq, number) = raw.split_first_chunk::<8>()?;
    let number: [u8; 4] = number.try_into().ok()?;
    Some((u64::from_be_bytes(*seq), u32::from_be_bytes(number)))
}

/// Splits a `versions` row key into bucket id, object key bytes and sequence.
#[cfg_attr(not(test), allow(dead_code))] // for ListObjectVersions
pub fn split_version_key(raw: &[u8]) -> Option<(u64, Vec<u8>, u64)> {
    let (id, rest) = raw.split_first_chunk::<BUCKET_ID_LEN>()?;
    let (rest, inv_seq) = rest.split_last_chunk::<8>()?;
    let mut key = Vec::with_capacity(rest.len());
    let mut i = 0;
    loop {
        match rest.get(i..)? {
            [ESCAPE, ESCAPED_ZERO, ..] => {
                key.push(ESCAPE);
                i += 2;
            }
            [ESCAPE, 0x01] => break,
            [ESCAPE, ..] => return None,
            [b, ..] => {
                key.push(*b);
                i += 1;
            }
            [] => return None,
        }
    }
    Some((u64::from_be_bytes(*id), key, !u64::from_be_bytes(*inv_seq)))
}

/// The smallest byte string greater than every string that starts with `prefix`,
/// or `None` if there is none (empty or all `FF`).
pub fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut out = prefix.to_vec();
    while let Some(last) = out.pop() {
        if last < 0xFF {
            out.push(last + 1);
            return Some(out);
        }
    }
    None
}

/// Exclusive upper bound of all object rows of a bucket.
pub fn bucket_upper_bound(bucket_id: u64) -> Option<Vec<u8>> {
    prefix_successor(&bucket_prefix(bucket_id))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key_bytes() -> impl Strategy<Value = Vec<u8>> {
        // Small alphabet with the tricky bytes so collisions of prefixes are common.
        prop::collection::vec(
            prop::sample::select(vec![0x00u8, 0x01, 0x02, b'a', b'b', 0xFE, 0xFF]),
            0..6,
        )
    }

    #[test]
    fn successor() {
        assert_eq!(prefix_successor(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_successor(&[b'a', 0xFF]), Some(b"b".to_vec()));
        assert_eq!(prefix_successor(&[0xFF, 0xFF]), None);
        assert_eq!(prefix_successor(b""), None);
    }

    #[test]
    fn version_key_round_trip_with_zero_bytes() {
        let k = version_key(7, b"a\0b\0", 42);
        assert_eq!(split_version_key(&k), Some((7, b"a\0b\0".to_vec(), 42)));
    }

    proptest! {
        #[test]
        fn current_key_order_is_bucket_then_key_order(
            b1 in 0u64..4, k1 in key_bytes(), b2 in 0u64..4, k2 in key_bytes()
        ) {
            let e1 = current_key(b1, &k1);
            let e2 = current_key(b2, &k2);
            prop_assert_eq!(e1.cmp(&e2), (b1, &k1).cmp(&(b2, &k2)));
            prop_assert_eq!(split_current_key(&e1), Some((b1, k1.as_slice())));
        }

        #[test]
        fn version_key_order_groups_keys_newest_first(
            b1 in 0u64..3, k1 in key_bytes(), s1 in any::<u64>(),
            b2 in 0u64..3, k2 in key_bytes(), s2 in any::<u64>(),
        ) {
            let e1 = version_key(b1, &k1, s1);
            let e2 = version_key(b2, &k2, s2);
            // Bucket, then key in byte order, then sequence descending.
            let expect = (b1, &k1, std::cmp::Reverse(s1)).cmp(&(b2, &k2, std::cmp::Reverse(s2)));
            prop_assert_eq!(e1.cmp(&e2), expect);
            // A key's prefix covers exactly its own versions.
            let p1 = version_key_prefix(b1, &k1);
            prop_assert_eq!(e2.starts_with(&p1), b1 == b2 && k1 == k2);
            prop_assert_eq!(split_version_key(&e1), Some((b1, k1.clone(), s1)));
        }

        #[test]
        fn successor_bounds_the_prefix(p in key_bytes(), k in key_bytes()) {
            if let Some(succ) = prefix_successor(&p) {
                prop_assert!(succ > p);
                if k.starts_with(&p) {
                    prop_assert!(k < succ);
                } else if k > p {
                    prop_assert!(k >= succ);
                }
            }
        }
    }
}
