//! Where each row lives: which RADOS object (shard) of a column family holds
//! it, and how a row key is written as an omap key.

use super::super::Cf;
use crate::{Error, Result};

/// How many leading bytes of a row key choose its shard in `cf`: the bucket
/// id for the per-bucket families (one shard object per bucket), the upload
/// sequence for parts, the first byte of the (random) blob id for blobs and
/// gc; 0 (one object for the family) for the small ones.
pub(super) fn shard_prefix_len(cf: Cf) -> usize {
    match cf {
        Cf::Current | Cf::Versions | Cf::Uploads | Cf::Parts => 8,
        Cf::Blobs | Cf::Gc => 1,
        Cf::Buckets | Cf::Meta | Cf::Iam | Cf::Lifecycle | Cf::Events | Cf::Replication => 0,
    }
}

/// The shard of `key`: its first `shard_prefix_len` bytes (all of it when
/// shorter). Truncation keeps order, so shards in prefix order hold rows in
/// key order: every row of a shard sorts before every row of a later shard.
pub(super) fn shard_of(cf: Cf, key: &[u8]) -> &[u8] {
    &key[..key.len().min(shard_prefix_len(cf))]
}

/// The RADOS object whose omap holds the rows of shard `prefix` of `cf`.
/// A bucket's `current`, `versions` and `uploads` rows share one object, its
/// index (as RGW's bucket index holds entries and pending uploads): the rows
/// the engine reads and changes together for one object key then change in
/// one atomic compound operation, guards included.
pub(super) fn shard_object(cf: Cf, prefix: &[u8]) -> String {
    let family = match cf {
        Cf::Current | Cf::Versions | Cf::Uploads => "index",
        cf => cf.name(),
    };
    format!("{family}.s.{}", hex::encode(prefix))
}

/// The RADOS object whose omap lists the shards of `cf` that were ever
/// written (keys are `shard_key(prefix)`), so scans find them in order.
pub(super) fn directory_object(cf: Cf) -> String {
    format!("{}.dir", cf.name())
}

/// The first byte of the omap keys of `cf`'s rows: it tells apart the
/// families sharing a bucket's index object (a listing of one family filters
/// on it), and makes no omap key empty.
pub(super) fn mark(cf: Cf) -> u8 {
    match cf {
        Cf::Current => b'c',
        Cf::Versions => b'v',
        Cf::Uploads => b'u',
        _ => b'k',
    }
}

/// The omap key of a directory entry for shard `prefix`.
pub(super) fn shard_key(prefix: &[u8]) -> Vec<u8> {
    escaped(b'k', prefix)
}

/// The omap key of row `key` of `cf`: the family's [`mark`], then the key
/// with `00` written as `01 01` and `01` as `01 02`. librados takes a
/// listing's start key as a C string, so omap keys must hold no NUL; the
/// escape keeps bytewise order (each byte's code is prefix-free and in the
/// bytes' order), so omap order is row key order within a family.
pub(super) fn omap_key(cf: Cf, key: &[u8]) -> Vec<u8> {
    escaped(mark(cf), key)
}

fn escaped(mark: u8, key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(key.len() + 4);
    out.push(mark);
    for &b in key {
        match b {
            0 => out.extend_from_slice(&[1, 1]),
            1 => out.extend_from_slice(&[1, 2]),
            b => out.push(b),
        }
    }
    out
}

/// The shard prefix of a directory entry written by [`shard_key`].
pub(super) fn shard_of_key(omap: &[u8]) -> Result<Vec<u8>> {
    row_key(b'k', omap)
}

/// The row key of an omap key written by [`omap_key`] with `mark`.
pub(super) fn row_key(mark: u8, omap: &[u8]) -> Result<Vec<u8>> {
    let bad = || Error::Corrupt(format!("omap key {} is not horreo's", hex::encode(omap)));
    let rest = omap.strip_prefix(&[mark]).ok_or_else(bad)?;
    let mut out = Vec::with_capacity(rest.len());
    let mut bytes = rest.iter();
    while let Some(&b) = bytes.next() {
        if b == 1 {
            match bytes.next() {
                Some(1) => out.push(0),
                Some(2) => out.push(1),
                _ => return Err(bad()),
            }
        } else {
            out.push(b);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn omap_keys_round_trip_and_keep_order(a in prop::collection::vec(0u8..4, 0..6),
                                               b in prop::collection::vec(0u8..4, 0..6)) {
            let omap = |k| omap_key(Cf::Versions, k);
            prop_assert_eq!(row_key(b'v', &omap(&a)).ok(), Some(a.clone()));
            prop_assert!(!omap(&a).contains(&0));
            prop_assert_eq!(a.cmp(&b), omap(&a).cmp(&omap(&b)));
        }

        #[test]
        fn shards_keep_key_order(a in prop::collection::vec(any::<u8>(), 0..10),
                                 b in prop::collection::vec(any::<u8>(), 0..10)) {
            if a <= b {
                prop_assert!(shard_of(Cf::Current, &a) <= shard_of(Cf::Current, &b));
            }
        }
    }
}
